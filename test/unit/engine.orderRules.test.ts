/**
 * Order rules of the margin engine (engine/txs/placeOrder.ts, rateLimits.ts, restingOrders.ts): size and notional
 * limits, position limit, open-interest cap, rate limits, reduce-only resting orders, expiry at block start,
 * and no risk-increasing fill on a stale oracle price. Devnet BTC-USD: $60,000, lot 0.001 BTC (1000 units).
 */
import { describe, expect, it } from 'vitest'
import type { State } from '../../engine/index.ts'
import { allLeaves, markPrice, REJECT, stateFromLeaves } from '../../engine/index.ts'
import { usedNonces } from '../../engine/nonces.ts'
import {
  ACCOUNTS,
  BTC_60000,
  GENESIS_TIME,
  orderMsg,
  orderTx,
  run,
  run1,
  stateFromGenesisFile,
  subOf,
  T0,
} from './helpers/engineFixtures.ts'

const [A, B, C, D] = ACCOUNTS as [`0x${string}`, `0x${string}`, `0x${string}`, `0x${string}`]
const btc = (s: State) => s.markets[0] as NonNullable<State['markets'][0]>
const sell = (account: `0x${string}`, size: bigint, price = BTC_60000) =>
  orderTx(orderMsg(account, { isBuy: false, size, price }))
const buyIoc = (account: `0x${string}`, size: bigint, price = BTC_60000) =>
  orderTx(orderMsg(account, { isBuy: true, size, price, timeInForce: 1 }))

describe('size and notional limits', () => {
  it('a size under minOrderSize is refused even on the lot', () => {
    const s = stateFromGenesisFile()
    btc(s).minOrderSize = 5000n
    expect(run1(s, buyIoc(A, 2000n)).code).toBe(REJECT.invalidSize)
  })

  it('notional over maxOrderNotional ($10M) is refused: 100 BTC at $110,000 = $11M', () => {
    const s = stateFromGenesisFile()
    const r = run1(s, orderTx(orderMsg(A, { size: 100_000_000n, price: 11_000_000_000_000n })))
    expect(r.code).toBe(REJECT.invalidSize)
    expect(r.error).toMatch(/notional/)
  })
})

describe('position limit and open-interest cap', () => {
  it('a taker may not pass maxPositionSize, but may reduce', () => {
    const s = stateFromGenesisFile()
    btc(s).maxPositionSize = 5000n
    // a resting order counts at its worst case: a sell of 10,000 could leave B short 10,000
    expect(run1(s, sell(B, 10_000n)).code).toBe(REJECT.positionLimit)
    run(s, [sell(B, 5000n), sell(C, 5000n)])
    expect(run1(s, buyIoc(A, 6000n)).code).toBe(REJECT.positionLimit)
    expect(run1(s, buyIoc(A, 5000n)).ok).toBe(true)
    expect(run1(s, buyIoc(A, 1000n)).code).toBe(REJECT.positionLimit)
    // D bids below C's remaining ask; A reduces into that bid
    run(s, [orderTx(orderMsg(D, { isBuy: true, size: 1000n, price: 5_900_000_000_000n }))])
    const reduce = orderTx(orderMsg(A, { isBuy: false, size: 1000n, price: 5_900_000_000_000n, timeInForce: 1 }))
    expect(run1(s, reduce).ok).toBe(true)
    expect(subOf(s, A).positions.get(0)?.size).toBe(4000n)
  })

  it('fills that would raise long open interest above the cap are refused; ones that keep it are not', () => {
    const s = stateFromGenesisFile()
    btc(s).openInterestCap = 3000n
    run(s, [sell(B, 10_000n)])
    expect(run1(s, buyIoc(A, 3000n)).ok).toBe(true) // OI 0 → 3000
    expect(run1(s, buyIoc(C, 1000n)).code).toBe(REJECT.openInterestCap) // would be 4000
    run(s, [orderTx(orderMsg(D, { isBuy: true, size: 1000n }))])
    // A sells 1000 to D: A 3000 → 2000 long, D 0 → 1000 long: OI stays 3000
    expect(run1(s, orderTx(orderMsg(A, { isBuy: false, size: 1000n, timeInForce: 1 }))).ok).toBe(true)
    expect(btc(s).longOpenInterest).toBe(3000n)
    expect(btc(s).shortOpenInterest).toBe(3000n)
  })
})

