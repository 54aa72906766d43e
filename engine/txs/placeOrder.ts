/**
 * @module Order transaction: validate, plan the match, check limits and the taker's margin on the plan, then
 * execute. Everything before `executeOrder` only reads, so a rejected order writes nothing.
 *
 * - Limits: tick, lot, minOrderSize ≤ size ≤ maxOrderSize, size × price ≤ maxOrderNotional, the taker's
 *   |position| (worst case with the remainder resting) ≤ maxPositionSize, long open interest after the fills
 *   ≤ openInterestCap (only checked when the order raises it), at most MAX_OPEN_ORDERS resting orders.
 * - Reduce-only: the order must face an open position; its size is clipped to the position. Resting reduce-only
 *   orders fill only as far as they reduce their owner's position at match time, and are cancelled when they
 *   can no longer reduce.
 * - Stale oracle (block time − oracleTime > maxPriceAgeMs): every order is treated as reduce-only, and makers
 *   fill only as far as the fill reduces their position: no risk-increasing fill on a stale price.
 * - Isolated subaccounts (number ≥ 128) trade one market only.
 * - Margin: after the planned fills, with the remainder resting (GTC), equity with positive PnL haircut ≥
 *   initial margin with orders (margin.ts). An order that only shrinks a position (no flip, nothing left resting) is also accepted when
 *   equity stays ≥ maintenance margin, so an account can always reduce risk.
 */
import { inLiquidation } from '../auctions.ts'
import type { Dirty } from '../dirty.ts'
import { REJECT, reject } from '../errors.ts'
import { flatPosition, quoteAmount, settleFill, tradePosition } from '../fills.ts'
import { abs, max, mulDivCeil, PPM } from '../fixedPoint.ts'
import { settleFundingOnCopy } from '../funding.ts'
import { equity, haircutEquity, initialMarginWithOrders, maintenanceMargin } from '../margin.ts'
import type { MakerGate, MatchPlan } from '../matching.ts'
import { crosses, planMatch } from '../matching.ts'
import type { OrderMessage } from '../messages.ts'
import { orderExposure } from '../orderExposure.ts'
import { addResting, dropOrder } from '../restingOrders.ts'
import { cloneSubaccount, readSubaccount, writableSubaccount } from '../subaccounts.ts'
import type { BlockEnv, Book, Market, RestingOrder, State, Subaccount, TxEvent } from '../types.ts'
import { isIsolated, subaccountId } from '../types.ts'

export const TIME_IN_FORCE = { gtc: 0, ioc: 1, fok: 2 } as const
/** Resting orders one subaccount may have across all markets. */
export const MAX_OPEN_ORDERS = 256

export function isStale(state: State, market: Market, time: bigint): boolean {
  return time - market.oracleTime > state.oracle.maxPriceAgeMs
}

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
  if (o.size < market.minOrderSize) reject(REJECT.invalidSize, `size is below the minimum ${market.minOrderSize}`)
  if (o.size > market.maxOrderSize) reject(REJECT.invalidSize, `size is above the maximum ${market.maxOrderSize}`)
  if (mulDivCeil(o.size, o.price, market.quoteDivisor) > market.maxOrderNotional)
    reject(REJECT.invalidSize, `notional is above the maximum ${market.maxOrderNotional} USDC units`)
  if (o.timeInForce > TIME_IN_FORCE.fok) reject(REJECT.unsupportedOrder, `unknown timeInForce ${o.timeInForce}`)
  if (o.postOnly && o.timeInForce !== TIME_IN_FORCE.gtc)
    reject(REJECT.unsupportedOrder, 'postOnly needs timeInForce GTC (0)')
  if (o.expiresAt !== 0n && o.expiresAt <= env.time) reject(REJECT.expired, `order expired at ${o.expiresAt}`)
  return market
}

/** An isolated subaccount (number ≥ 128) holds positions and orders in one market only. */
export function checkIsolated(state: State, sub: Subaccount, marketId: number): void {
  const markets = new Set<number>([...sub.positions.keys()])
  for (const id of sub.openOrders) markets.add((state.orders.get(id) as RestingOrder).market)
  markets.delete(marketId)
  if (markets.size > 0)
    reject(REJECT.isolatedMarket, `isolated subaccount ${sub.subaccount} already trades market ${Math.min(...markets)}`)
}

