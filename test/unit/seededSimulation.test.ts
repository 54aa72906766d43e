/**
 * The light version of `npm run sim:seeded` (scripts/seeded-sim.ts): 3 seeds × 2 independent runs × 300 blocks
 * of seeded random mixed traffic through the engine and the node's commitment (test/support/seededSim.ts). The
 * second run of each seed rebuilds its state from leaves and its tree from the stored records every 50 blocks.
 * Per seed both runs must give the same root, receipts and events at every block (one transcript hash) and the
 * same final root, which must also equal the final state's leaves committed at once to a fresh tree; different
 * seeds must end on different roots.
 */
import { describe, expect, it } from 'vitest'
import { seededRandom } from '../../engine/index.ts'
import type { SimResult } from '../support/seededSim.ts'
import { runSeededSim, seededCommand } from '../support/seededSim.ts'

const SEEDS = [3, 1_000_003, 4_242_424]
const BLOCKS = 300

describe('seeded simulation', () => {
  it('the command generator depends on the seed alone', () => {
    const commands = (seed: number) => {
      const rand = seededRandom(seed)
      return Array.from({ length: 500 }, () => seededCommand(rand))
    }
    expect(commands(5)).toEqual(commands(5))
    expect(commands(5)).not.toEqual(commands(6))
  })

  const finals: SimResult[] = []

  it.each(SEEDS)('seed %i: two runs, one restarting every 50 blocks, agree at every block', (seed) => {
    const a = runSeededSim(seed, { blocks: BLOCKS })
    const b = runSeededSim(seed, { blocks: BLOCKS, restartEvery: 50 })
    expect(b.transcript).toBe(a.transcript)
    expect(b.finalRoot).toBe(a.finalRoot)
    expect(a.fullRoot).toBe(a.finalRoot)
    expect(b.fullRoot).toBe(b.finalRoot)
    // the traffic was mixed and did things, or equal roots would prove little
    const s = a.stats
    for (const kind of ['order', 'cancel', 'cancelAll', 'transfer', 'withdraw', 'oracleReport'])
      expect(s.byKind[kind] ?? 0, kind).toBeGreaterThan(0)
    for (const event of ['fill', 'orderPlaced', 'orderCanceled', 'transfer', 'oraclePrice', 'funding'])
      expect(s.events[event] ?? 0, event).toBeGreaterThan(0)
    expect(s.rejected).toBeGreaterThan(0)
    expect(s.rejected).toBeLessThan(s.txs)
    finals.push(a)
  })

  it('different seeds end on different roots', () => {
    expect(finals.length).toBe(SEEDS.length)
    expect(new Set(finals.map((f) => f.finalRoot)).size).toBe(SEEDS.length)
  })
})
