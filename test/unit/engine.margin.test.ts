/**
 * Margin: the initial-margin check on orders (with resting orders, initialMarginWithOrders), its exact boundary,
 * and equity / maintenance margin after an oracle move, with the rounding directions of engine/margin.ts:
 *
 *   positionValue = floor(size * oracle / 1e8)        (toward −∞, also for a short)
 *   notional      = ceil(|size| * oracle / 1e8)
 *   requirement   = ceil(notional * fraction / 1e6)   IMF 50_000, MMF 30_000
 *   adverse loss  = ceil(|price − oracle| * size / 1e8) for a resting order priced worse than the oracle
 */
import { describe, expect, it } from 'vitest'
import type { State } from '../../engine/index.ts'
import { equity, initialMarginWithOrders, insuranceFundId, maintenanceMargin, REJECT } from '../../engine/index.ts'
import {
  addr,
  BTC_60000,
  leavesWithoutNonces,
  oracleTx,
  orderMsg,
  orderTx,
  run,
  run1,
  SIGNERS,
  stateWithAccounts,
  subOf,
  T0,
  withoutVolatilityScaling,
} from './helpers/engineFixtures.ts'

const M = addr(0x11) // market maker with plenty of collateral
const X = addr(0x22) // the account under test
const IOC = 1
const [S0, S1] = SIGNERS as [(typeof SIGNERS)[number], (typeof SIGNERS)[number]]

function twoAccounts(collateralX: bigint): State {
  return stateWithAccounts([
    { address: M, collateral: 1_000_000_000_000n },
    { address: X, collateral: collateralX },
  ])
}

describe('initial margin on a resting order', () => {
  // buy 1000 (0.001 BTC) at $60,010 while the oracle is $60,000:
  //   notional    = ceil(1000 * 6_000_000_000_000 / 1e8) = 60_000_000
  //   requirement = ceil(60_000_000 * 50_000 / 1e6)      = 3_000_000
  //   adverse     = ceil((6_001_000_000_000 − 6_000_000_000_000) * 1000 / 1e8) = ceil(10_000) = 10_000
  //   initial     = 3_010_000
  const price = 6_001_000_000_000n

  it('is accepted when equity equals the requirement exactly', () => {
    const s = twoAccounts(3_010_000n)
    const r = run1(s, orderTx(orderMsg(X, { isBuy: true, price, size: 1000n })))
    expect(r.ok).toBe(true)
    expect(r.events.map((e) => e.type)).toEqual(['orderPlaced'])
    expect(equity(s, subOf(s, X))).toBe(3_010_000n)
    expect(initialMarginWithOrders(s, subOf(s, X))).toBe(3_010_000n)
  })

  it('is rejected one unit below, and nothing but the nonce window is written', () => {
    const s = twoAccounts(3_009_999n)
    const before = leavesWithoutNonces(s)
    const result = run(s, [orderTx(orderMsg(X, { isBuy: true, price, size: 1000n }))])
    const r = result.receipts[0]
    expect(r?.ok).toBe(false)
    expect(r?.code).toBe(REJECT.insufficientMargin)
    expect(leavesWithoutNonces(s)).toEqual(before)
    expect(result.dirty.global).toBe(false)
    expect(result.dirty.markets.size).toBe(0)
    expect(result.dirty.subaccounts.size).toBe(0)
    expect(result.dirty.orders.size).toBe(0)
    expect([...result.dirty.nonces]).toEqual([X])
    expect(s.orders.size).toBe(0)
    expect(s.global.nextOrderId).toBe(1n)
  })
})

