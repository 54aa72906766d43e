/**
 * Oracle step of a block (engine/oracle.ts): signer and freshness checks, the quorum (2 of 3 in genesis.json),
 * and the median (odd count: the middle; even count: floor of the mean of the two middle prices).
 * genesis.json: maxReportAgeMs 10_000, maxFutureDriftMs 2_000; market 0 starts at 6e12 ($60,000).
 */
import { describe, expect, it } from 'vitest'
import { median, REJECT } from '../../engine/index.ts'
import {
  ACCOUNTS,
  addr,
  BTC_60000,
  ETH_3000,
  GENESIS_TIME,
  stateFromGenesisFile as genesisFileState,
  oracleTx,
  orderMsg,
  orderTx,
  run,
  SIGNERS,
  stateWithAccounts,
  T0,
  withoutVolatilityScaling,
} from './helpers/engineFixtures.ts'

const [S0, S1, S2] = SIGNERS as [(typeof SIGNERS)[number], (typeof SIGNERS)[number], (typeof SIGNERS)[number]]

/**
 * These tests are about aggregation and report freshness, with moves of up to ~15%: the deviation guard (a jump
 * over 10% waits for confirmation) is widened to 100% here and tested in engine.oracleGuard.test.ts.
 */
function stateFromGenesisFile() {
  const s = genesisFileState()
  s.oracle.maxPriceJumpPpm = 1_000_000n
  return s
}

describe('median()', () => {
  it('takes the middle of an odd count and the floor of the mean of the two middle of an even count', () => {
    expect(median([9n, 1n, 5n])).toBe(5n)
    expect(median([7n])).toBe(7n)
    // sorted 1, 2, 3, 10 → floor((2 + 3) / 2) = 2
    expect(median([3n, 10n, 1n, 2n])).toBe(2n)
    // floor((4 + 7) / 2) = 5
    expect(median([7n, 4n])).toBe(5n)
  })
})

