/**
 * @module Signature recovery for the embedded L1's VM through libsecp256k1 (the `secp256k1` native binding),
 * plugged in as @ethereumjs/common's `customCrypto.ecrecover`: used for every transaction's sender and by the
 * ECRECOVER precompile. About 20× faster than the pure-JS default, which was the largest single cost of a
 * transaction. Same contract as @ethereumjs/util's `ecrecover`: the 64-byte public key without its 0x04
 * prefix, or a throw for a signature that recovers nothing (r or s zero or ≥ n, bad v). High-s is accepted
 * here, as the precompile must; transactions reject it before recovery (EIP-2).
 */

import { createRequire } from 'node:module'
import { calculateSigRecovery, setLengthLeft } from '@ethereumjs/util'

interface Secp256k1 {
  ecdsaRecover(sig: Uint8Array, recid: number, msg32: Uint8Array, compressed: boolean): Uint8Array
}

// if the native addon cannot load, the package falls back to its JS build: slower, same answers
const secp = createRequire(import.meta.url)('secp256k1') as Secp256k1

export function ecrecover(msgHash: Uint8Array, v: bigint, r: Uint8Array, s: Uint8Array, chainId?: bigint): Uint8Array {
  const recovery = calculateSigRecovery(v, chainId)
  if (recovery !== 0n && recovery !== 1n) throw new Error('Invalid signature v value')
  const signature = new Uint8Array(64)
  signature.set(setLengthLeft(r, 32))
  signature.set(setLengthLeft(s, 32), 32)
  return secp.ecdsaRecover(signature, Number(recovery), msgHash, false).subarray(1)
}
