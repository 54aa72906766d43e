/**
 * @module Settling one fill between a resting maker order and a taker. Money moves at the fill: the buyer's
 * collateral falls by the quote amount and the seller's rises by the same, exactly (genesis guarantees the
 * quote amount is an integer in USDC units), so fills are zero-sum; fees go to the fee pool.
 *
 * quote    = size × price / quoteDivisor                          exact, USDC units
 * fee      = ceil(quote × feePpm / PPM)                           against the payer
 */

import { reduceOrder } from './book.ts'
import type { Dirty } from './dirty.ts'
import { touchCollateral } from './dirty.ts'
import { InvariantViolation } from './errors.ts'
import { abs, min, mulDivCeil, PPM } from './fixedPoint.ts'
import { settleFunding } from './funding.ts'
import { adjustExposure } from './orderExposure.ts'
import { dropOrder } from './restingOrders.ts'
import type { Book, Market, Position, RestingOrder, State, Subaccount, TxEvent } from './types.ts'
import { subaccountId } from './types.ts'

export function quoteAmount(market: Market, size: bigint, price: bigint): bigint {
  const product = size * price
  if (product % market.quoteDivisor !== 0n)
    throw new InvariantViolation(`fill quote ${product}/${market.quoteDivisor} is not whole in market ${market.id}`)
  return product / market.quoteDivisor
}

/** An empty position, its funding snapshot at the market's index (a new position owes nothing yet). */
export function flatPosition(market: Market): Position {
  return { size: 0n, cost: 0n, fundingIndex: market.fundingIndex }
}

/**
 * New position after trading `delta` (signed size) for `quote` (USDC units, positive). The position's funding
 * must be settled first (its snapshot carries over). cost is carried for the entry price only; when a position
 * shrinks, cost shrinks in proportion, rounded toward zero.
 */
export function tradePosition(pos: Position, delta: bigint, quote: bigint): Position {
  const signedQuote = delta > 0n ? quote : -quote
  const { fundingIndex } = pos
  if (pos.size === 0n || pos.size > 0n === delta > 0n)
    return { size: pos.size + delta, cost: pos.cost + signedQuote, fundingIndex }
  const closing = min(abs(delta), abs(pos.size))
  const remainingCost = pos.cost - (pos.cost * closing) / abs(pos.size)
  const size = pos.size + delta
  if (abs(delta) <= abs(pos.size)) return { size, cost: size === 0n ? 0n : remainingCost, fundingIndex }
  // flipped: the part beyond the old size opens at this fill's price
  return { size, cost: (signedQuote * (abs(delta) - closing)) / abs(delta), fundingIndex }
}

/**
 * Applies a trade to a position (settling its funding first) and keeps the market's long and short open
 * interest (magnitudes) in step.
 */
function trade(state: State, market: Market, sub: Subaccount, delta: bigint, quote: bigint, dirty: Dirty): void {
  settleFunding(state, sub, dirty, market.id)
  const before = sub.positions.get(market.id) ?? flatPosition(market)
  const after = tradePosition(before, delta, quote)
  if (after.size === 0n) sub.positions.delete(market.id)
  else sub.positions.set(market.id, after)
  market.longOpenInterest += (after.size > 0n ? after.size : 0n) - (before.size > 0n ? before.size : 0n)
  market.shortOpenInterest += (after.size < 0n ? -after.size : 0n) - (before.size < 0n ? -before.size : 0n)
}

/**
 * Moves `size` (> 0) of a position from `seller` to `buyer` for `quote` USDC units, with no fee: the liquidation
 * paths (auction fills, takeovers, deleveraging), which set their own price. Zero-sum by construction.
 */
export function transferPosition(
  state: State,
  market: Market,
  buyer: Subaccount,
  seller: Subaccount,
  size: bigint,
  quote: bigint,
  dirty: Dirty,
): void {
  touchCollateral(dirty, buyer)
  touchCollateral(dirty, seller)
  buyer.collateral -= quote
  seller.collateral += quote
  trade(state, market, buyer, size, quote < 0n ? -quote : quote, dirty)
  trade(state, market, seller, -size, quote < 0n ? -quote : quote, dirty)
  dirty.markets.add(market.id)
}

export function settleFill(
  state: State,
  market: Market,
  maker: RestingOrder,
  taker: Subaccount,
  size: bigint,
  dirty: Dirty,
): TxEvent {
  const makerSub = state.subaccounts.get(subaccountId(maker.address, maker.subaccount))
  if (makerSub === undefined) throw new InvariantViolation(`resting order ${maker.id} has no subaccount`)
  const price = maker.price
  const quote = quoteAmount(market, size, price)
  const makerFee = mulDivCeil(quote, market.makerFeePpm, PPM)
  const takerFee = mulDivCeil(quote, market.takerFeePpm, PPM)
  const takerIsBuy = !maker.isBuy
  const buyer = takerIsBuy ? taker : makerSub
  const seller = takerIsBuy ? makerSub : taker
  touchCollateral(dirty, makerSub)
  touchCollateral(dirty, taker)
  buyer.collateral -= quote
  seller.collateral += quote
  taker.collateral -= takerFee
  makerSub.collateral -= makerFee
  state.global.feePool += makerFee + takerFee
  trade(state, market, buyer, size, quote, dirty)
  trade(state, market, seller, -size, quote, dirty)
  market.lastTradePrice = price

  adjustExposure(state, makerSub, maker, maker.size, maker.size - size)
  reduceOrder(state.books[market.id] as Book, maker, size)
  maker.size -= size
  if (maker.size === 0n) dropOrder(state, maker, dirty)
  else dirty.orders.set(maker.id, maker.market)
  dirty.markets.add(market.id)
  dirty.global = true
  return {
    type: 'fill',
    market: market.id,
    price,
    size,
    takerIsBuy,
    maker: maker.address,
    makerSubaccount: maker.subaccount,
    makerOrderId: maker.id,
    taker: taker.address,
    takerSubaccount: taker.subaccount,
    makerFee,
    takerFee,
  }
}
