/**
 * @module Signature recovery: the native libsecp256k1 binding (what node/signatures.ts uses) against pure-JS
 * @noble/curves on the same signed digests. The machine's signature ceiling (recoveries/s × cores) is the
 * reference for the end-to-end rows later.
 */
import { secp256k1 } from '@noble/curves/secp256k1.js'
import { recoverSigner, signDigest } from '../node/index.ts'
import { keccak256 } from '../state/index.ts'
import type { Row } from './harness.ts'
import { measure, row } from './harness.ts'

export function signatureRows(): Row[] {
  const key = keccak256(new TextEncoder().encode('bench key'))
  const digests = Array.from({ length: 256 }, (_, i) => keccak256(Uint8Array.of(i, 1, 2, 3)))
  const sigs = digests.map((d) => signDigest(key, d))
  let i = 0
  const native = measure('libsecp256k1 (native)', 1, () => {
    const k = i++ & 255
    recoverSigner(digests[k] as Uint8Array, sigs[k] as Uint8Array)
  })
  let j = 0
  const noble = measure('@noble/curves (JS)', 1, () => {
    const k = j++ & 255
    const sig = sigs[k] as Uint8Array
    const recovered = secp256k1.Signature.fromBytes(sig.subarray(0, 64), 'compact')
      .addRecoveryBit((sig[64] as number) - 27)
      .recoverPublicKey(digests[k] as Uint8Array)
    recovered.toBytes(false)
  })
  return [
    row('signature recovery (1 core)', native, noble, {
      target: 'choose the faster',
      note: 'node/signatures.ts uses libsecp256k1; noble is kept for hashing only.',
    }),
  ]
}
