/**
 * @module Default nonces: wall-clock ms × 1000 plus a counter, strictly increasing across every client of the
 * process, so two clients of one account in one process never collide and a restarted process starts above
 * the nonces it used before (unless the clock went back). The node keeps each account's 64 highest nonces and
 * refuses one below that window (NONCE_TOO_LOW), so increasing nonces are what it wants. 1000 per ms before
 * the sequence runs ahead of the clock; ms × 1000 stays far below 2^64 (≈ 1.8e19) for millions of years.
 */

let last = 0n

/** The next nonce of this process: max(now × 1000, last + 1). `now` in ms (tests pass it). */
export function nextNonce(now: number = Date.now()): bigint {
  const fromClock = BigInt(Math.floor(now)) * 1000n
  last = fromClock > last ? fromClock : last + 1n
  return last
}
