/**
 * @module The one place that adds and removes resting orders, keeping every index in step: the book, orders
 * by id, the owner's open orders and its orders by (market, clientId), and the expiry index (ascending by (expiresAt, id)), which
 * sweepExpired walks at the start of each block.
 */
import { insertOrder, removeOrder } from './book.ts'
import type { Dirty } from './dirty.ts'
import type { Address } from './messages.ts'
import { adjustExposure } from './orderExposure.ts'
import { emptySubaccount } from './subaccounts.ts'
import type { Book, RestingOrder, State, Subaccount, TxEvent } from './types.ts'
import { subaccountId } from './types.ts'

function expiryBefore(a: { expiresAt: bigint; id: bigint }, b: { expiresAt: bigint; id: bigint }): boolean {
  return a.expiresAt < b.expiresAt || (a.expiresAt === b.expiresAt && a.id < b.id)
}

/** Index of the first entry not before `x` (binary search). */
function expirySlot(state: State, x: { expiresAt: bigint; id: bigint }): number {
  let lo = 0
  let hi = state.expiries.length
  while (lo < hi) {
    const mid = (lo + hi) >> 1
    if (expiryBefore(state.expiries[mid] as { expiresAt: bigint; id: bigint }, x)) lo = mid + 1
    else hi = mid
  }
  return lo
}

/** The id of the order a subaccount has resting in `market` under `clientId`, if any. */
export function restingByClientId(
  state: State,
  address: Address,
  subaccount: number,
  market: number,
  clientId: bigint,
): bigint | undefined {
  return state.subaccounts.get(subaccountId(address, subaccount))?.clientOrders?.get(market)?.get(clientId)
}

function indexClientId(sub: Subaccount, order: RestingOrder): void {
  sub.clientOrders ??= new Map()
  let byClientId = sub.clientOrders.get(order.market)
  if (byClientId === undefined) {
    byClientId = new Map()
    sub.clientOrders.set(order.market, byClientId)
  }
  byClientId.set(order.clientId, order.id)
}

/** Indexes a resting order everywhere (a new order, or one rebuilt from leaves in id order). */
export function addResting(state: State, order: RestingOrder): void {
  state.orders.set(order.id, order)
  insertOrder(state.books[order.market] as Book, order)
  const id = subaccountId(order.address, order.subaccount)
  const sub = state.subaccounts.get(id) ?? emptySubaccount(order.address, order.subaccount)
  state.subaccounts.set(id, sub)
  sub.openOrders.add(order.id)
  indexClientId(sub, order)
  adjustExposure(state, sub, order, 0n, order.size)
  if (order.expiresAt !== 0n) {
    const entry = { expiresAt: order.expiresAt, id: order.id }
    state.expiries.splice(expirySlot(state, entry), 0, entry)
  }
}

/** Detaches a resting order from the book and every index. */
export function dropOrder(state: State, order: RestingOrder, dirty: Dirty): void {
  removeOrder(state.books[order.market] as Book, order)
  state.orders.delete(order.id)
  const ownerId = subaccountId(order.address, order.subaccount)
  const owner = state.subaccounts.get(ownerId)
  if (owner !== undefined) {
    owner.openOrders.delete(order.id)
    const byClientId = owner.clientOrders?.get(order.market)
    byClientId?.delete(order.clientId)
    adjustExposure(state, owner, order, order.size, 0n)
    // derived indexes of a subaccount left without orders are let go (~600 B each, counted at 1M accounts)
    if (byClientId?.size === 0) owner.clientOrders?.delete(order.market)
    if (owner.clientOrders?.size === 0) owner.clientOrders = undefined
    if (owner.openOrders.size === 0) owner.exposure = undefined
  }
  if (order.expiresAt !== 0n) {
    const at = expirySlot(state, order)
    if (state.expiries[at]?.id === order.id) state.expiries.splice(at, 1)
  }
  // the owner's leaf may exist only because of its orders (no collateral, no position): re-encode it
  dirty.subaccounts.add(ownerId)
  dirty.orders.set(order.id, order.market)
}

/** Removes every order whose expiresAt ≤ block time, oldest expiry first. */
export function sweepExpired(state: State, time: bigint, dirty: Dirty): TxEvent[] {
  const events: TxEvent[] = []
  for (;;) {
    const next = state.expiries[0]
    if (next === undefined || next.expiresAt > time) return events
    const order = state.orders.get(next.id) as RestingOrder
    dropOrder(state, order, dirty)
    events.push({ type: 'orderCanceled', market: order.market, orderId: order.id, reason: 'expired' })
  }
}
