/**
 * @module Signature recovery and signing: the one place that chooses the secp256k1 implementation.
 * libsecp256k1 through the `secp256k1` native binding recovers ~20× faster than pure JS (@noble/curves) on
 * these machines (14,000/s against 700/s per core; bench/signatures.ts measures both); if the native addon cannot load, the package falls back
 * to its JS build and this module still works, only slower.
 *
 * Rules (DESIGN §3): 65 bytes r‖s‖v, v ∈ {27, 28} or {0, 1}; s above n/2 (high-s) is rejected so a signature
 * has one valid form.
 */
import { createRequire } from 'node:module'
import type { Address } from '../engine/index.ts'
import { fromHex, keccak256, toHex } from '../state/index.ts'

interface Secp256k1 {
  ecdsaRecover(sig: Uint8Array, recid: number, msg32: Uint8Array, compressed: boolean): Uint8Array
  ecdsaSign(msg32: Uint8Array, privateKey: Uint8Array): { signature: Uint8Array; recid: number }
  publicKeyCreate(privateKey: Uint8Array, compressed: boolean): Uint8Array
}

const secp = createRequire(import.meta.url)('secp256k1') as Secp256k1

/** n/2 (n the curve order), big-endian: the largest s a signature may carry */
const HALF_N = fromHex('0x7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0')

export class SignatureError extends Error {
  override name = 'SignatureError'
}

/**
 * s (bytes 32–63, big-endian) above n/2, compared byte by byte from the most significant: the first byte that
 * differs decides. (Read into a bigint it made 64 bigints a signature, ~1.2 µs of the ~2 µs this module adds to a
 * native recovery.)
 */
function isHighS(sig: Uint8Array): boolean {
  for (let i = 0; i < 32; i++) {
    const a = sig[32 + i] as number
    const b = HALF_N[i] as number
    if (a !== b) return a > b
  }
  return false
}

export function addressOfPublicKey(uncompressed: Uint8Array): Address {
  return toHex(keccak256(uncompressed.subarray(1)).subarray(12))
}

/** The address that signed `digest`, or SignatureError. */
export function recoverSigner(digest: Uint8Array, signature: Uint8Array): Address {
  if (signature.length !== 65) throw new SignatureError(`signature must be 65 bytes, got ${signature.length}`)
  const v = signature[64] as number
  const recid = v >= 27 ? v - 27 : v
  if (recid !== 0 && recid !== 1) throw new SignatureError(`signature v must be 27, 28, 0 or 1, got ${v}`)
  if (isHighS(signature)) throw new SignatureError('signature s is in the upper half of the curve order (high-s)')
  try {
    return addressOfPublicKey(secp.ecdsaRecover(signature.subarray(0, 64), recid, digest, false))
  } catch {
    throw new SignatureError('signature does not recover to a public key')
  }
}

/** 65-byte r‖s‖v signature with v ∈ {27, 28} (libsecp256k1 produces low-s). */
export function signDigest(privateKey: Uint8Array, digest: Uint8Array): Uint8Array {
  const { signature, recid } = secp.ecdsaSign(digest, privateKey)
  const out = new Uint8Array(65)
  out.set(signature)
  out[64] = 27 + recid
  return out
}

export function addressOfPrivateKey(privateKey: Uint8Array): Address {
  return addressOfPublicKey(secp.publicKeyCreate(privateKey, false))
}
