/**
 * @module Order transaction: validate, plan the match, check the taker's margin on the plan, then execute.
 *
 * Accepted when, after the planned fills and with the remainder resting (GTC), equity ≥ initial margin with
 * orders (margin.ts). An order that only shrinks a position (no flip, nothing left resting) is also accepted
 * when equity stays ≥ maintenance margin, so an account can always reduce risk.
 */

import { insertOrder } from '../book.ts'
import type { Dirty } from '../dirty.ts'
import { REJECT, reject } from '../errors.ts'
import { dropOrder, quoteAmount, settleFill, tradePosition } from '../fills.ts'
import { abs, mulDivCeil, PPM } from '../fixedPoint.ts'
import { equity, initialMarginWithOrders, maintenanceMargin } from '../margin.ts'
import type { MatchPlan } from '../matching.ts'
import { crosses, planMatch } from '../matching.ts'
import type { OrderMessage } from '../messages.ts'
import { cloneSubaccount, readSubaccount, writableSubaccount } from '../subaccounts.ts'
import type { BlockEnv, Book, Market, RestingOrder, State, Subaccount, TxEvent } from '../types.ts'
import { clientOrderKey, subaccountId } from '../types.ts'

export const TIME_IN_FORCE = { gtc: 0, ioc: 1, fok: 2 } as const
/** Resting orders one subaccount may have across all markets. */
export const MAX_OPEN_ORDERS = 256

function validate(state: State, o: OrderMessage, env: BlockEnv): Market {
  const market = state.markets[o.market]
  if (market === undefined) return reject(REJECT.unknownMarket, `unknown market ${o.market}`)
  if (market.status !== 'active') reject(REJECT.marketClosed, `market ${market.symbol} is not active`)
  if (o.price <= 0n) reject(REJECT.invalidPrice, 'price must be positive')
  if (o.price % market.tickSize !== 0n)
    reject(REJECT.notOnTick, `price ${o.price} is not a multiple of the tick size ${market.tickSize}`)
  if (o.size <= 0n) reject(REJECT.invalidSize, 'size must be positive')
  if (o.size % market.lotSize !== 0n)
    reject(REJECT.notOnLot, `size ${o.size} is not a multiple of the lot size ${market.lotSize}`)
  if (o.size > market.maxOrderSize) reject(REJECT.invalidSize, `size is above the maximum ${market.maxOrderSize}`)
  if (o.timeInForce > TIME_IN_FORCE.fok) reject(REJECT.unsupportedOrder, `unknown timeInForce ${o.timeInForce}`)
  if (o.postOnly && o.timeInForce !== TIME_IN_FORCE.gtc)
    reject(REJECT.unsupportedOrder, 'postOnly needs timeInForce GTC (0)')
  if (o.reduceOnly && o.timeInForce === TIME_IN_FORCE.gtc)
    reject(REJECT.unsupportedOrder, 'reduceOnly is supported with IOC (1) and FOK (2) orders')
  if (o.expiresAt !== 0n && o.expiresAt <= env.time) reject(REJECT.expired, `order expired at ${o.expiresAt}`)
  return market
}

/** The taker's subaccount as it would be after the plan, with the remainder resting if any. */
function tryPlan(market: Market, sub: Subaccount, o: OrderMessage, plan: MatchPlan): Subaccount {
  const after = cloneSubaccount(sub)
  for (const x of plan.selfTradeCanceled) after.openOrders.delete(x.id)
  for (const { order, size } of plan.fills) {
    const quote = quoteAmount(market, size, order.price)
    after.collateral += (o.isBuy ? -quote : quote) - mulDivCeil(quote, market.takerFeePpm, PPM)
    const pos = tradePosition(after.positions.get(market.id) ?? { size: 0n, cost: 0n }, o.isBuy ? size : -size, quote)
    if (pos.size === 0n) after.positions.delete(market.id)
    else after.positions.set(market.id, pos)
  }
  return after
}

function checkMargin(state: State, sub: Subaccount, after: Subaccount, marketId: number, resting?: RestingOrder): void {
  const afterEquity = equity(state, after)
  const required = initialMarginWithOrders(state, after, resting)
  if (afterEquity >= required) return
  const before = sub.positions.get(marketId)?.size ?? 0n
  const now = after.positions.get(marketId)?.size ?? 0n
  const onlyReduces = resting === undefined && abs(now) < abs(before) && (now === 0n || now > 0n === before > 0n)
  if (onlyReduces && afterEquity >= maintenanceMargin(state, after)) return
  reject(REJECT.insufficientMargin, `equity ${afterEquity} would be below the initial margin ${required}`)
}

