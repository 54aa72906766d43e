/**
 * @module A seeded pseudo-random generator (mulberry32: 32-bit state, period 2^32) for choices that must be the
 * same on every node: the seed comes from block data, never from a clock. Also what tests and benchmarks use to
 * replay the same random streams.
 */

/** Returns a function giving floats in [0, 1), the same sequence for the same 32-bit seed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}