describe('aggregation in a block', () => {
  it('three reports: the middle price, for each market reported', () => {
    const s = stateFromGenesisFile()
    const r = run(
      s,
      [
        oracleTx(S0, T0, [0, 1], [6_100_000_000_000n, 310_000_000_000n]),
        oracleTx(S1, T0, [0, 1], [5_900_000_000_000n, 290_000_000_000n]),
        oracleTx(S2, T0, [0, 1], [6_000_500_000_000n, 305_000_000_000n]),
      ],
      T0,
    )
    expect(r.receipts.map((x) => x.ok)).toEqual([true, true, true])
    // BTC sorted 5.9e12, 6.0005e12, 6.1e12 → 6_000_500_000_000; ETH sorted 2.9e11, 3.05e11, 3.1e11 → 305_000_000_000
    expect(r.events).toEqual([
      { type: 'oraclePrice', market: 0, price: 6_000_500_000_000n, reports: 3 },
      { type: 'oraclePrice', market: 1, price: 305_000_000_000n, reports: 3 },
    ])
    expect(s.markets[0]?.oraclePrice).toBe(6_000_500_000_000n)
    expect(s.markets[1]?.oraclePrice).toBe(305_000_000_000n)
    expect(s.markets[0]?.oracleTime).toBe(T0)
    expect(s.global.oracleLastTimestamp.get(S2)).toBe(T0)
  })

  it('two reports: floor of the mean of the two', () => {
    const s = stateFromGenesisFile()
    const r = run(s, [oracleTx(S0, T0, [0], [5_900_000_000_000n]), oracleTx(S2, T0, [0], [6_000_123_000_001n])], T0)
    // (5_900_000_000_000 + 6_000_123_000_001) / 2 = 5_950_061_500_000.5 → 5_950_061_500_000
    expect(r.events).toEqual([{ type: 'oraclePrice', market: 0, price: 5_950_061_500_000n, reports: 2 }])
    expect(s.markets[0]?.oraclePrice).toBe(5_950_061_500_000n)
  })

  it('one report is below the quorum of 2: the price stays, the report is still accepted', () => {
    const s = stateFromGenesisFile()
    const r = run(s, [oracleTx(S0, T0, [0], [5_000_000_000_000n])], T0)
    expect(r.receipts[0]?.ok).toBe(true)
    expect(r.events).toEqual([])
    expect(s.markets[0]?.oraclePrice).toBe(BTC_60000)
    expect(s.markets[0]?.oracleTime).toBe(GENESIS_TIME)
    expect(s.global.oracleLastTimestamp.get(S0)).toBe(T0)
  })

  it('two reports of one signer count once (the later replaces the earlier): no quorum', () => {
    const s = stateFromGenesisFile()
    const r = run(
      s,
      [oracleTx(S0, T0 - 5n, [0], [5_000_000_000_000n]), oracleTx(S0, T0, [0], [5_100_000_000_000n])],
      T0,
    )
    expect(r.receipts.map((x) => x.ok)).toEqual([true, true])
    expect(r.events).toEqual([])
    expect(s.markets[0]?.oraclePrice).toBe(BTC_60000)

    // with a second signer the quorum is met; S0 counts with its later price:
    // median of 5_100_000_000_000 and 5_300_000_000_000 = 5_200_000_000_000
    const s2 = stateFromGenesisFile()
    const r2 = run(
      s2,
      [
        oracleTx(S0, T0 - 5n, [0], [5_000_000_000_000n]),
        oracleTx(S0, T0, [0], [5_100_000_000_000n]),
        oracleTx(S1, T0, [0], [5_300_000_000_000n]),
      ],
      T0,
    )
    expect(r2.events).toEqual([{ type: 'oraclePrice', market: 0, price: 5_200_000_000_000n, reports: 2 }])
  })

  it('orders of the block see the block price even when listed before the reports', () => {
    // X (collateral 2_850_000) rests a buy 1000 at $57,000.
    // at the $60,000 genesis price: ceil(ceil(1000 * 6e12 / 1e8) * 0.05) = 3_000_000 > 2_850_000 → would be rejected
    // at $57,000: ceil(57_000_000 * 0.05) = 2_850_000, no adverse loss (bought at the oracle) → accepted
    const X = addr(0x33)
    const s = withoutVolatilityScaling(stateWithAccounts([{ address: X, collateral: 2_850_000n }]))
    const p = 5_700_000_000_000n
    const r = run(
      s,
      [
        orderTx(orderMsg(X, { isBuy: true, price: p, size: 1000n })),
        oracleTx(S0, T0, [0], [p]),
        oracleTx(S1, T0, [0], [p]),
      ],
      T0,
    )
    expect(r.receipts.map((x) => x.ok)).toEqual([true, true, true])
    expect(s.orders.size).toBe(1)
  })
})

