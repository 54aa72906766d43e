/**
 * `perpd devnet` as `npm start` runs it, with its market simulation: within a few seconds the block log shows
 * fills, every validator agrees on every root, and stop() shuts everything down.
 */
import { describe, expect, it } from 'vitest'
import { startDevnet } from '../../node/index.ts'
import { freePortRange } from '../support/nodes.ts'
import { call, waitFor } from '../support/rpcClient.ts'

describe('devnet with simulation', () => {
  it('trades, and both validators reach the sequencer root at every height', async () => {
    const lines: string[] = []
    const port = await freePortRange(3)
    const net = await startDevnet({ sim: true, rpcPort: port, blockTimeMs: 100, print: (l) => lines.push(l) })
    try {
      const blockLines = () => lines.filter((l) => l.startsWith('#'))
      await waitFor(
        'fills in the block log',
        async () => (blockLines().some((l) => !/fills +0 /.test(l)) ? true : undefined),
        20_000,
      )
      expect(blockLines().length).toBeGreaterThan(0)
      expect(blockLines().every((l) => l.endsWith('validators 2/2 agree'))).toBe(true)
      expect(lines.some((l) => l.includes('MISMATCH'))).toBe(false)
      const markets = await call<{ openInterest: string }[]>(net.sequencer.rpcUrl, 'perp_markets')
      expect(markets.some((m) => BigInt(m.openInterest) > 0n)).toBe(true)
      for (const v of net.validators) expect(v.mismatch).toBeUndefined()
    } finally {
      await net.stop()
    }
  })
})
