/**
 * The oracle across blocks (engine/oracle.ts): each signer's latest quote is kept, so a round of reports may
 * span blocks; only quotes fresh at block time count; a move beyond maxPriceJumpPpm (10% on the devnet) is held
 * until a later block confirms it.
 */
import { describe, expect, it } from 'vitest'
import { oracleTx, run, SIGNERS, stateFromGenesisFile, T0 } from './helpers/engineFixtures.ts'

const [S0, S1, S2] = SIGNERS as [`0x${string}`, `0x${string}`, `0x${string}`]
const P60_600 = 6_060_000_000_000n
const P90_000 = 9_000_000_000_000n

describe('quorum across blocks', () => {
  it('two signers reporting in consecutive blocks reach the quorum of 2 in the second block', () => {
    const s = stateFromGenesisFile()
    expect(run(s, [oracleTx(S0, T0, [0], [P60_600])], T0).events).toEqual([])
    const r = run(s, [oracleTx(S1, T0 + 250n, [0], [P60_600])], T0 + 250n)
    expect(r.events).toEqual([{ type: 'oraclePrice', market: 0, price: P60_600, reports: 2 }])
    expect(s.markets[0]?.oracleTime).toBe(T0 + 250n)
  })

  it('a quote older than maxReportAgeMs (10 s) at block time no longer counts', () => {
    const s = stateFromGenesisFile()
    run(s, [oracleTx(S0, T0, [0], [P60_600])], T0)
    // at T0 + 10,001 S0's quote is 10,001 ms old: only S1's is fresh, below the quorum
    expect(run(s, [oracleTx(S1, T0 + 10_001n, [0], [P60_600])], T0 + 10_001n).events).toEqual([])
    expect(s.markets[0]?.oraclePrice).toBe(6_000_000_000_000n)
  })
})

describe('deviation guard (maxPriceJumpPpm = 10%)', () => {
  it('holds a 50% gap for one block, then applies it when a later block confirms it', () => {
    const s = stateFromGenesisFile()
    const r1 = run(s, [oracleTx(S0, T0, [0], [P90_000]), oracleTx(S1, T0, [0], [P90_000])], T0)
    expect(r1.events).toEqual([{ type: 'oraclePending', market: 0, price: P90_000 }])
    expect(s.markets[0]?.oraclePrice).toBe(6_000_000_000_000n)
    // the next block brings S2's report at the same level: the median of S0, S1, S2 confirms the pending price
    const r2 = run(s, [oracleTx(S2, T0 + 250n, [0], [P90_000])], T0 + 250n)
    expect(r2.events).toEqual([{ type: 'oraclePrice', market: 0, price: P90_000, reports: 3 }])
    expect(s.markets[0]?.pendingOraclePrice).toBe(0n)
  })

  it('a pending jump is not confirmed within the same block, and a later median back near the price applies at once', () => {
    const s = stateFromGenesisFile()
    run(s, [oracleTx(S0, T0, [0], [P90_000]), oracleTx(S1, T0, [0], [P90_000])], T0)
    // S0 and S1 correct themselves: the median of (60,600, 60,600, —) is within 10% of $60,000
    const r = run(s, [oracleTx(S0, T0 + 250n, [0], [P60_600]), oracleTx(S1, T0 + 250n, [0], [P60_600])], T0 + 250n)
    expect(r.events).toEqual([{ type: 'oraclePrice', market: 0, price: P60_600, reports: 2 }])
    expect(s.markets[0]?.pendingOraclePrice).toBe(0n)
  })
})
