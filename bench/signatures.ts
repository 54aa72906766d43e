/**
 * @module Signature recovery: the native libsecp256k1 binding (what node/signatures.ts uses) against pure-JS
 * @noble/curves on the same signed digests. The machine's signature ceiling (recoveries/s × cores) is the
 * reference for the end-to-end rows later.
 */
import { secp256k1 } from '@noble/curves/secp256k1.js'
import { recoverSigner, signDigest } from '../node/index.ts'
import { keccak256 } from '../state/index.ts'
import type { Measurement, Row } from './harness.ts'
import { measure, row } from './harness.ts'

/** 256 digests and their signatures by one key: what the recovery measurements cycle through. */
function signedDigests(): { digests: Uint8Array[]; sigs: Uint8Array[] } {
  const key = keccak256(new TextEncoder().encode('bench key'))
  const digests = Array.from({ length: 256 }, (_, i) => keccak256(Uint8Array.of(i, 1, 2, 3)))
  return { digests, sigs: digests.map((d) => signDigest(key, d)) }
}

/**
 * Native libsecp256k1 recoveries/s on this thread (what node/signatures.ts uses): the one-core figure of the
 * signature ceiling, for this file's row, the end-to-end ceiling and the host check.
 */
export function nativeRecovery(name: string): Measurement {
  const { digests, sigs } = signedDigests()
  let i = 0
  return measure(name, 1, () => {
    const k = i++ & 255
    recoverSigner(digests[k] as Uint8Array, sigs[k] as Uint8Array)
  })
}

export function signatureRows(): Row[] {
  const { digests, sigs } = signedDigests()
  const native = nativeRecovery('libsecp256k1 (native)')
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
