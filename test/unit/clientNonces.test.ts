/**
 * The client SDK's default nonces: ms × 1000 from the clock, strictly increasing within the process even when
 * many are taken in one ms or the clock steps back.
 */
import { nextNonce } from 'perpd/client'
import { describe, expect, it } from 'vitest'

describe('nextNonce', () => {
  it('starts from the clock: ms × 1000', () => {
    // far ahead of any earlier call in this process, so the clock wins
    expect(nextNonce(4_000_000_000_000)).toBe(4_000_000_000_000_000n)
  })

  it('counts up within one ms and never repeats', () => {
    const now = 4_000_000_000_100
    const taken = Array.from({ length: 2_500 }, () => nextNonce(now))
    expect(taken[0]).toBe(4_000_000_000_100_000n)
    // 2,500 nonces in one ms run past the ms's 1,000 slots and keep counting
    expect(taken.at(-1)).toBe(4_000_000_000_100_000n + 2_499n)
    expect(new Set(taken).size).toBe(taken.length)
  })

  it('keeps increasing when the clock steps back', () => {
    const before = nextNonce(4_000_000_000_200)
    expect(nextNonce(3_000_000_000_000)).toBe(before + 1n)
  })

  it('with the real clock, every nonce is above the previous', () => {
    let last = nextNonce()
    for (let i = 0; i < 1_000; i++) {
      const n = nextNonce()
      expect(n > last).toBe(true)
      last = n
    }
  })
})