/** How far a fill in direction `isBuy` can go while only reducing a position of `size`. */
function reducingRoom(size: bigint, isBuy: boolean): bigint {
  return isBuy ? (size < 0n ? -size : 0n) : size > 0n ? size : 0n
}

/** Reduce-only makers (always) and all makers (on a stale price) may only fill as far as they reduce. */
function makerGate(state: State, market: Market, stale: boolean): MakerGate {
  // position changes planned so far by subaccount id; made on the first fill (most orders only rest)
  let planned: Map<string, bigint> | undefined
  const positionOf = (o: RestingOrder): bigint => {
    const id = subaccountId(o.address, o.subaccount)
    return (state.subaccounts.get(id)?.positions.get(market.id)?.size ?? 0n) + (planned?.get(id) ?? 0n)
  }
  return {
    room: (o) => (o.reduceOnly || stale ? reducingRoom(positionOf(o), o.isBuy) : undefined),
    filled: (o, size) => {
      // every fill counts: a subaccount's plain order that fills first moves the room of its reduce-only one
      planned ??= new Map()
      const id = subaccountId(o.address, o.subaccount)
      planned.set(id, (planned.get(id) ?? 0n) + (o.isBuy ? size : -size))
    },
  }
}

function fundingSettled(state: State, sub: Subaccount): boolean {
  for (const [id, p] of sub.positions) if (p.fundingIndex !== (state.markets[id] as Market).fundingIndex) return false
  return true
}

/**
 * The taker's subaccount as it would be after the plan, for reading only. An order that only rests (no fills,
 * no self-trade cancels) on settled funding changes nothing yet: the subaccount itself is that state.
 */
function tryPlan(state: State, market: Market, sub: Subaccount, o: OrderMessage, plan: MatchPlan): Subaccount {
  if (plan.fills.length === 0 && plan.selfTradeCanceled.length === 0 && fundingSettled(state, sub)) return sub
  const shareOrders = plan.selfTradeCanceled.length === 0
  // fill the memo on the subaccount itself, so the copy shares it and the next order finds it
  if (shareOrders) orderExposure(state, sub)
  const after = cloneSubaccount(sub, shareOrders)
  settleFundingOnCopy(state, after)
  for (const x of plan.selfTradeCanceled) after.openOrders.delete(x.id)
  for (const { order, size } of plan.fills) {
    const quote = quoteAmount(market, size, order.price)
    after.collateral += (o.isBuy ? -quote : quote) - mulDivCeil(quote, market.takerFeePpm, PPM)
    const pos = tradePosition(after.positions.get(market.id) ?? flatPosition(market), o.isBuy ? size : -size, quote)
    if (pos.size === 0n) after.positions.delete(market.id)
    else after.positions.set(market.id, pos)
  }
  return after
}

/** Long open interest after the plan's fills, from each party's position before and after. */
function longOpenInterestAfter(
  state: State,
  market: Market,
  taker: Subaccount,
  isBuy: boolean,
  plan: MatchPlan,
): bigint {
  const sizes = new Map<string, bigint>()
  let long = market.longOpenInterest
  const move = (sub: Subaccount | undefined, id: string, delta: bigint): void => {
    const before = sizes.get(id) ?? sub?.positions.get(market.id)?.size ?? 0n
    const after = before + delta
    sizes.set(id, after)
    long += max(after, 0n) - max(before, 0n)
  }
  const takerId = subaccountId(taker.address, taker.subaccount)
  for (const { order, size } of plan.fills) {
    const makerId = subaccountId(order.address, order.subaccount)
    move(state.subaccounts.get(makerId), makerId, order.isBuy ? size : -size)
    move(taker, takerId, isBuy ? size : -size)
  }
  return long
}

function checkLimits(
  state: State,
  market: Market,
  sub: Subaccount,
  after: Subaccount,
  o: OrderMessage,
  plan: MatchPlan,
  resting?: RestingOrder,
): void {
  const before = sub.positions.get(market.id)?.size ?? 0n
  const now = after.positions.get(market.id)?.size ?? 0n
  const rest = resting === undefined ? 0n : resting.isBuy ? resting.size : -resting.size
  const worst = max(abs(now), abs(now + rest))
  if (worst > market.maxPositionSize && worst > abs(before))
    reject(REJECT.positionLimit, `position would reach ${worst}, above the maximum ${market.maxPositionSize}`)
  // fills raise open interest by at most their size: only a plan that could reach the cap is computed exactly
  if (market.longOpenInterest + plan.filled <= market.openInterestCap) return
  const long = longOpenInterestAfter(state, market, sub, o.isBuy, plan)
  if (long > market.openInterestCap && long > market.longOpenInterest)
    reject(REJECT.openInterestCap, `open interest would reach ${long}, above the cap ${market.openInterestCap}`)
}