describe('initial margin counts the resting orders', () => {
  // one buy 1000 at the oracle: worst = 1000, requirement = ceil(60_000_000 * 0.05) = 3_000_000
  // two buys 1000 + 1000: worst = max(|0 + 2000|, |0 − 0|) = 2000, notional 120_000_000, requirement 6_000_000
  it('a second buy needs margin for both: accepted at exactly 6_000_000', () => {
    const s = twoAccounts(6_000_000n)
    expect(run1(s, orderTx(orderMsg(X, { isBuy: true, price: BTC_60000, size: 1000n }))).ok).toBe(true)
    expect(run1(s, orderTx(orderMsg(X, { isBuy: true, price: BTC_60000, size: 1000n }))).ok).toBe(true)
    expect(initialMarginWithOrders(s, subOf(s, X))).toBe(6_000_000n)

    // sells do not add to buys: buys 2000, sells 2000 at $61,000 (above the oracle, no adverse loss)
    // worst = max(|0 + 2000|, |0 − 2000|) = 2000 → still 6_000_000
    const sell = run1(s, orderTx(orderMsg(X, { isBuy: false, price: 6_100_000_000_000n, size: 2000n })))
    expect(sell.ok).toBe(true)
    expect(initialMarginWithOrders(s, subOf(s, X))).toBe(6_000_000n)

    // one more sell 1000: sells 3000 → worst 3000, notional 180_000_000, requirement 9_000_000 > 6_000_000
    const more = run1(s, orderTx(orderMsg(X, { isBuy: false, price: 6_100_000_000_000n, size: 1000n })))
    expect(more.code).toBe(REJECT.insufficientMargin)
    expect(subOf(s, X).openOrders.size).toBe(3)
  })

  it('a second buy is rejected at 5_999_999 although alone it would need only 3_000_000', () => {
    const s = twoAccounts(5_999_999n)
    expect(run1(s, orderTx(orderMsg(X, { isBuy: true, price: BTC_60000, size: 1000n }))).ok).toBe(true)
    const before = leavesWithoutNonces(s)
    const r = run1(s, orderTx(orderMsg(X, { isBuy: true, price: BTC_60000, size: 1000n })))
    expect(r.ok).toBe(false)
    expect(r.code).toBe(REJECT.insufficientMargin)
    expect(leavesWithoutNonces(s)).toEqual(before)
    expect(subOf(s, X).openOrders.size).toBe(1)
  })
})

describe('initial margin of a taker fill', () => {
  // X buys 1000 at $60,000 from M's ask:
  //   collateral' = C − 60_000_000 − 30_000 (taker fee ceil(60_000_000 * 500 / 1e6))
  //   equity'     = C − 60_030_000 + floor(1000 * 6e12 / 1e8) = C − 30_000
  //   initial     = ceil(60_000_000 * 50_000 / 1e6) = 3_000_000  →  boundary C = 3_030_000
  function withAsk(collateralX: bigint): State {
    const s = twoAccounts(collateralX)
    expect(run1(s, orderTx(orderMsg(M, { isBuy: false, price: BTC_60000, size: 1000n }))).ok).toBe(true)
    return s
  }

  it('is accepted at equity == initial margin after the fill', () => {
    const s = withAsk(3_030_000n)
    const r = run1(s, orderTx(orderMsg(X, { isBuy: true, price: BTC_60000, size: 1000n, timeInForce: IOC })))
    expect(r.ok).toBe(true)
    expect(subOf(s, X).collateral).toBe(-57_000_000n) // 3_030_000 − 60_030_000
    expect(equity(s, subOf(s, X))).toBe(3_000_000n)
    expect(initialMarginWithOrders(s, subOf(s, X))).toBe(3_000_000n)
  })

  it('is rejected one unit below, leaving the book and balances as they were', () => {
    const s = withAsk(3_029_999n)
    const before = leavesWithoutNonces(s)
    const r = run1(s, orderTx(orderMsg(X, { isBuy: true, price: BTC_60000, size: 1000n, timeInForce: IOC })))
    expect(r.code).toBe(REJECT.insufficientMargin)
    expect(leavesWithoutNonces(s)).toEqual(before)
    expect(s.books[0]?.asks[0]?.orders[0]?.size).toBe(1000n)
  })
})