describe('rejected reports', () => {
  it('a signer outside the oracle set → UNKNOWN_ORACLE_SIGNER, nothing changes', () => {
    const s = stateFromGenesisFile()
    const outsider = ACCOUNTS[0] as (typeof ACCOUNTS)[number]
    const r = run(
      s,
      [oracleTx(outsider, T0, [0], [5_000_000_000_000n]), oracleTx(S0, T0, [0], [5_000_000_000_000n])],
      T0,
    )
    expect(r.receipts[0]?.code).toBe(REJECT.unknownOracleSigner)
    expect(r.receipts[1]?.ok).toBe(true)
    // only one valid report: below quorum
    expect(r.events).toEqual([])
    expect(s.markets[0]?.oraclePrice).toBe(BTC_60000)
    expect(s.global.oracleLastTimestamp.has(outsider)).toBe(false)
  })

  it('a report signed by someone other than its signer field → UNAUTHORIZED', () => {
    const s = stateFromGenesisFile()
    const r = run(s, [oracleTx(S0, T0, [0], [5_000_000_000_000n], S1)], T0)
    expect(r.receipts[0]?.code).toBe(REJECT.unauthorized)
    expect(s.global.oracleLastTimestamp.size).toBe(0)
  })

  it('older than maxReportAgeMs at block time → STALE_ORACLE_REPORT (exactly maxReportAgeMs is still fresh)', () => {
    const s = stateFromGenesisFile()
    const time = T0 + 20_000n
    const r = run(
      s,
      [
        oracleTx(S0, time - 10_000n, [0], [5_000_000_000_000n]), // timestamp + 10_000 = time: not older → fresh
        oracleTx(S1, time - 10_001n, [0], [5_000_000_000_000n]), // timestamp + 10_000 < time → stale
        oracleTx(S2, time - 9_999n, [0], [5_200_000_000_000n]),
      ],
      time,
    )
    expect(r.receipts.map((x) => x.code ?? 'ok')).toEqual(['ok', REJECT.staleOracleReport, 'ok'])
    // the two fresh ones: floor((5.0e12 + 5.2e12) / 2) = 5_100_000_000_000
    expect(r.events).toEqual([{ type: 'oraclePrice', market: 0, price: 5_100_000_000_000n, reports: 2 }])
    expect(s.global.oracleLastTimestamp.has(S1)).toBe(false)
  })

  it('further than maxFutureDriftMs ahead of block time → STALE_ORACLE_REPORT', () => {
    const s = stateFromGenesisFile()
    const r = run(
      s,
      [oracleTx(S0, T0 + 2_000n, [0], [5_000_000_000_000n]), oracleTx(S1, T0 + 2_001n, [0], [5_000_000_000_000n])],
      T0,
    )
    expect(r.receipts.map((x) => x.code ?? 'ok')).toEqual(['ok', REJECT.staleOracleReport])
  })

  it("not newer than the same signer's last accepted report → STALE_ORACLE_REPORT", () => {
    const s = stateFromGenesisFile()
    expect(run(s, [oracleTx(S0, T0, [0], [5_000_000_000_000n])], T0).receipts[0]?.ok).toBe(true)
    const t1 = T0 + 250n
    const r = run(
      s,
      [
        oracleTx(S0, T0, [0], [5_500_000_000_000n]), // equal: not newer
        oracleTx(S0, T0 - 1n, [0], [5_500_000_000_000n]), // older
        oracleTx(S1, T0, [0], [5_500_000_000_000n]), // another signer's first report at the same time is fine
        oracleTx(S0, T0 + 1n, [0], [5_700_000_000_000n]), // newer
        oracleTx(S0, T0 + 1n, [0], [5_900_000_000_000n]), // equal to the one just accepted in this block
      ],
      t1,
    )
    expect(r.receipts.map((x) => x.code ?? 'ok')).toEqual([
      REJECT.staleOracleReport,
      REJECT.staleOracleReport,
      'ok',
      'ok',
      REJECT.staleOracleReport,
    ])
    // S0 at 5.7e12 and S1 at 5.5e12 → 5_600_000_000_000
    expect(r.events).toEqual([{ type: 'oraclePrice', market: 0, price: 5_600_000_000_000n, reports: 2 }])
    expect(s.global.oracleLastTimestamp.get(S0)).toBe(T0 + 1n)
  })

  it('unknown market in a report → UNKNOWN_MARKET, non-positive price → INVALID_PRICE; neither counts', () => {
    const s = stateFromGenesisFile()
    const r = run(
      s,
      [oracleTx(S0, T0, [0, 9], [5_000_000_000_000n, 1n]), oracleTx(S1, T0, [0, 1], [5_000_000_000_000n, 0n])],
      T0,
    )
    expect(r.receipts.map((x) => x.code)).toEqual([REJECT.unknownMarket, REJECT.invalidPrice])
    expect(r.events).toEqual([])
    expect(s.markets[1]?.oraclePrice).toBe(ETH_3000)
    expect(s.global.oracleLastTimestamp.size).toBe(0)
  })
})
