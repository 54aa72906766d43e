/**
 * Matching: price-time priority, partial fills, time in force, post-only, self-trade prevention, cancels,
 * order validation, and the money of a fill. Market 0 (BTC-USD): tick 1e7 (= $0.10), lot 1000 (= 0.001 BTC),
 * quote = size * price / 1e8 USDC units, maker fee 100 ppm, taker fee 500 ppm, both rounded up.
 */
import { describe, expect, it } from 'vitest'
import type { Receipt, RestingOrder, State, TxEvent } from '../../engine/index.ts'
import { emptyBook, insertOrder, REJECT, removeOrder, restingByClientId, subaccountId } from '../../engine/index.ts'
import {
  ACCOUNTS,
  BTC_60000,
  cancelAllTx,
  cancelTx,
  GENESIS_COLLATERAL,
  leavesWithoutNonces,
  orderMsg,
  orderTx,
  run,
  run1,
  stateFromGenesisFile,
  subOf,
} from './helpers/engineFixtures.ts'

const [A, B, C, D] = ACCOUNTS as [
  (typeof ACCOUNTS)[number],
  (typeof ACCOUNTS)[number],
  (typeof ACCOUNTS)[number],
  (typeof ACCOUNTS)[number],
]
const IOC = 1
const FOK = 2

/** $59,990.00 and $59,000.00 in price units: both multiples of the 1e7 tick */
const BTC_59990 = 5_999_000_000_000n
const BTC_59000 = 5_900_000_000_000n

function fills(r: Receipt): Extract<TxEvent, { type: 'fill' }>[] {
  return r.events.filter((e): e is Extract<TxEvent, { type: 'fill' }> => e.type === 'fill')
}

function asks(state: State, market = 0): { price: bigint; orders: [bigint, bigint][] }[] {
  return (state.books[market]?.asks ?? []).map((l) => ({ price: l.price, orders: l.orders.map((o) => [o.id, o.size]) }))
}

function bids(state: State, market = 0): { price: bigint; orders: [bigint, bigint][] }[] {
  return (state.books[market]?.bids ?? []).map((l) => ({ price: l.price, orders: l.orders.map((o) => [o.id, o.size]) }))
}

describe('price-time priority', () => {
  it('fills the better price first, then equal prices in arrival order', () => {
    const s = stateFromGenesisFile()
    const r = run(s, [
      orderTx(orderMsg(B, { isBuy: false, price: BTC_60000, size: 1000n })), // id 1
      orderTx(orderMsg(C, { isBuy: false, price: BTC_60000, size: 1000n })), // id 2, same price, later
      orderTx(orderMsg(D, { isBuy: false, price: BTC_59990, size: 1000n })), // id 3, better price, latest
    ])
    expect(r.receipts.map((x) => x.ok)).toEqual([true, true, true])
    const taker = run1(s, orderTx(orderMsg(A, { isBuy: true, price: BTC_60000, size: 2000n, timeInForce: IOC })))
    expect(taker.ok).toBe(true)
    // D's better ask (id 3) first at its own price, then B's (id 1, arrived before C's id 2)
    expect(fills(taker).map((f) => [f.makerOrderId, f.maker, f.price, f.size])).toEqual([
      [3n, D, BTC_59990, 1000n],
      [1n, B, BTC_60000, 1000n],
    ])
    expect(asks(s)).toEqual([{ price: BTC_60000, orders: [[2n, 1000n]] }])
  })

  it('a partially filled maker keeps resting with its id, size reduced, ahead of later orders', () => {
    const s = stateFromGenesisFile()
    run1(s, orderTx(orderMsg(B, { isBuy: false, size: 3000n }))) // id 1
    const r1 = run1(s, orderTx(orderMsg(A, { isBuy: true, size: 1000n })))
    expect(fills(r1).map((f) => [f.makerOrderId, f.size])).toEqual([[1n, 1000n]])
    // 3000 − 1000 = 2000 left on order 1; A filled whole so nothing of A rests and no id is used
    expect(s.orders.get(1n)?.size).toBe(2000n)
    expect(asks(s)).toEqual([{ price: BTC_60000, orders: [[1n, 2000n]] }])
    expect(bids(s)).toEqual([])
    expect(s.global.nextOrderId).toBe(2n)

    run1(s, orderTx(orderMsg(C, { isBuy: false, size: 2000n }))) // id 2, behind order 1
    const r2 = run1(s, orderTx(orderMsg(D, { isBuy: true, size: 3000n, timeInForce: IOC })))
    // order 1's remaining 2000 first, then 1000 of order 2
    expect(fills(r2).map((f) => [f.makerOrderId, f.size])).toEqual([
      [1n, 2000n],
      [2n, 1000n],
    ])
    expect(asks(s)).toEqual([{ price: BTC_60000, orders: [[2n, 1000n]] }])
  })
})

