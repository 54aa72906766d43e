/**
 * @module Cancel (by client order id) and CancelAll (every resting order of a subaccount in one market).
 */
import type { Dirty } from '../dirty.ts'
import { REJECT, reject } from '../errors.ts'
import type { CancelAllMessage, CancelMessage } from '../messages.ts'
import { dropOrder, restingByClientId } from '../restingOrders.ts'
import type { RestingOrder, State, TxEvent } from '../types.ts'
import { subaccountId } from '../types.ts'

/** The resting order a Cancel names, or TxRejected. Reads only. */
export function findCancelTarget(state: State, c: CancelMessage): RestingOrder {
  if (state.markets[c.market] === undefined) reject(REJECT.unknownMarket, `unknown market ${c.market}`)
  const id = restingByClientId(state, c.account, c.subaccount, c.market, c.clientId)
  if (id === undefined) return reject(REJECT.orderNotFound, `no resting order with clientId ${c.clientId}`)
  return state.orders.get(id) as RestingOrder
}

export function cancelOrder(state: State, c: CancelMessage, dirty: Dirty): TxEvent[] {
  const order = findCancelTarget(state, c)
  const id = order.id
  dropOrder(state, order, dirty)
  return [{ type: 'orderCanceled', market: c.market, orderId: id, reason: 'user' }]
}

export function cancelAll(state: State, c: CancelAllMessage, dirty: Dirty): TxEvent[] {
  if (state.markets[c.market] === undefined) reject(REJECT.unknownMarket, `unknown market ${c.market}`)
  const sub = state.subaccounts.get(subaccountId(c.account, c.subaccount))
  const ids = [...(sub?.openOrders ?? [])].sort((a, b) => (a < b ? -1 : 1))
  const events: TxEvent[] = []
  for (const id of ids) {
    const order = state.orders.get(id) as RestingOrder
    if (order.market !== c.market) continue
    dropOrder(state, order, dirty)
    events.push({ type: 'orderCanceled', market: c.market, orderId: id, reason: 'user' })
  }
  return events
}
