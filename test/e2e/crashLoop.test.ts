/**
 * Crash safety under SIGKILL: a real sequencer process (`perpd start`) under wallet-signed load, killed with
 * SIGKILL 50 times at seeded random moments (some during startup) and restarted on the same data directory.
 * After every restart the node came up by itself, is not behind any head it reported, and every
 * acknowledged transaction is still where it was; at the end the whole store equals a clean replay from
 * genesis. The harness is test/support/crashLoop.ts; `npm run soak:crash` runs it with many more kills.
 */
import { describe, expect, it } from 'vitest'
import { runCrashLoop } from '../support/crashLoop.ts'
import { tempDir } from '../support/nodes.ts'

const SEED = 20_241_123

describe('SIGKILL loop under load', () => {
  it(`survives 50 kills with nothing acknowledged lost (seed ${SEED})`, { timeout: 240_000 }, async () => {
    const dir = tempDir('crash-loop')
    try {
      const report = await runCrashLoop({ kills: 50, seed: SEED, dataDir: dir.path })
      expect(report.checkedStarts).toBeGreaterThan(35)
      expect(report.acknowledged).toBeGreaterThan(100)
      expect(report.store.height).toBeGreaterThan(100n)
      expect(report.store.transactions).toBeGreaterThanOrEqual(report.acknowledged)
    } finally {
      dir.remove()
    }
  })
})