describe('equity and maintenance margin after an oracle move', () => {
  // X long 1000 with collateral −57_000_000 (as above); M short 1000 with collateral
  // 1e12 + 60_000_000 − 6_000 (maker fee ceil(60_000_000 * 100 / 1e6)) = 1_000_059_994_000
  function afterTrade(): State {
    const s = twoAccounts(3_030_000n)
    run1(s, orderTx(orderMsg(M, { isBuy: false, price: BTC_60000, size: 1000n })))
    run1(s, orderTx(orderMsg(X, { isBuy: true, price: BTC_60000, size: 1000n, timeInForce: IOC })))
    expect(subOf(s, M).collateral).toBe(1_000_059_994_000n)
    return s
  }

  it('rounds a long down and a short toward −∞ at a price that does not divide evenly', () => {
    const s = afterTrade()
    // two reports: median = floor((6_000_000_000_000 + 6_000_000_000_003) / 2) = 6_000_000_000_001
    const r = run(s, [oracleTx(S0, T0, [0], [6_000_000_000_000n]), oracleTx(S1, T0, [0], [6_000_000_000_003n])], T0)
    expect(r.events).toEqual([{ type: 'oraclePrice', market: 0, price: 6_000_000_000_001n, reports: 2 }])
    expect(s.markets[0]?.oraclePrice).toBe(6_000_000_000_001n)

    // 1000 * 6_000_000_000_001 / 1e8 = 60_000_000.00001
    // long:  positionValue = floor(60_000_000.00001) = 60_000_000 → equity = −57_000_000 + 60_000_000 = 3_000_000
    expect(equity(s, subOf(s, X))).toBe(3_000_000n)
    // short: positionValue = floor(−60_000_000.00001) = −60_000_001 → equity = 1_000_059_994_000 − 60_000_001
    expect(equity(s, subOf(s, M))).toBe(999_999_993_999n)
    // both: notional = ceil(60_000_000.00001) = 60_000_001; maintenance = ceil(60_000_001 * 0.03)
    //       = ceil(1_800_000.03) = 1_800_001
    expect(maintenanceMargin(s, subOf(s, X))).toBe(1_800_001n)
    expect(maintenanceMargin(s, subOf(s, M))).toBe(1_800_001n)
    // initial margin moved too: ceil(60_000_001 * 0.05) = ceil(3_000_000.05) = 3_000_001 > equity 3_000_000,
    // so X can no longer add to its position
    expect(initialMarginWithOrders(s, subOf(s, X))).toBe(3_000_001n)
  })

  it('a drop to $57,000 takes the long below maintenance, and the block that brings it liquidates it', () => {
    const s = withoutVolatilityScaling(afterTrade())
    const btc = s.markets[0] as NonNullable<State['markets'][0]>
    btc.oraclePrice = 5_700_000_000_000n // the formulas first, on the price alone
    // long: −57_000_000 + floor(1000 * 5.7e12 / 1e8) = −57_000_000 + 57_000_000 = 0
    expect(equity(s, subOf(s, X))).toBe(0n)
    // maintenance = ceil(57_000_000 * 30_000 / 1e6) = 1_710_000
    expect(maintenanceMargin(s, subOf(s, X))).toBe(1_710_000n)
    // short: 1_000_059_994_000 − 57_000_000 = 1_000_002_994_000
    expect(equity(s, subOf(s, M))).toBe(1_000_002_994_000n)
    btc.oraclePrice = 6_000_000_000_000n
    const r = run(s, [oracleTx(S0, T0, [0], [5_700_000_000_000n]), oracleTx(S1, T0, [0], [5_700_000_000_000n])], T0)
    // equity 0 ≤ 0: no auction can help, the insurance fund takes the long over at once
    expect(r.events).toContainEqual({ type: 'insuranceTakeover', address: X, subaccount: 0, equity: 0n })
    expect(subOf(s, X).positions.size).toBe(0)
    expect(s.subaccounts.get(insuranceFundId())?.positions.get(0)?.size).toBe(1000n)
  })
})
