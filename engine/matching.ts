/**
 * @module Planning a taker order against the book without changing it: which resting orders fill and by
 * how much (price-time priority, at the resting order's price), which of the taker's own resting orders
 * self-trade prevention cancels (mode: cancel the resting order), and which reduce-only resting orders are
 * cancelled because they can no longer reduce. The caller checks limits and margin on the plan and only then
 * executes it, so a rejected order writes nothing.
 */
import { sideOf } from './book.ts'
import type { Address } from './messages.ts'
import type { Book, RestingOrder } from './types.ts'

export interface Taker {
  address: Address
  subaccount: number
  isBuy: boolean
  /** limit price, price units */
  price: bigint
  /** size units */
  size: bigint
}

/**
 * Limits on makers. `room` is the most a maker order may fill now (undefined: its whole size); a reduce-only
 * order with no room is cancelled, any other order with no room is passed over and keeps resting.
 */
export interface MakerGate {
  room(order: RestingOrder): bigint | undefined
  filled(order: RestingOrder, size: bigint): void
}

export interface MatchPlan {
  fills: { order: RestingOrder; size: bigint }[]
  selfTradeCanceled: RestingOrder[]
  reduceOnlyCanceled: RestingOrder[]
  /** a crossing maker was passed over or only partly filled by the gate: a remainder must not rest (it would cross) */
  blocked: boolean
  filled: bigint
  remaining: bigint
}

export function crosses(takerIsBuy: boolean, limit: bigint, restingPrice: bigint): boolean {
  return takerIsBuy ? restingPrice <= limit : restingPrice >= limit
}

export function planMatch(book: Book, taker: Taker, gate?: MakerGate): MatchPlan {
  const plan: MatchPlan = {
    fills: [],
    selfTradeCanceled: [],
    reduceOnlyCanceled: [],
    blocked: false,
    filled: 0n,
    remaining: taker.size,
  }
  for (const level of sideOf(book, !taker.isBuy)) {
    if (plan.remaining === 0n || !crosses(taker.isBuy, taker.price, level.price)) break
    for (const order of level.orders) {
      if (plan.remaining === 0n) break
      if (order.address === taker.address && order.subaccount === taker.subaccount) {
        plan.selfTradeCanceled.push(order)
        continue
      }
      const room = gate?.room(order)
      let size = order.size < plan.remaining ? order.size : plan.remaining
      if (room !== undefined && room < size) {
        size = room
        // the order stays in the book (in part or whole) unless it is a reduce-only order cancelled below
        if (!(order.reduceOnly && room === 0n)) plan.blocked = true
      }
      if (size === 0n) {
        if (order.reduceOnly) plan.reduceOnlyCanceled.push(order)
        continue
      }
      gate?.filled(order, size)
      plan.fills.push({ order, size })
      plan.filled += size
      plan.remaining -= size
    }
  }
  return plan
}
