/**
 * @module Planning a taker order against the book without changing it: which resting orders fill and by
 * how much (price-time priority, at the resting order's price), which of the taker's own resting orders
 * self-trade prevention cancels (mode: cancel the resting order), and which expired orders are swept.
 * The caller checks margin on the plan and only then executes it, so a rejected order writes nothing.
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

export interface MatchPlan {
  fills: { order: RestingOrder; size: bigint }[]
  selfTradeCanceled: RestingOrder[]
  expired: RestingOrder[]
  filled: bigint
  remaining: bigint
}

export function crosses(takerIsBuy: boolean, limit: bigint, restingPrice: bigint): boolean {
  return takerIsBuy ? restingPrice <= limit : restingPrice >= limit
}

export function planMatch(book: Book, taker: Taker, time: bigint): MatchPlan {
  const plan: MatchPlan = { fills: [], selfTradeCanceled: [], expired: [], filled: 0n, remaining: taker.size }
  for (const level of sideOf(book, !taker.isBuy)) {
    if (plan.remaining === 0n || !crosses(taker.isBuy, taker.price, level.price)) break
    for (const order of level.orders) {
      if (plan.remaining === 0n) break
      if (order.expiresAt !== 0n && order.expiresAt <= time) plan.expired.push(order)
      else if (order.address === taker.address && order.subaccount === taker.subaccount)
        plan.selfTradeCanceled.push(order)
      else {
        const size = order.size < plan.remaining ? order.size : plan.remaining
        plan.fills.push({ order, size })
        plan.filled += size
        plan.remaining -= size
      }
    }
  }
  return plan
}
