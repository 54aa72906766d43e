/**
 * The engine's invariants hold after every block of random command sequences (test/property/engineModel.ts).
 * Normal suite: 50 runs × 2,000 commands = 100,000 commands with a fixed seed; `npm run test:property` runs
 * millions with PERPD_PROPERTY_RUNS / PERPD_PROPERTY_SEED; a failure reports its seed and path at once (set
 * PERPD_PROPERTY_SHRINK=1 to shrink it, which takes minutes on 2,000-command runs).
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { commandArb, runModel } from '../property/engineModel.ts'

const runs = Number(process.env.PERPD_PROPERTY_RUNS ?? 50)
const seed = process.env.PERPD_PROPERTY_SEED === undefined ? 424242 : Number(process.env.PERPD_PROPERTY_SEED)

describe('engine invariants over random commands', () => {
  it('conservation, equal open interest, uncrossed books, no flat debt, and equal roots for twins and rebuilt states hold after every block', () => {
    let commands = 0
    fc.assert(
      fc.property(
        fc.array(commandArb, { minLength: 2000, maxLength: 2000 }),
        fc.integer({ min: 1, max: 24 }),
        (cmds, blockSize) => {
          commands += cmds.length
          runModel(cmds, blockSize)
        },
      ),
      { numRuns: runs, seed, endOnFailure: process.env.PERPD_PROPERTY_SHRINK === undefined },
    )
    expect(commands).toBeGreaterThanOrEqual(runs * 2000)
  }, 600_000)
})