describe('money of a fill', () => {
  it('moves quote and rounded-up fees, opens equal opposite positions, counts open interest', () => {
    const s = stateFromGenesisFile()
    const price = 6_000_010_000_000n // $60,000.10, on tick (600_001 ticks)
    run1(s, orderTx(orderMsg(B, { isBuy: false, price, size: 3000n })))
    const r = run1(s, orderTx(orderMsg(A, { isBuy: true, price, size: 3000n })))
    // quote    = 3000 * 6_000_010_000_000 / 1e8 = 180_000_300
    // takerFee = ceil(180_000_300 * 500 / 1e6) = ceil(90_000.15) = 90_001
    // makerFee = ceil(180_000_300 * 100 / 1e6) = ceil(18_000.03) = 18_001
    expect(r.events).toEqual([
      {
        type: 'fill',
        market: 0,
        price,
        size: 3000n,
        takerIsBuy: true,
        maker: B,
        makerSubaccount: 0,
        makerOrderId: 1n,
        taker: A,
        takerSubaccount: 0,
        makerFee: 18_001n,
        takerFee: 90_001n,
      },
    ])
    // buyer (taker): 1e12 − 180_000_300 − 90_001 = 999_819_909_699
    expect(subOf(s, A).collateral).toBe(999_819_909_699n)
    // seller (maker): 1e12 + 180_000_300 − 18_001 = 1_000_179_982_299
    expect(subOf(s, B).collateral).toBe(1_000_179_982_299n)
    expect(s.global.feePool).toBe(108_002n) // 90_001 + 18_001
    expect(subOf(s, A).positions.get(0)).toEqual({ size: 3000n, cost: 180_000_300n, fundingIndex: 0n }) // no funding interval has elapsed at T0
    expect(subOf(s, B).positions.get(0)).toEqual({ size: -3000n, cost: -180_000_300n, fundingIndex: 0n })
    expect(s.markets[0]?.longOpenInterest).toBe(3000n)
    expect(s.markets[0]?.lastTradePrice).toBe(price)

    // A sells 1000 of its long to C's bid at $60,000: longs are now A 2000 + C 1000, open interest stays 3000
    run1(s, orderTx(orderMsg(C, { isBuy: true, price: BTC_60000, size: 1000n })))
    const r2 = run1(s, orderTx(orderMsg(A, { isBuy: false, price: BTC_60000, size: 1000n, timeInForce: IOC })))
    expect(r2.ok).toBe(true)
    // quote = 1000 * 6e12 / 1e8 = 60_000_000; taker fee = 30_000; maker fee = 6_000 (both exact)
    expect(subOf(s, A).collateral).toBe(999_879_879_699n) // 999_819_909_699 + 60_000_000 − 30_000
    expect(subOf(s, C).collateral).toBe(999_939_994_000n) // 1e12 − 60_000_000 − 6_000
    expect(s.global.feePool).toBe(144_002n) // 108_002 + 30_000 + 6_000
    // cost shrinks in proportion: 180_000_300 − 180_000_300 * 1000 / 3000 = 120_000_200
    expect(subOf(s, A).positions.get(0)).toEqual({ size: 2000n, cost: 120_000_200n, fundingIndex: 0n })
    expect(subOf(s, C).positions.get(0)?.size).toBe(1000n)
    expect(subOf(s, B).positions.get(0)?.size).toBe(-3000n)
    expect(s.markets[0]?.longOpenInterest).toBe(3000n)
    // zero-sum: the three accounts' collateral plus the fee pool is still 3 × 1e12
    const total = subOf(s, A).collateral + subOf(s, B).collateral + subOf(s, C).collateral + s.global.feePool
    expect(total).toBe(3n * GENESIS_COLLATERAL)
  })
})

