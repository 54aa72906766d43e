/**
 * @module Turning signed transactions into verified ones: EIP-712 digest under the chain's domain, then
 * signer recovery. The digest is the transaction's hash.
 *
 * System transactions (deposits, engine SYSTEM_KINDS) carry no signature: 65 zero bytes, signer the zero address.
 * Only a block may hold them (`verifyBlockTx`); a user path (RPC, gossip) refuses them (`verifySignedTx`). Whether
 * a block's deposit is real is checked against L1 by the node's bridge (node/l1Bridge.ts), not here.
 */

import type { Address, SignedTx, VerifiedTx } from '../engine/index.ts'
import { internAddress, SYSTEM_KINDS, typedDataDigest } from '../engine/index.ts'
import { recoverSigner, SignatureError } from './signatures.ts'

export interface VerifiedSignedTx {
  tx: VerifiedTx
  signed: SignedTx
}

export const SYSTEM_SIGNER: Address = '0x0000000000000000000000000000000000000000'
export const SYSTEM_SIGNATURE: Uint8Array = new Uint8Array(65)

/** The transaction with its hash (the EIP-712 digest) and its recovered signer: what the engine receives. */
export function withSigner(signed: SignedTx, hash: Uint8Array, signer: Address): VerifiedTx {
  // the engine's one string for this address (engine/types.ts internAddress), not the worker answer's slice
  return { ...signed, hash, signer: internAddress(signer) } as VerifiedTx
}

export function verifySignedTx(domainSep: Uint8Array, signed: SignedTx): VerifiedSignedTx {
  if (SYSTEM_KINDS.has(signed.kind))
    throw new SignatureError(`a ${signed.kind} is a system transaction: only the sequencer includes it, from L1`)
  const hash = typedDataDigest(domainSep, signed.kind, signed.message as never)
  return { tx: withSigner(signed, hash, recoverSigner(hash, signed.signature)), signed }
}

/** A system transaction of a block (SYSTEM_KINDS): the all-zero signature, signer the zero address. */
export function verifySystemTx(domainSep: Uint8Array, signed: SignedTx): VerifiedTx {
  if (signed.signature.some((b) => b !== 0))
    throw new SignatureError(`a ${signed.kind} carries no signature (65 zero bytes)`)
  const hash = typedDataDigest(domainSep, signed.kind, signed.message as never)
  return withSigner(signed, hash, SYSTEM_SIGNER)
}

/** A transaction of a block: a user transaction as above, or a system one (verifySystemTx). */
export function verifyBlockTx(domainSep: Uint8Array, signed: SignedTx): VerifiedSignedTx {
  if (!SYSTEM_KINDS.has(signed.kind)) return verifySignedTx(domainSep, signed)
  return { tx: verifySystemTx(domainSep, signed), signed }
}
