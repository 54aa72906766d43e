/**
 * @module Helpers of bench/stateTree.ts: async timing with the Measurement shape of bench/harness.ts, a GC
 * handle for memory figures, and the deterministic workload (keys, values, blocks) both trees get.
 */
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { seededRandom } from '../engine/index.ts'
import type { LeafWrite } from '../state/index.ts'
import type { Measurement } from './harness.ts'

setFlagsFromString('--expose-gc')
const gcFn = runInNewContext('gc') as () => void

/** Full GC (twice, for weak callbacks), then heap + off-heap bytes in use. */
export function usedBytes(): number {
  gcFn()
  gcFn()
  const m = process.memoryUsage()
  return m.heapUsed + m.external
}

/**
 * Before a timed series: a full GC, then waits (up to 5 s) until the process is idle, i.e. uses < 10% of one
 * core over 200 ms. The series are timed in process CPU time, which also counts V8's background threads, and
 * those may still be sweeping what an earlier phase or benchmark left (measured: +2.5 ms a block on 10 ms SMT
 * blocks right after the engine and liquidation benchmarks, CPU time above wall time). Applied alike to the
 * SMT and the MPT series.
 */
export async function settle(): Promise<void> {
  usedBytes()
  for (let i = 0; i < 25; i++) {
    const start = process.cpuUsage()
    await new Promise((resolve) => setTimeout(resolve, 200))
    const used = process.cpuUsage(start)
    if (used.user + used.system < 20_000) return
  }
}

export function rssMb(): number {
  return process.memoryUsage().rss / 1e6
}

/** Runs `fn` (`batch` ops each) `warmup` times untimed, then until `minMs` and `minRuns` are both reached. */
export async function measureAsync(
  name: string,
  batch: number,
  fn: () => unknown,
  { minMs = 1000, minRuns = 1, warmup = 1 } = {},
): Promise<Measurement> {
  for (let i = 0; i < warmup; i++) await fn()
  let ops = 0
  let runs = 0
  const start = performance.now()
  let now = start
  while (now - start < minMs || runs < minRuns) {
    await fn()
    ops += batch
    runs++
    now = performance.now()
  }
  const ms = now - start
  return { name, opsPerSec: (ops * 1000) / ms, ops, ms }
}

/**
 * Applies `blocks` in order: the first `warmup` untimed, the rest timed one by one. The rate is leaves per
 * second at the median per-block CPU time of this process (user + system, all its threads, GC included): on a
 * shared machine, wall time also measures the neighbours. `medianWallMs` is kept for the notes.
 */
export async function measureBlocks(
  name: string,
  blocks: readonly LeafWrite[][],
  apply: (writes: LeafWrite[], index: number) => unknown,
  warmup = 1,
): Promise<Measurement & { medianMs: number; medianWallMs: number }> {
  for (let i = 0; i < warmup; i++) await apply(blocks[i] as LeafWrite[], i)
  const cpu: number[] = []
  const wall: number[] = []
  let ops = 0
  for (let i = warmup; i < blocks.length; i++) {
    const start = performance.now()
    const startCpu = process.cpuUsage()
    await apply(blocks[i] as LeafWrite[], i)
    const used = process.cpuUsage(startCpu)
    wall.push(performance.now() - start)
    cpu.push((used.user + used.system) / 1000)
    ops += (blocks[i] as LeafWrite[]).length
  }
  const medianMs = median(cpu)
  const perBlock = ops / cpu.length
  return {
    name,
    opsPerSec: (perBlock * 1000) / medianMs,
    ops,
    ms: cpu.reduce((a, b) => a + b, 0),
    medianMs,
    medianWallMs: median(wall),
  }
}

function median(xs: number[]): number {
  const sorted = xs.slice().sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2
}

/** A figure that is not a rate (bytes, MB): carried in opsPerSec so the row's ratio compares it. */
export function figure(name: string, value: number): Measurement {
  return { name, opsPerSec: value, ops: 0, ms: 0 }
}

/** Deterministic PRNG (engine/prng.ts). */
export const prng = seededRandom

/** A subaccount-like state key: 0x03 ‖ 20-byte address ‖ u32 subaccount, from a counter. */
export function stateKey(i: number): Uint8Array {
  const k = new Uint8Array(25)
  k[0] = 0x03
  const v = new DataView(k.buffer)
  v.setUint32(1, i)
  v.setUint32(5, Math.imul(i, 0x9e3779b1))
  v.setUint32(21, i % 3)
  return k
}

/** A value of 80–200 bytes (a subaccount with a few positions). */
export function stateValue(rand: () => number): Uint8Array {
  const v = new Uint8Array(80 + Math.floor(rand() * 121))
  for (let i = 0; i < v.length; i += 4) v[i] = Math.floor(rand() * 256)
  return v
}

/**
 * The block stream both trees get: each block writes `size` distinct keys of a live set that starts as keys
 * 0..initial−1: 70% updates, 15% inserts of new keys, 15% deletes, so the set stays about the same size.
 */
export class Workload {
  readonly #rand: () => number
  readonly #live: number[]
  #next: number

  constructor(initial: number, seed: number) {
    this.#rand = prng(seed)
    this.#live = Array.from({ length: initial }, (_, i) => i)
    this.#next = initial
  }

  blocks(size: number, count: number): LeafWrite[][] {
    return Array.from({ length: count }, () => this.#block(size))
  }

  #block(size: number): LeafWrite[] {
    const rand = this.#rand
    const live = this.#live
    const used = new Set<number>()
    const writes: LeafWrite[] = []
    while (writes.length < size) {
      const r = rand()
      if (r < 0.15) {
        const id = this.#next++
        used.add(id)
        live.push(id)
        writes.push({ key: stateKey(id), value: stateValue(rand) })
        continue
      }
      const at = Math.floor(rand() * live.length)
      const id = live[at] as number
      if (used.has(id)) continue
      used.add(id)
      if (r < 0.3) {
        live[at] = live[live.length - 1] as number
        live.pop()
        writes.push({ key: stateKey(id), value: null })
      } else writes.push({ key: stateKey(id), value: stateValue(rand) })
    }
    return writes
  }
}