describe('time in force and post-only', () => {
  it('IOC: the unfilled remainder does not rest', () => {
    const s = stateFromGenesisFile()
    run1(s, orderTx(orderMsg(B, { isBuy: false, size: 1000n })))
    const r = run1(s, orderTx(orderMsg(A, { isBuy: true, size: 3000n, timeInForce: IOC })))
    expect(r.ok).toBe(true)
    expect(r.events.map((e) => e.type)).toEqual(['fill', 'orderCanceled'])
    expect(r.events[1]).toEqual({ type: 'orderCanceled', market: 0, orderId: 0n, reason: 'unfilled' })
    expect(fills(r)[0]?.size).toBe(1000n)
    expect(bids(s)).toEqual([])
    expect(asks(s)).toEqual([])
    expect(s.orders.size).toBe(0)
    expect(subOf(s, A).openOrders.size).toBe(0)
    expect(s.global.nextOrderId).toBe(2n) // only B's order took an id
    expect(subOf(s, A).positions.get(0)?.size).toBe(1000n)
  })

  it('FOK that cannot fill whole changes nothing but the nonce', () => {
    const s = stateFromGenesisFile()
    run1(s, orderTx(orderMsg(B, { isBuy: false, size: 1000n })))
    const before = leavesWithoutNonces(s)
    const r = run1(s, orderTx(orderMsg(A, { isBuy: true, size: 3000n, timeInForce: FOK })))
    expect(r.ok).toBe(true)
    expect(r.events).toEqual([{ type: 'orderCanceled', market: 0, orderId: 0n, reason: 'unfilled' }])
    expect(leavesWithoutNonces(s)).toEqual(before)
    expect(asks(s)).toEqual([{ price: BTC_60000, orders: [[1n, 1000n]] }])
    expect(subOf(s, A).collateral).toBe(GENESIS_COLLATERAL)
    expect(subOf(s, B).collateral).toBe(GENESIS_COLLATERAL)
    expect(s.global.feePool).toBe(0n)

    // the same FOK for exactly the available size fills
    const r2 = run1(s, orderTx(orderMsg(A, { isBuy: true, size: 1000n, timeInForce: FOK })))
    expect(fills(r2).map((f) => f.size)).toEqual([1000n])
    expect(asks(s)).toEqual([])
  })

  it('post-only that would cross is rejected and writes nothing; one that does not cross rests', () => {
    const s = stateFromGenesisFile()
    run1(s, orderTx(orderMsg(B, { isBuy: false, price: BTC_60000, size: 1000n })))
    const before = leavesWithoutNonces(s)
    const r = run1(s, orderTx(orderMsg(A, { isBuy: true, price: BTC_60000, postOnly: true })))
    expect(r.ok).toBe(false)
    expect(r.code).toBe(REJECT.postOnlyWouldCross)
    expect(r.events).toEqual([])
    expect(leavesWithoutNonces(s)).toEqual(before)
    expect(s.orders.size).toBe(1)

    const r2 = run1(s, orderTx(orderMsg(A, { isBuy: true, price: BTC_59990, postOnly: true })))
    expect(r2.ok).toBe(true)
    expect(r2.events).toEqual([
      { type: 'orderPlaced', market: 0, orderId: 2n, price: BTC_59990, size: 1000n, isBuy: true },
    ])
  })
})

describe('self-trade prevention', () => {
  it("cancels the taker's own resting order and fills the next one instead", () => {
    const s = stateFromGenesisFile()
    const own = orderMsg(A, { isBuy: false, price: BTC_60000, size: 1000n })
    run1(s, orderTx(own)) // id 1, A's own ask, first in time
    run1(s, orderTx(orderMsg(B, { isBuy: false, price: BTC_60000, size: 1000n }))) // id 2
    const r = run1(s, orderTx(orderMsg(A, { isBuy: true, price: BTC_60000, size: 1000n })))
    expect(r.ok).toBe(true)
    expect(r.events.map((e) => e.type)).toEqual(['orderCanceled', 'fill'])
    expect(r.events[0]).toEqual({ type: 'orderCanceled', market: 0, orderId: 1n, reason: 'selfTrade' })
    expect(fills(r).map((f) => [f.makerOrderId, f.maker, f.size])).toEqual([[2n, B, 1000n]])
    // A did not trade with itself: it is long 1000 from B, paying 60_000_000 + 30_000 taker fee
    expect(subOf(s, A).positions.get(0)?.size).toBe(1000n)
    expect(subOf(s, A).collateral).toBe(GENESIS_COLLATERAL - 60_030_000n)
    expect(subOf(s, A).openOrders.size).toBe(0)
    expect(s.orders.has(1n)).toBe(false)
    expect(restingByClientId(s, A, 0, 0, own.clientId)).toBeUndefined()
    expect(asks(s)).toEqual([])
  })
})