describe('rate limits', () => {
  it('the third order in a window of maxOrders = 2 is refused and uses its nonce; a later window allows again', () => {
    const s = stateFromGenesisFile()
    s.rateLimits.maxOrders = 2
    const low = 5_000_000_000_000n
    const third = orderMsg(A, { isBuy: true, size: 1000n, price: low, timeInForce: 1 })
    const r = run(s, [buyIoc(A, 1000n, low), buyIoc(A, 1000n, low), orderTx(third)])
    expect(r.receipts.map((x) => x.code ?? 'ok')).toEqual(['ok', 'ok', REJECT.rateLimited])
    expect(usedNonces(s.nonces.get(A) ?? { words: [] })).toContain(third.nonce)
    for (let i = 0; i < 40; i++) run(s, []) // windowBlocks = 40: the next window has begun
    expect(run1(s, buyIoc(A, 1000n, 5_000_000_000_000n)).ok).toBe(true)
  })
})

describe('reduce-only resting orders', () => {
  it('rest clipped to the position, fill only while they reduce, and are cancelled when they cannot', () => {
    const s = stateFromGenesisFile()
    run(s, [sell(B, 3000n)])
    run(s, [buyIoc(A, 3000n)]) // A long 0.003 BTC
    const ro = orderTx(orderMsg(A, { isBuy: false, size: 5000n, price: 6_100_000_000_000n, reduceOnly: true }))
    const placed = run1(s, ro)
    expect(placed.events).toEqual([expect.objectContaining({ type: 'orderPlaced', size: 3000n })]) // clipped
    // A closes elsewhere: D bids, A sells 3000 IOC into it
    run(s, [orderTx(orderMsg(D, { isBuy: true, size: 3000n }))])
    expect(run1(s, orderTx(orderMsg(A, { isBuy: false, size: 3000n, timeInForce: 1 }))).ok).toBe(true)
    expect(subOf(s, A).positions.size).toBe(0)
    // C's buy reaches A's reduce-only sell, which can no longer reduce: cancelled, nothing fills
    const r = run1(s, buyIoc(C, 1000n, 6_100_000_000_000n))
    expect(r.events.map((e) => (e.type === 'orderCanceled' ? e.reason : e.type))).toEqual(['reduceOnly', 'unfilled'])
    expect(subOf(s, A).openOrders.size).toBe(0)
  })

  it('a plain order of the same maker that fills earlier in the sweep uses up the reduce-only room', () => {
    const s = stateFromGenesisFile()
    run(s, [sell(B, 2000n)])
    run(s, [buyIoc(A, 2000n)]) // A long 0.002 BTC
    // A rests a plain sell of 0.002 at $60,000, then a reduce-only sell of 0.002 behind it at the same price
    run(s, [sell(A, 2000n)])
    const ro = orderTx(orderMsg(A, { isBuy: false, size: 2000n, price: BTC_60000, reduceOnly: true }))
    expect(run1(s, ro).ok).toBe(true)
    // C buys 0.004: the plain sell fills 0.002 and flattens A, so the reduce-only sell has no room left and is
    // cancelled; had the room been read from A's position before the sweep, A would end short 0.002.
    // (executeOrder reports cancellations before fills)
    const r = run1(s, buyIoc(C, 4000n))
    expect(r.events.map((e) => (e.type === 'orderCanceled' ? e.reason : e.type))).toEqual([
      'reduceOnly',
      'fill',
      'unfilled',
    ])
    expect(subOf(s, A).positions.size).toBe(0)
    expect(subOf(s, C).positions.get(0)?.size).toBe(2000n)
  })
})

describe('expiry at block start', () => {
  it('an order with expiresAt ≤ block time is removed before the block’s transactions, as a block event', () => {
    const s = stateFromGenesisFile()
    run(s, [orderTx(orderMsg(A, { isBuy: true, size: 1000n, expiresAt: T0 + 5000n }))])
    expect(run(s, [], T0 + 4999n).events).toEqual([])
    const r = run(s, [], T0 + 5000n)
    expect(r.events).toEqual([{ type: 'orderCanceled', market: 0, orderId: 1n, reason: 'expired' }])
    expect(s.orders.size).toBe(0)
    expect(s.expiries).toEqual([])
  })
})

