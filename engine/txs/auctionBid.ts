/**
 * @module AuctionBid: a liquidator takes part of a live auction at its current price (auctions.ts).
 *
 * - size: whole lots (any number of units for collateral), clipped to what the auction has left; the price must be within the bid's limit
 *   (bidders buy: price ≤ limitPrice; bidders sell: price ≥ limitPrice), so a bidder never pays more than it
 *   signed for; no bid on a stale oracle price; the liquidated subaccount may not bid on itself.
 * - the bidder's subaccount is checked like an order's taker after the trade (margin, position limit,
 *   isolated market), so a liquidation never creates a new under-margined account.
 * - collateral auctions (asset ≥ 1): the bidder pays auctionQuote USDC and receives the asset units; its margin
 *   counts them at the haircut value.
 * - penalty: total = ceil(value(size at oracle) × penaltyPpm / PPM); the bidder's discount is what the
 *   auction price gives away against the oracle value, max(0, floor value − quote) when bidders buy and
 *   max(0, quote − ceil value) when they sell; the insurance fund gets max(0, total − discount), at most what
 *   the liquidated account's equity after the trade exceeds the maintenance margin of its remaining positions
 *   (so the fee never pushes the rest into bankruptcy; nothing when already below).
 */
import { auctionPrice, auctionQuote, inLiquidation, removeAuction } from '../auctions.ts'
import type { Dirty } from '../dirty.ts'
import { touchCollateral } from '../dirty.ts'
import { REJECT, reject } from '../errors.ts'
import { flatPosition, tradePosition, transferPosition } from '../fills.ts'
import { abs, max, mulDivCeil, mulDivFloor, PPM } from '../fixedPoint.ts'
import { settleFundingOnCopy } from '../funding.ts'
import { insuranceFund } from '../insuranceFund.ts'
import { assetValue, equity, maintenanceMargin } from '../margin.ts'
import type { AuctionBidMessage } from '../messages.ts'
import { cloneSubaccount, readSubaccount, writableSubaccount } from '../subaccounts.ts'
import type { Auction, BlockEnv, CollateralAsset, Market, State, Subaccount, TxEvent } from '../types.ts'
import { isIsolated, subaccountId } from '../types.ts'
import { checkIsolated, checkMargin, isStale } from './placeOrder.ts'

interface BidPlan {
  auction: Auction
  market: Market
  size: bigint
  price: bigint
  quote: bigint
}

export function planBid(state: State, b: AuctionBidMessage, env: BlockEnv): BidPlan {
  const auction = state.auctions.get(b.auctionId)
  if (auction === undefined) return reject(REJECT.auctionNotFound, `no live auction ${b.auctionId}`)
  const market = state.markets[auction.market] as Market
  if (isStale(state, market, env.time))
    reject(REJECT.oracleStale, `the ${market.symbol} oracle price is stale: auctions wait for a fresh price`)
  if (b.size <= 0n) reject(REJECT.invalidSize, 'size must be positive')
  if (auction.asset === 0 && b.size % market.lotSize !== 0n)
    reject(REJECT.notOnLot, `size ${b.size} is not a multiple of the lot size ${market.lotSize}`)
  if (b.account === auction.address && b.subaccount === auction.subaccount)
    reject(REJECT.unauthorized, 'a liquidated subaccount may not bid on its own auction')
  if (inLiquidation(state, subaccountId(b.account, b.subaccount)))
    reject(REJECT.liquidating, `subaccount ${b.subaccount} is being liquidated`)
  const price = auctionPrice(market, auction, env.time)
  if (auction.bidderBuys ? price > b.limitPrice : price < b.limitPrice)
    reject(REJECT.auctionPriceBeyondLimit, `auction price ${price} is beyond the limit ${b.limitPrice}`)
  const size = b.size < auction.size ? b.size : auction.size
  const quote = auctionQuote(state, auction, size, price)
  const bidder = readSubaccount(state, b.account, b.subaccount)
  const after = cloneSubaccount(bidder, true)
  settleFundingOnCopy(state, after)
  after.collateral += auction.bidderBuys ? -quote : quote
  if (auction.asset !== 0) {
    // collateral: the bidder pays USDC for the asset, which counts in its margin at the haircut value
    if (quote === 0n) reject(REJECT.invalidSize, 'the size is worth less than one USDC unit at the auction price')
    after.assets.set(auction.asset, (after.assets.get(auction.asset) ?? 0n) + size)
  } else {
    if (isIsolated(b.subaccount)) checkIsolated(state, bidder, market.id)
    const delta = auction.bidderBuys ? size : -size
    const pos = tradePosition(after.positions.get(market.id) ?? flatPosition(market), delta, quote)
    if (pos.size === 0n) after.positions.delete(market.id)
    else after.positions.set(market.id, pos)
    const before = bidder.positions.get(market.id)?.size ?? 0n
    if (abs(pos.size) > market.maxPositionSize && abs(pos.size) > abs(before))
      reject(REJECT.positionLimit, `position would reach ${abs(pos.size)}, above the maximum ${market.maxPositionSize}`)
  }
  checkMargin(state, bidder, after, market.id)
  return { auction, market, size, price, quote }
}

export function auctionBid(state: State, b: AuctionBidMessage, env: BlockEnv, dirty: Dirty): TxEvent[] {
  const { auction, market, size, price, quote } = planBid(state, b, env)
  const bidder = writableSubaccount(state, b.account, b.subaccount)
  const liquidated = state.subaccounts.get(subaccountId(auction.address, auction.subaccount)) as Subaccount
  let value: bigint
  let discount: bigint
  if (auction.asset !== 0) {
    touchCollateral(dirty, bidder)
    touchCollateral(dirty, liquidated)
    bidder.collateral -= quote
    liquidated.collateral += quote
    bidder.assets.set(auction.asset, (bidder.assets.get(auction.asset) ?? 0n) + size)
    liquidated.assets.set(auction.asset, (liquidated.assets.get(auction.asset) ?? 0n) - size)
    value = assetValue(state, state.assets[auction.asset - 1] as CollateralAsset, size, false)
    discount = max(value - quote, 0n)
  } else {
    if (auction.bidderBuys) transferPosition(state, market, bidder, liquidated, size, quote, dirty)
    else transferPosition(state, market, liquidated, bidder, size, quote, dirty)
    value = mulDivCeil(size, market.oraclePrice, market.quoteDivisor)
    discount = auction.bidderBuys
      ? max(mulDivFloor(size, market.oraclePrice, market.quoteDivisor) - quote, 0n)
      : max(quote - value, 0n)
  }
  const total = mulDivCeil(value, auction.terms.penaltyPpm, PPM)
  let insuranceFee = max(total - discount, 0n)
  // never below the maintenance margin of what remains: the fee must not itself bankrupt the rest
  const left = equity(state, liquidated) - maintenanceMargin(state, liquidated)
  if (insuranceFee > left) insuranceFee = max(left, 0n)
  if (insuranceFee > 0n) {
    const fund = insuranceFund(state)
    touchCollateral(dirty, fund)
    touchCollateral(dirty, liquidated)
    liquidated.collateral -= insuranceFee
    fund.collateral += insuranceFee
  }
  auction.size -= size
  if (auction.size === 0n) removeAuction(state, auction)
  dirty.auctions.add(auction.id)
  return [
    {
      type: 'auctionFill',
      auctionId: auction.id,
      market: market.id,
      asset: auction.asset,
      address: auction.address,
      subaccount: auction.subaccount,
      bidder: b.account,
      bidderSubaccount: b.subaccount,
      size,
      price,
      insuranceFee,
    },
  ]
}
