/**
 * @module What a subaccount's resting orders add to its initial margin (margin.ts, initialMarginWithOrders),
 * memoized on the subaccount so a margin check costs O(markets), not O(resting orders):
 *
 * - open size per side and market (size units): exact at all times, kept by adjustExposure as orders are added,
 *   filled and removed; it does not depend on the oracle price, so a price change leaves it alone;
 * - adverse-price loss, Σ over orders priced worse than the oracle (a buy above it, a sell below it) of
 *   ceil(|price − oracle| × size / quoteDivisor), USDC units: valid for one price epoch (State.priceEpoch);
 * - per market, the highest buy price and lowest sell price among the orders (a bound: an order that leaves
 *   does not tighten it; the next walk makes it exact).
 *
 * After a price change the adverse loss is 0 without a walk when every market's highest buy is at or below the
 * oracle and its lowest sell at or above it (each order's loss is then 0 exactly); otherwise the orders are
 * walked once and the bounds made exact. Resting orders sit on the passive side of the oracle almost always
 * (a buy above the oracle is usually filled), so a price change rarely costs a walk.
 */
import { mulDivCeil } from './fixedPoint.ts'
import type { Market, OrderExposure, RestingOrder, State, Subaccount } from './types.ts'

/** One order's loss if it filled at its own price instead of the oracle's: 0 unless priced worse. USDC units. */
export function adverseLoss(state: State, o: RestingOrder, size: bigint): bigint {
  const m = state.markets[o.market] as Market
  const worse = o.isBuy ? o.price - m.oraclePrice : m.oraclePrice - o.price
  return worse > 0n ? mulDivCeil(worse, size, m.quoteDivisor) : 0n
}

/** The exposure of a subaccount without resting orders; shared and never on a subaccount, so never adjusted. */
const NO_EXPOSURE: OrderExposure = {
  epoch: -1,
  buys: new Map(),
  sells: new Map(),
  highestBuy: new Map(),
  lowestSell: new Map(),
  adverse: 0n,
}

/** Widens the market's price bound to include `o` (a buy raises the highest buy, a sell lowers the lowest sell). */
function widen(memo: OrderExposure, o: RestingOrder): void {
  if (o.isBuy) {
    const top = memo.highestBuy.get(o.market)
    if (top === undefined || o.price > top) memo.highestBuy.set(o.market, o.price)
  } else {
    const bottom = memo.lowestSell.get(o.market)
    if (bottom === undefined || o.price < bottom) memo.lowestSell.set(o.market, o.price)
  }
}

/** Walks the orders: the adverse loss at the current epoch, and exact price bounds. */
function walk(state: State, sub: Subaccount, memo: OrderExposure): void {
  memo.highestBuy.clear()
  memo.lowestSell.clear()
  let adverse = 0n
  for (const id of sub.openOrders) {
    const o = state.orders.get(id) as RestingOrder
    widen(memo, o)
    adverse += adverseLoss(state, o, o.size)
  }
  memo.adverse = adverse
  memo.epoch = state.priceEpoch
}

/** True when no order can be priced worse than the oracle: every highest buy ≤ oracle, every lowest sell ≥ it. */
function nothingAdverse(state: State, memo: OrderExposure): boolean {
  for (const [id, top] of memo.highestBuy) if (top > (state.markets[id] as Market).oraclePrice) return false
  for (const [id, bottom] of memo.lowestSell) if (bottom < (state.markets[id] as Market).oraclePrice) return false
  return true
}

/** The resting orders' sizes per side and market and their adverse-price loss at the current oracle prices. */
export function orderExposure(state: State, sub: Subaccount): OrderExposure {
  // no resting orders add nothing: not memoized, so a million order-less subaccounts hold no memo maps
  if (sub.openOrders.size === 0) return NO_EXPOSURE
  let memo = sub.exposure
  if (memo === undefined) {
    memo = { epoch: -1, buys: new Map(), sells: new Map(), highestBuy: new Map(), lowestSell: new Map(), adverse: 0n }
    for (const id of sub.openOrders) {
      const o = state.orders.get(id) as RestingOrder
      const side = o.isBuy ? memo.buys : memo.sells
      side.set(o.market, (side.get(o.market) ?? 0n) + o.size)
    }
    walk(state, sub, memo)
    sub.exposure = memo
    return memo
  }
  if (memo.epoch === state.priceEpoch) return memo
  if (nothingAdverse(state, memo)) {
    memo.adverse = 0n
    memo.epoch = state.priceEpoch
  } else walk(state, sub, memo)
  return memo
}

/**
 * Keeps a subaccount's memo exact when one of its resting orders goes from `before` to `after` size (added:
 * 0 → size, removed: size → 0, partly filled). Sizes and bounds always; the adverse loss only while the memo is of
 * the current epoch (a stale one is recomputed when next read).
 */
export function adjustExposure(state: State, sub: Subaccount, o: RestingOrder, before: bigint, after: bigint): void {
  const memo = sub.exposure
  if (memo === undefined) return
  const side = o.isBuy ? memo.buys : memo.sells
  const open = (side.get(o.market) ?? 0n) + after - before
  // a market left without orders on this side has no entry, as after a fresh walk
  if (open === 0n) side.delete(o.market)
  else side.set(o.market, open)
  if (after > 0n) widen(memo, o)
  if (memo.epoch === state.priceEpoch) memo.adverse += adverseLoss(state, o, after) - adverseLoss(state, o, before)
}
