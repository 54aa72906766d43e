/**
 * @module One market's order book: price levels kept sorted best-first, each a FIFO queue, so matching walks
 * price-time priority. Levels are found by binary search.
 */
import type { Book, PriceLevel, RestingOrder } from './types.ts'

export function emptyBook(): Book {
  return { bids: [], asks: [] }
}

/** Index of the level with `price`, or the index where it would be inserted (as a negative −(i+1)). */
function findLevel(levels: PriceLevel[], price: bigint, descending: boolean): number {
  let lo = 0
  let hi = levels.length - 1
  while (lo <= hi) {
    const mid = (lo + hi) >> 1
    const p = (levels[mid] as PriceLevel).price
    if (p === price) return mid
    const before = descending ? p > price : p < price
    if (before) lo = mid + 1
    else hi = mid - 1
  }
  return -(lo + 1)
}

export function sideOf(book: Book, isBuy: boolean): PriceLevel[] {
  return isBuy ? book.bids : book.asks
}

/** Appends the order at the back of its price level (it arrived last). */
export function insertOrder(book: Book, order: RestingOrder): void {
  const levels = sideOf(book, order.isBuy)
  const i = findLevel(levels, order.price, order.isBuy)
  if (i >= 0) {
    const level = levels[i] as PriceLevel
    level.orders.push(order)
    level.size += order.size
  } else levels.splice(-i - 1, 0, { price: order.price, orders: [order], size: order.size })
}

export function removeOrder(book: Book, order: RestingOrder): void {
  const levels = sideOf(book, order.isBuy)
  const i = findLevel(levels, order.price, order.isBuy)
  if (i < 0) return
  const level = levels[i] as PriceLevel
  // by identity first (the level holds the very object state.orders does: a native scan of pointers), by id only
  // if another object stands for the order; a long level made this scan ~2% of a sequencer's main thread
  let at = level.orders.indexOf(order)
  if (at < 0) at = level.orders.findIndex((o) => o.id === order.id)
  if (at >= 0) {
    level.orders.splice(at, 1)
    level.size -= order.size
  }
  if (level.orders.length === 0) levels.splice(i, 1)
}

/** Records that a resting order's size falls by `by` (a partial or whole fill), keeping its level's total. */
export function reduceOrder(book: Book, order: RestingOrder, by: bigint): void {
  const levels = sideOf(book, order.isBuy)
  const i = findLevel(levels, order.price, order.isBuy)
  if (i >= 0) (levels[i] as PriceLevel).size -= by
}

export function bestPrice(book: Book, isBuy: boolean): bigint | undefined {
  return sideOf(book, isBuy)[0]?.price
}

/**
 * Aggregated [price, size] per level, best first. Orders with expiresAt ≤ the block time are swept at the start
 * of that block, so a level's total is what can still trade; `time` guards a view taken between blocks.
 */
export function depth(book: Book, isBuy: boolean, levels: number, time: bigint): [bigint, bigint][] {
  const out: [bigint, bigint][] = []
  for (const level of sideOf(book, isBuy)) {
    if (out.length >= levels) break
    let size = level.size
    for (const o of level.orders) if (o.expiresAt !== 0n && o.expiresAt <= time) size -= o.size
    if (size > 0n) out.push([level.price, size])
  }
  return out
}
