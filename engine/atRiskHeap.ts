/**
 * @module A 4-ary min-heap of (key, slot, version) for the at-risk index (atRisk.ts): keys are float64 Numbers,
 * so a sift compares doubles instead of bigints, and each entry is two adjacent doubles, so the four children of
 * a node are 64 adjacent bytes (one or two cache lines) and a level of a sift costs about one cache miss; four
 * children a node halve the levels of a binary heap (at 1M entries the lower levels are cold: ~1 µs a miss
 * measured on the 2-core VM; 4-ary took ~0.3 ms off a block of ~600 pops at 1M accounts). Entries are deleted
 * lazily: an entry whose version no longer matches its slot's is skipped when popped, and `compact` drops them
 * all at once.
 *
 * The thresholds and the values they are compared with are bigints. Below 2^53 a Number holds them exactly;
 * above, `numberAtMost` / `numberAtLeast` round in the direction that can only make an entry pop early (it is
 * then checked exactly and re-armed), never late. So the heap never misses a crossing, at any magnitude.
 */

/** The largest Number ≤ x (x itself when |x| ≤ 2^53). */
export function numberAtMost(x: bigint): number {
  const n = Number(x)
  if (Number.isSafeInteger(n) || !Number.isFinite(n)) return n === Number.POSITIVE_INFINITY ? Number.MAX_VALUE : n
  return BigInt(n) <= x ? n : nextDown(n)
}

/** The smallest Number ≥ x (x itself when |x| ≤ 2^53). */
export function numberAtLeast(x: bigint): number {
  const n = Number(x)
  if (Number.isSafeInteger(n) || !Number.isFinite(n)) return n === Number.NEGATIVE_INFINITY ? -Number.MAX_VALUE : n
  return BigInt(n) >= x ? n : nextUp(n)
}

/** The next double above an integer-valued n with |n| > 2^53 (doubles there are integers, spaced by a power of 2). */
function nextUp(n: number): number {
  let step = 1
  while (n + step === n) step *= 2
  return n + step
}

function nextDown(n: number): number {
  let step = 1
  while (n - step === n) step *= 2
  return n - step
}

/** An entry's slot and version share one double: slot × 2^21 + (version mod 2^21), exact below 2^53. */
const VERSION_SPAN = 2 ** 21

/**
 * The version is kept modulo 2^21: a stale entry whose version aliases its slot's current one is taken as live,
 * which costs one needless exact check and never a missed one.
 */
export function sameVersion(a: number, b: number): boolean {
  return (a & (VERSION_SPAN - 1)) === (b & (VERSION_SPAN - 1))
}

export class ThresholdHeap {
  /**
   * entry i: data[2i] = key, data[2i + 1] = slot × 2^21 + version (one cache line holds four entries); the
   * children of entry i are 4i + 1 … 4i + 4, its parent ⌊(i − 1) / 4⌋
   */
  data = new Float64Array(32)
  size = 0

  push(key: number, slot: number, version: number): void {
    if (2 * this.size === this.data.length) this.grow()
    const payload = slot * VERSION_SPAN + (version & (VERSION_SPAN - 1))
    const data = this.data
    let i = this.size++
    while (i > 0) {
      const parent = (i - 1) >> 2
      if ((data[2 * parent] as number) <= key) break
      data[2 * i] = data[2 * parent] as number
      data[2 * i + 1] = data[2 * parent + 1] as number
      i = parent
    }
    data[2 * i] = key
    data[2 * i + 1] = payload
  }

  /** The smallest key; +∞ when empty. */
  topKey(): number {
    return this.size === 0 ? Number.POSITIVE_INFINITY : (this.data[0] as number)
  }

  topSlot(): number {
    return Math.floor((this.data[1] as number) / VERSION_SPAN)
  }

  topVersion(): number {
    return (this.data[1] as number) % VERSION_SPAN
  }

  /** Removes the top entry. */
  pop(): void {
    const last = --this.size
    if (last === 0) return
    this.siftDown(0, this.data[2 * last] as number, this.data[2 * last + 1] as number)
  }

  /** Keeps the entries `live(slot, version)` accepts, then restores heap order bottom-up (O(size)). */
  compact(live: (slot: number, version: number) => boolean): void {
    const data = this.data
    let n = 0
    for (let i = 0; i < this.size; i++) {
      const payload = data[2 * i + 1] as number
      if (!live(Math.floor(payload / VERSION_SPAN), payload % VERSION_SPAN)) continue
      data[2 * n] = data[2 * i] as number
      data[2 * n + 1] = payload
      n++
    }
    this.size = n
    for (let i = (n - 2) >> 2; i >= 0; i--) this.siftDown(i, data[2 * i] as number, data[2 * i + 1] as number)
  }

  private siftDown(start: number, key: number, payload: number): void {
    const data = this.data
    const size = this.size
    let i = start
    for (;;) {
      const first = 4 * i + 1
      if (first >= size) break
      // the smallest of the (up to) four children
      let child = first
      let least = data[2 * first] as number
      const end = first + 4 < size ? first + 4 : size
      for (let c = first + 1; c < end; c++) {
        const k = data[2 * c] as number
        if (k < least) {
          least = k
          child = c
        }
      }
      if (least >= key) break
      data[2 * i] = data[2 * child] as number
      data[2 * i + 1] = data[2 * child + 1] as number
      i = child
    }
    data[2 * i] = key
    data[2 * i + 1] = payload
  }

  private grow(): void {
    const data = new Float64Array(this.data.length * 2)
    data.set(this.data)
    this.data = data
  }
}
