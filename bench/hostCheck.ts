/**
 * @module Host check: how fast the machine itself is at the start and at the end of a run. On a shared virtual
 * machine the same code can read 15–50% slower in one hour than in another, and it can drift within a run
 * (bench/NOTES.md, tenth pass). The rows with an absolute target (engine replay, liquidation ms) and the tree's
 * commit move with it, so each run records two probes, at its start and at its end:
 * - compute: native signature recoveries per second on one core (libsecp256k1, as the ceiling rows);
 * - memory: dependent random reads per second through 128 MB. The walk goes around one random cycle and each read
 *   waits for the one before, so no prefetch helps: it measures the memory latency of the moment.
 * A ratio of end to start far from 1 says the host changed during the run.
 */
import type { Measurement, Row } from './harness.ts'
import { row } from './harness.ts'
import { nativeRecovery } from './signatures.ts'

export interface HostProbe {
  recovery: Measurement
  memory: Measurement
}

/** 32 Mi slots of 4 bytes: four times the 32 MB L3 of these machines */
const SLOTS = 1 << 25
const READS = 1 << 22

/** where the last walk ended: kept, so the walk's reads cannot be dropped */
let walkEnd = 0

/**
 * next[i] for one random cycle through every slot: the slots shuffled (Fisher–Yates, fixed xorshift seed), then each
 * linked to the one after it in that order, the last to the first. Built for each probe
 * (~2 s) and dropped after it, so the 128 MB are not held while other rows measure memory.
 */
function randomCycle(): Int32Array {
  const order = new Int32Array(SLOTS)
  for (let i = 0; i < SLOTS; i++) order[i] = i
  let x = 0x9e3779b9
  for (let i = SLOTS - 1; i > 0; i--) {
    x ^= x << 13
    x ^= x >>> 17
    x ^= x << 5
    const j = (x >>> 0) % (i + 1)
    const t = order[i] as number
    order[i] = order[j] as number
    order[j] = t
  }
  const next = new Int32Array(SLOTS)
  for (let i = 0; i < SLOTS; i++) next[order[i] as number] = order[(i + 1) % SLOTS] as number
  return next
}

export function probeHost(label: string): HostProbe {
  const recovery = nativeRecovery(`native recovery, ${label}`)
  const next = randomCycle()
  let at = walkEnd
  const t0 = performance.now()
  for (let r = 0; r < READS; r++) at = next[at] as number
  const ms = performance.now() - t0
  walkEnd = at
  const memory: Measurement = { name: `dependent reads, ${label}`, opsPerSec: (READS * 1000) / ms, ops: READS, ms }
  return { recovery, memory }
}

export function hostRows(start: HostProbe, end: HostProbe): Row[] {
  const ns = (m: Measurement): string => `${(1e9 / m.opsPerSec).toFixed(0)} ns`
  return [
    row('host check: native recovery (1 core), end vs start of the run', end.recovery, start.recovery, {
      target: '≈ 1: a steady host',
      note: 'compute speed of the machine during this run; the ceiling rows use the same recovery.',
    }),
    row('host check: dependent reads in 128 MB, end vs start of the run', end.memory, start.memory, {
      target: '≈ 1: a steady host',
      note:
        `memory latency during this run: ${ns(start.memory)} a read at the start, ${ns(end.memory)} at the end ` +
        '(one random cycle through 32 Mi slots of an Int32Array, each read the index of the next).',
    }),
  ]
}
