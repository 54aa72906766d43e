/**
 * @module Turning signed transactions into verified ones: EIP-712 digest under the chain's domain, then
 * signer recovery. The digest is the transaction's hash.
 */

import type { SignedTx, VerifiedTx } from '../engine/index.ts'
import { typedDataDigest } from '../engine/index.ts'
import { recoverSigner } from './signatures.ts'

export interface VerifiedSignedTx {
  tx: VerifiedTx
  signed: SignedTx
}

export function verifySignedTx(domainSep: Uint8Array, signed: SignedTx): VerifiedSignedTx {
  const hash = typedDataDigest(domainSep, signed.kind, signed.message as never)
  const signer = recoverSigner(hash, signed.signature)
  return { tx: { ...signed, hash, signer } as VerifiedTx, signed }
}
