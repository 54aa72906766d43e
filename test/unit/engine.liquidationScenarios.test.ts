/**
 * Market-crash scenarios for the liquidation pipeline: BTC falls 20% in ten one-second blocks (2% of the
 * starting price per block, inside the 10% jump guard) and then holds, while 30 accounts are long at 3× to 8×
 * leverage against one well-funded market maker. Every block runs applyBlock's invariants (conservation, long
 * = short open interest), so each scenario also checks that no path creates or destroys collateral.
 *
 * 1. Liquidators present: a bot takes every live auction in full in the next block. Zero bad debt: no
 *    deleveraging, no takeover of a negative equity, and no account ends below zero.
 * 2. No liquidators: auctions run to the bankruptcy point and the insurance fund takes the accounts over.
 * 3. No liquidators and an empty fund: the bankrupt accounts are deleveraged against the maker.
 */
import { describe, expect, it } from 'vitest'
import type { Address, State, TxEvent, VerifiedTx } from '../../engine/index.ts'
import { equity, INSURANCE_FUND_ADDRESS, insuranceFundId } from '../../engine/index.ts'
import {
  addr,
  fresh,
  oracleTx,
  orderMsg,
  orderTx,
  run,
  SIGNERS,
  stateWithAccounts,
  subOf,
  T0,
  uniqueHash,
  withoutVolatilityScaling,
} from './helpers/engineFixtures.ts'

const M = addr(0x01)
const LIQUIDATOR = addr(0x02)
const TRADERS = Array.from({ length: 30 }, (_, i) => addr(0x10 + i))
const [S0, S1] = SIGNERS as [Address, Address]
/** 0.1 BTC each, $6,000 of notional at $60,000 */
const SIZE = 100_000n
const NOTIONAL = 6_000_000_000n

function population(): State {
  const s = withoutVolatilityScaling(
    stateWithAccounts([
      { address: M, collateral: 10_000_000_000_000n },
      { address: LIQUIDATOR, collateral: 10_000_000_000_000n },
      // leverage 3× … 8× in even steps: collateral = notional / leverage + the 0.05% taker fee (3,000,000)
      ...TRADERS.map((address, i) => ({ address, collateral: (NOTIONAL * 6n) / (18n + BigInt(i)) + 3_000_000n })),
    ]),
  )
  run(s, [orderTx(orderMsg(M, { isBuy: false, size: SIZE * BigInt(TRADERS.length) }))], T0)
  const buys = TRADERS.map((t) => orderTx(orderMsg(t, { isBuy: true, size: SIZE, timeInForce: 1 })))
  const r = run(s, buys, T0)
  expect(r.receipts.every((x) => x.ok)).toBe(true)
  return s
}

function bids(s: State): VerifiedTx[] {
  return [...s.auctions.values()].map((a) => ({
    kind: 'auctionBid',
    // bidders buy here: a limit at the start price accepts any price the auction can reach before a reset
    message: {
      account: LIQUIDATOR,
      subaccount: 0,
      auctionId: a.id,
      size: a.size,
      limitPrice: a.startPrice,
      nonce: fresh(),
    },
    hash: uniqueHash(),
    signer: LIQUIDATOR,
  }))
}

function crash(s: State, withLiquidators: boolean): TxEvent[] {
  const events: TxEvent[] = []
  for (let k = 1n; k <= 90n; k++) {
    const time = T0 + k * 1_000n
    const p = 6_000_000_000_000n - (k <= 10n ? k : 10n) * 120_000_000_000n // −$1,200 a block to $48,000
    const txs = [oracleTx(S0, time, [0], [p]), oracleTx(S1, time, [0], [p]), ...(withLiquidators ? bids(s) : [])]
    const r = run(s, txs, time)
    events.push(...r.events, ...r.receipts.flatMap((x) => x.events))
  }
  return events
}

const count = (events: TxEvent[], type: TxEvent['type']): number => events.filter((e) => e.type === type).length

function tradersBelowZero(s: State): Address[] {
  return TRADERS.filter((t) => {
    const sub = s.subaccounts.get(`${t}:0`)
    return sub !== undefined && equity(s, sub) < 0n
  })
}

describe('a 20% crash over ten blocks', () => {
  it('with liquidators present closes the risky accounts with zero bad debt', () => {
    const s = population()
    const fundBefore = equity(s, subOf(s, INSURANCE_FUND_ADDRESS))
    const events = crash(s, true)
    expect(count(events, 'auctionStarted')).toBeGreaterThan(0)
    expect(count(events, 'auctionFill')).toBeGreaterThan(0)
    expect(count(events, 'deleveraged')).toBe(0)
    for (const e of events) if (e.type === 'insuranceTakeover') expect(e.equity >= 0n).toBe(true)
    expect(count(events, 'insuranceTakeover')).toBe(0)
    expect(equity(s, subOf(s, INSURANCE_FUND_ADDRESS))).toBeGreaterThan(fundBefore) // it collected penalties
    expect(tradersBelowZero(s)).toEqual([])
    expect(s.auctions.size).toBe(0)
  })

  it('with no liquidators the insurance fund takes the accounts over', () => {
    const s = population()
    const events = crash(s, false)
    expect(count(events, 'auctionFill')).toBe(0)
    expect(count(events, 'insuranceTakeover')).toBeGreaterThan(0)
    expect(count(events, 'deleveraged')).toBe(0)
    expect(tradersBelowZero(s)).toEqual([])
    expect(s.subaccounts.get(insuranceFundId())?.positions.get(0)?.size ?? 0n).toBeGreaterThan(0n)
  })

  it('with no liquidators and an empty fund, deleveraging settles the bankrupt accounts against the maker', () => {
    const s = population()
    const fund = s.subaccounts.get(insuranceFundId())
    if (fund === undefined) throw new Error('no fund')
    fund.collateral = 0n
    const makerShortBefore = subOf(s, M).positions.get(0)?.size ?? 0n
    const events = crash(s, false)
    expect(count(events, 'deleveraged')).toBeGreaterThan(0)
    for (const e of events) if (e.type === 'deleveraged') expect(e.counterparty).toBe(M)
    expect(tradersBelowZero(s)).toEqual([])
    // the maker's short shrank by what was deleveraged against it
    const deleveraged = events.reduce((n, e) => n + (e.type === 'deleveraged' ? e.size : 0n), 0n)
    expect(subOf(s, M).positions.get(0)?.size).toBe(makerShortBefore + deleveraged)
  })
})