export function checkMargin(
  state: State,
  sub: Subaccount,
  after: Subaccount,
  marketId: number,
  resting?: RestingOrder,
): void {
  const afterEquity = haircutEquity(state, after)
  const required = initialMarginWithOrders(state, after, resting)
  if (afterEquity >= required) return
  const before = sub.positions.get(marketId)?.size ?? 0n
  const now = after.positions.get(marketId)?.size ?? 0n
  const onlyReduces = resting === undefined && abs(now) < abs(before) && (now === 0n || now > 0n === before > 0n)
  if (onlyReduces && equity(state, after) >= maintenanceMargin(state, after)) return
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

/** Everything up to the first write: validation, match plan, limits and margin. Throws TxRejected. */
export function planOrder(state: State, o: OrderMessage, env: BlockEnv): OrderPlan {
  const market = validate(state, o, env)
  if (inLiquidation(state, subaccountId(o.account, o.subaccount)))
    reject(REJECT.liquidating, `subaccount ${o.subaccount} is being liquidated: no new orders until its auctions end`)
  const book = state.books[market.id] as Book
  const sub = readSubaccount(state, o.account, o.subaccount)
  if (isIsolated(o.subaccount)) checkIsolated(state, sub, market.id)
  const stale = isStale(state, market, env.time)
  const reduceOnly = o.reduceOnly || stale
  let size = o.size
  if (reduceOnly) {
    const room = reducingRoom(sub.positions.get(market.id)?.size ?? 0n, o.isBuy)
    if (room === 0n && stale)
      reject(REJECT.oracleStale, `the ${market.symbol} oracle price is stale: only orders that reduce a position`)
    if (room === 0n) reject(REJECT.reduceOnlyWouldIncrease, 'reduce-only order would open or increase a position')
    if (size > room) size = room
  }
  const opposite = o.isBuy ? book.asks[0] : book.bids[0]
  if (o.postOnly && opposite !== undefined && crosses(o.isBuy, o.price, opposite.price))
    reject(REJECT.postOnlyWouldCross, `post-only order at ${o.price} would cross the book at ${opposite.price}`)
  const taker = { address: o.account, subaccount: o.subaccount, isBuy: o.isBuy, price: o.price, size }
  const plan = planMatch(book, taker, makerGate(state, market, stale))
  if (o.timeInForce === TIME_IN_FORCE.fok && plan.remaining > 0n)
    return { market, plan, resting: undefined, killed: true }

  let resting: RestingOrder | undefined
  // a remainder rests only if it cannot cross: not when the gate left a crossing maker in the book
  if (o.timeInForce === TIME_IN_FORCE.gtc && plan.remaining > 0n && !plan.blocked) {
    if (sub.clientOrders?.get(market.id)?.has(o.clientId) === true)
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
      reduceOnly,
      expiresAt: o.expiresAt,
    }
  }
  const after = tryPlan(state, market, sub, o, plan)
  checkLimits(state, market, sub, after, o, plan, resting)
  checkMargin(state, sub, after, market.id, resting)
  return { market, plan, resting, killed: false }
}

export function executeOrder(state: State, o: OrderMessage, planned: OrderPlan, dirty: Dirty): TxEvent[] {
  const { market, plan, resting } = planned
  if (planned.killed) return [{ type: 'orderCanceled', market: market.id, orderId: 0n, reason: 'unfilled' }]
  const events: TxEvent[] = []
  for (const x of plan.selfTradeCanceled) {
    dropOrder(state, x, dirty)
    events.push({ type: 'orderCanceled', market: market.id, orderId: x.id, reason: 'selfTrade' })
  }
  for (const x of plan.reduceOnlyCanceled) {
    dropOrder(state, x, dirty)
    events.push({ type: 'orderCanceled', market: market.id, orderId: x.id, reason: 'reduceOnly' })
  }
  if (plan.fills.length > 0) {
    const taker = writableSubaccount(state, o.account, o.subaccount)
    for (const { order, size } of plan.fills) events.push(settleFill(state, market, order, taker, size, dirty))
  }
  if (resting !== undefined) {
    state.global.nextOrderId += 1n
    addResting(state, resting)
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
