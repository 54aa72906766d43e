import { ecrecover as jsEcrecover } from '@ethereumjs/util'
import { secp256k1 } from '@noble/curves/secp256k1.js'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { ecrecover as nativeEcrecover } from '../../l1/embedded/nativeEcrecover.ts'

const N = secp256k1.Point.CURVE().n

function attempt(f: () => Uint8Array): Uint8Array | 'throws' {
  try {
    return f()
  } catch {
    return 'throws'
  }
}

const bytes32 = (n: bigint) => Uint8Array.from(Buffer.from(n.toString(16).padStart(64, '0'), 'hex'))

describe("the embedded L1's native ecrecover", () => {
  it('recovers the same public key as @ethereumjs/util for signatures made by noble, in every v form', () => {
    fc.assert(
      fc.property(
        // 48 bytes: what noble's key derivation takes to reduce mod n without bias
        fc.uint8Array({ minLength: 48, maxLength: 48 }),
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        (seed, hash) => {
          const key = secp256k1.utils.randomSecretKey(seed)
          const sig = secp256k1.Signature.fromBytes(
            secp256k1.sign(hash, key, { prehash: false, format: 'recovered' }),
            'recovered',
          )
          const r = bytes32(sig.r)
          const s = bytes32(sig.s)
          const bit = BigInt(sig.recovery ?? 0)
          const expected = secp256k1.getPublicKey(key, false).subarray(1)
          // typed transactions (0/1), pre-EIP-155 (27/28), EIP-155 with chain id 31337 (2·id + 35 + bit)
          for (const [v, chainId] of [
            [bit, undefined],
            [27n + bit, undefined],
            [2n * 31337n + 35n + bit, 31337n],
          ] as const) {
            expect(nativeEcrecover(hash, v, r, s, chainId)).toEqual(expected)
            expect(jsEcrecover(hash, v, r, s, chainId)).toEqual(expected)
          }
        },
      ),
      { numRuns: 50 },
    )
  })

  it('agrees with @ethereumjs/util on what does not recover: zero or out-of-range r and s, a bad v', () => {
    const hash = new Uint8Array(32).fill(7)
    const good = bytes32(12345n)
    const cases: [bigint, Uint8Array, Uint8Array][] = [
      [27n, bytes32(0n), good],
      [27n, good, bytes32(0n)],
      [27n, bytes32(N), good],
      [27n, good, bytes32(N + 1n)],
      [29n, good, good],
    ]
    for (const [v, r, s] of cases) {
      expect(attempt(() => nativeEcrecover(hash, v, r, s))).toBe('throws')
      expect(attempt(() => jsEcrecover(hash, v, r, s))).toBe('throws')
    }
    // a high s (as the ECRECOVER precompile may see) still recovers, the same key on both
    const high = bytes32(N - 12345n)
    expect(attempt(() => nativeEcrecover(hash, 27n, good, high))).toEqual(
      attempt(() => jsEcrecover(hash, 27n, good, high)),
    )
  })
})