export interface OrderPlan {
  market: Market
  plan: MatchPlan
  /** the remainder that will rest (GTC), not yet in state */
  resting: RestingOrder | undefined
  /** FOK that cannot fill whole: killed, nothing else happens */
  killed: boolean
}

/** Everything up to the first write: validation, match plan and margin check. Throws TxRejected. */
export function planOrder(state: State, o: OrderMessage, env: BlockEnv): OrderPlan {
  const market = validate(state, o, env)
  const book = state.books[market.id] as Book
  const sub = readSubaccount(state, o.account, o.subaccount)
  let size = o.size
  if (o.reduceOnly) {
    const pos = sub.positions.get(market.id)?.size ?? 0n
    if (pos === 0n || pos > 0n === o.isBuy)
      reject(REJECT.reduceOnlyWouldIncrease, 'reduce-only order would open or increase a position')
    if (size > abs(pos)) size = abs(pos)
  }
  const opposite = o.isBuy ? book.asks[0] : book.bids[0]
  if (o.postOnly && opposite !== undefined && crosses(o.isBuy, o.price, opposite.price))
    reject(REJECT.postOnlyWouldCross, `post-only order at ${o.price} would cross the book at ${opposite.price}`)
  const taker = { address: o.account, subaccount: o.subaccount, isBuy: o.isBuy, price: o.price, size }
  const plan = planMatch(book, taker, env.time)
  if (o.timeInForce === TIME_IN_FORCE.fok && plan.remaining > 0n)
    return { market, plan, resting: undefined, killed: true }

  let resting: RestingOrder | undefined
  if (o.timeInForce === TIME_IN_FORCE.gtc && plan.remaining > 0n) {
    if (state.ordersByClientId.has(clientOrderKey(o.account, o.subaccount, market.id, o.clientId)))
      reject(REJECT.duplicateClientId, `clientId ${o.clientId} is already resting in this market`)
    if (sub.openOrders.size - plan.selfTradeCanceled.length >= MAX_OPEN_ORDERS)
      reject(REJECT.tooManyOpenOrders, `at most ${MAX_OPEN_ORDERS} open orders per subaccount`)
    resting = {
      id: state.global.nextOrderId,
      market: market.id,
      address: o.account,
      subaccount: o.subaccount,
      isBuy: o.isBuy,
      price: o.price,
      size: plan.remaining,
      clientId: o.clientId,
      reduceOnly: false,
      expiresAt: o.expiresAt,
    }
  }
  checkMargin(state, sub, tryPlan(market, sub, o, plan), market.id, resting)
  return { market, plan, resting, killed: false }
}

export function executeOrder(state: State, o: OrderMessage, planned: OrderPlan, dirty: Dirty): TxEvent[] {
  const { market, plan, resting } = planned
  if (planned.killed) return [{ type: 'orderCanceled', market: market.id, orderId: 0n, reason: 'unfilled' }]
  const events: TxEvent[] = []
  for (const x of plan.expired) {
    dropOrder(state, x, dirty)
    events.push({ type: 'orderCanceled', market: market.id, orderId: x.id, reason: 'expired' })
  }
  for (const x of plan.selfTradeCanceled) {
    dropOrder(state, x, dirty)
    events.push({ type: 'orderCanceled', market: market.id, orderId: x.id, reason: 'selfTrade' })
  }
  const taker = writableSubaccount(state, o.account, o.subaccount)
  dirty.subaccounts.add(subaccountId(o.account, o.subaccount))
  for (const { order, size } of plan.fills) events.push(settleFill(state, market, order, taker, size, dirty))
  if (resting !== undefined) {
    state.global.nextOrderId += 1n
    state.orders.set(resting.id, resting)
    state.ordersByClientId.set(clientOrderKey(o.account, o.subaccount, market.id, o.clientId), resting.id)
    taker.openOrders.add(resting.id)
    insertOrder(state.books[market.id] as Book, resting)
    dirty.orders.set(resting.id, market.id)
    dirty.global = true
    events.push({
      type: 'orderPlaced',
      market: market.id,
      orderId: resting.id,
      price: resting.price,
      size: resting.size,
      isBuy: resting.isBuy,
    })
  } else if (plan.remaining > 0n) {
    events.push({ type: 'orderCanceled', market: market.id, orderId: 0n, reason: 'unfilled' })
  }
  return events
}

export function placeOrder(state: State, o: OrderMessage, env: BlockEnv, dirty: Dirty): TxEvent[] {
  return executeOrder(state, o, planOrder(state, o, env), dirty)
}