describe('cancels', () => {
  it('cancel by clientId removes the order from the book and every index', () => {
    const s = stateFromGenesisFile()
    run1(s, orderTx(orderMsg(A, { isBuy: true, price: BTC_59000, clientId: 77n })))
    expect(bids(s)).toEqual([{ price: BTC_59000, orders: [[1n, 1000n]] }])

    // another account cannot cancel it by the same clientId: the key includes the account
    const other = run1(s, cancelTx(B, 77n))
    expect(other.code).toBe(REJECT.orderNotFound)
    expect(s.orders.size).toBe(1)

    const r = run1(s, cancelTx(A, 77n))
    expect(r.ok).toBe(true)
    expect(r.events).toEqual([{ type: 'orderCanceled', market: 0, orderId: 1n, reason: 'user' }])
    expect(bids(s)).toEqual([])
    expect(s.orders.size).toBe(0)
    expect(restingByClientId(s, A, 0, 0, 77n)).toBeUndefined()
    expect(subOf(s, A).openOrders.size).toBe(0)

    const again = run1(s, cancelTx(A, 77n))
    expect(again.ok).toBe(false)
    expect(again.code).toBe(REJECT.orderNotFound)
  })

  it("cancelAll removes only that subaccount's orders in that market", () => {
    const s = stateFromGenesisFile()
    const eth2900 = 290_000_000_000n // $2,900 on ETH's 1e6 tick
    run(s, [
      orderTx(orderMsg(A, { market: 0, price: BTC_59000, clientId: 1n })), // id 1
      orderTx(orderMsg(A, { market: 0, price: 5_800_000_000_000n, clientId: 2n })), // id 2
      orderTx(orderMsg(A, { market: 1, price: eth2900, size: 10_000n, clientId: 3n })), // id 3
      orderTx(orderMsg(B, { market: 0, price: BTC_59000, clientId: 1n })), // id 4
    ])
    expect(s.orders.size).toBe(4)
    const r = run1(s, cancelAllTx(A, 0))
    expect(r.ok).toBe(true)
    expect(r.events).toEqual([
      { type: 'orderCanceled', market: 0, orderId: 1n, reason: 'user' },
      { type: 'orderCanceled', market: 0, orderId: 2n, reason: 'user' },
    ])
    expect([...s.orders.keys()].sort()).toEqual([3n, 4n])
    expect(bids(s, 0)).toEqual([{ price: BTC_59000, orders: [[4n, 1000n]] }])
    expect(bids(s, 1)).toEqual([{ price: eth2900, orders: [[3n, 10_000n]] }])
    expect([...subOf(s, A).openOrders]).toEqual([3n])
    expect(restingByClientId(s, B, 0, 0, 1n)).toBe(4n)
    expect(restingByClientId(s, A, 0, 0, 1n)).toBeUndefined()
  })
})

describe('order validation', () => {
  it.each([
    ['price off the tick', { price: 6_000_005_000_000n }, REJECT.notOnTick], // 6_000_005_000_000 mod 1e7 = 5_000_000
    ['size off the lot', { size: 1500n }, REJECT.notOnLot], // 1500 mod 1000 = 500
    ['size 0', { size: 0n }, REJECT.invalidSize],
    ['unknown market', { market: 2 }, REJECT.unknownMarket], // genesis has markets 0 and 1
  ] as const)('%s is rejected and writes nothing', (_name, fields, code) => {
    const s = stateFromGenesisFile()
    const before = leavesWithoutNonces(s)
    const r = run1(s, orderTx(orderMsg(A, fields)))
    expect(r.ok).toBe(false)
    expect(r.code).toBe(code)
    expect(r.events).toEqual([])
    expect(leavesWithoutNonces(s)).toEqual(before)
    expect(s.subaccounts.get(subaccountId(A, 0))?.openOrders.size).toBe(0)
  })

  it('the same order on the tick and lot is accepted (control)', () => {
    const s = stateFromGenesisFile()
    const r = run1(s, orderTx(orderMsg(A, { price: 6_000_010_000_000n, size: 2000n })))
    expect(r.ok).toBe(true)
  })
})

describe('book: removing a resting order', () => {
  const resting = (id: bigint, size: bigint): RestingOrder => ({
    id,
    market: 0,
    address: A,
    subaccount: 0,
    isBuy: true,
    price: BTC_59990,
    size,
    clientId: id,
    reduceOnly: false,
    expiresAt: 0n,
  })

  it('takes out the very order, or an equal copy of it, and keeps the level FIFO and its total', () => {
    const book = emptyBook()
    const [first, second, third] = [resting(1n, 1000n), resting(2n, 2000n), resting(3n, 4000n)] as const
    for (const o of [first, second, third]) insertOrder(book, o)
    removeOrder(book, second)
    expect(book.bids[0]?.orders.map((o) => o.id)).toEqual([1n, 3n])
    expect(book.bids[0]?.size).toBe(5000n)
    // another object standing for the first order (same id) still finds it
    removeOrder(book, { ...first })
    expect(book.bids[0]?.orders.map((o) => o.id)).toEqual([3n])
    expect(book.bids[0]?.size).toBe(4000n)
    // an order that is not in the level changes nothing
    removeOrder(book, resting(9n, 1000n))
    expect(book.bids[0]?.size).toBe(4000n)
    removeOrder(book, third)
    expect(book.bids).toEqual([])
  })
})