describe('stale oracle price (older than maxPriceAgeMs = 30 s at block time)', () => {
  const stale = GENESIS_TIME + 30_001n

  it('refuses an order that opens risk, accepts one that reduces, and skips makers that would add risk', () => {
    const s = stateFromGenesisFile()
    run(s, [sell(B, 2000n)])
    run(s, [buyIoc(A, 1000n)]) // A long 1000, B short 1000 with 1000 still resting
    expect(run1(s, buyIoc(C, 1000n), stale).code).toBe(REJECT.oracleStale)
    // A reduces by selling into D's bid; D's fill opens a long for D: as a maker on a stale price it is skipped
    run(s, [orderTx(orderMsg(D, { isBuy: true, size: 1000n, price: 5_900_000_000_000n }))], T0)
    const r = run1(
      s,
      orderTx(orderMsg(A, { isBuy: false, size: 1000n, price: 5_900_000_000_000n, timeInForce: 1 })),
      stale,
    )
    expect(r.ok).toBe(true)
    expect(r.events).toEqual([expect.objectContaining({ type: 'orderCanceled', reason: 'unfilled' })])
    expect(subOf(s, A).positions.get(0)?.size).toBe(1000n)
    // B (short) may buy back from the resting sells of others only as a reduction; its own sell is self-trade
  })
})

describe('a remainder never rests across a maker the gate passed over', () => {
  it('on a stale price, a reducing GTC buy does not rest against a sell whose fill would add to its owner’s short', () => {
    const s = stateFromGenesisFile()
    run(s, [sell(B, 1000n)])
    run(s, [orderTx(orderMsg(C, { isBuy: true, size: 1000n, price: 5_900_000_000_000n }))]) // D's short comes from here:
    run(s, [orderTx(orderMsg(D, { isBuy: false, size: 1000n, price: 5_900_000_000_000n, timeInForce: 1 }))]) // D short 1000
    run(s, [sell(A, 2000n, 6_050_000_000_000n)]) // A rests a sell at $60,500 (flat A: opening risk if filled)
    const stale = GENESIS_TIME + 30_001n
    // D buys back at $60,600, GTC: B's sell at $60,000 would open... B is flat → passed over; A's likewise
    const r = run1(s, orderTx(orderMsg(D, { isBuy: true, size: 1000n, price: 6_060_000_000_000n })), stale)
    expect(r.ok).toBe(true)
    expect(r.events.map((e) => (e.type === 'orderCanceled' ? e.reason : e.type))).toEqual(['unfilled'])
    const book = s.books[0] as NonNullable<State['books'][0]>
    expect(book.bids.length).toBe(0) // nothing rested at $60,600 above the asks
    expect(book.asks[0]?.price).toBe(BTC_60000)
  })
})

describe('mark price', () => {
  it('is the median of oracle, clamped mid and clamped last trade', () => {
    const s = stateFromGenesisFile()
    // no book, no trade: all three are the oracle
    expect(markPrice(s, 0)).toBe(BTC_60000)
    run(s, [orderTx(orderMsg(A, { isBuy: true, size: 1000n, price: 7_000_000_000_000n }))]) // bid $70,000
    run(s, [orderTx(orderMsg(B, { isBuy: false, size: 2000n, price: 7_200_000_000_000n }))]) // ask $72,000
    btc(s).lastTradePrice = 6_200_000_000_000n
    // mid $71,000 and last $62,000 are clamped to $60,000 × 1.02 = $61,200: median(60,000, 61,200, 61,200)
    expect(markPrice(s, 0)).toBe(6_120_000_000_000n)
    btc(s).lastTradePrice = 5_900_000_000_000n // $59,000 within the band: median(60,000, 61,200, 59,000)
    expect(markPrice(s, 0)).toBe(BTC_60000)
  })
})

describe('staleness survives a restart', () => {
  it('a state rebuilt from its leaves keeps the oracle time, so a stale price stays stale', () => {
    const s = stateFromGenesisFile()
    const leaves = allLeaves(s).flatMap((w) => (w.value === null ? [] : [[w.key, w.value] as const]))
    const rebuilt = stateFromLeaves(leaves)
    expect(rebuilt.markets[0]?.oracleTime).toBe(GENESIS_TIME)
    expect(run1(rebuilt, buyIoc(C, 1000n), GENESIS_TIME + 30_001n).code).toBe(REJECT.oracleStale)
  })
})

describe('maker rebate', () => {
  it('a negative maker fee pays the maker from the fee pool, rounded toward the pool', () => {
    const s = stateFromGenesisFile()
    btc(s).makerFeePpm = -100n // 1 bp rebate; taker still pays 5 bp
    run(s, [sell(B, 3000n)])
    const before = subOf(s, B).collateral
    const r = run1(s, buyIoc(A, 3000n))
    // quote = 3000 × 6e12 / 1e8 = 180,000,000; rebate = ceil(−18,000) = −18,000; taker fee = 90,000
    expect(r.events[0]).toMatchObject({ type: 'fill', makerFee: -18_000n, takerFee: 90_000n })
    expect(subOf(s, B).collateral).toBe(before + 180_000_000n + 18_000n)
    expect(s.global.feePool).toBe(90_000n - 18_000n)
  })
})
