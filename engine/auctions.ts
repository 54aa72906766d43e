/**
 * @module Dutch auction prices and the auction indexes (as in MakerDAO's Liquidations 2.0 "abacus" curves).
 *
 * factor(t) (PPM, PPM at the start, never rising) after t ms of block time, by the auction's own terms:
 *   linear        floor(PPM × (durationMs − t) / durationMs)
 *   stairstep     cut applied once per whole step: f₀ = PPM, fₙ₊₁ = floor(fₙ × cutPpm / PPM), factor = f_⌊t/step⌋
 *   exponential   the stairstep values joined by straight lines inside each step:
 *                 fₖ − floor((fₖ − fₖ₊₁) × (t mod step) / step), k = ⌊t/step⌋
 * price(t), price units, on the market's tick:
 *   bidders buy (a long is liquidated, the price falls):   floor_tick(startPrice × factor / PPM), at least one tick
 *   bidders sell (a short is liquidated, the price rises):  ceil_tick(startPrice × (2·PPM − factor) / PPM)
 * A reset (t > durationMs, or factor < minPriceRatioPpm) restarts the auction from the oracle price of that
 * block. The terms are copied into the auction when it starts, so a parameter change never reprices it.
 */

import { quoteAmount } from './fills.ts'
import { PPM } from './fixedPoint.ts'
import type { Auction, AuctionTerms, CollateralAsset, Market, State } from './types.ts'
import { AUCTION_CURVE, subaccountId } from './types.ts'

/** Genesis keeps durationMs / stepMs at most this, which bounds the stairstep loop. */
export const MAX_AUCTION_STEPS = 100_000n

function stairs(terms: AuctionTerms, steps: bigint): bigint {
  let f = PPM
  for (let k = 0n; k < steps && f > 0n; k++) f = (f * terms.cutPpm) / PPM
  return f
}

export function priceFactor(terms: AuctionTerms, elapsed: bigint): bigint {
  if (elapsed <= 0n) return PPM
  const capped = elapsed < terms.durationMs ? elapsed : terms.durationMs
  switch (terms.curve) {
    case AUCTION_CURVE.linear:
      return (PPM * (terms.durationMs - capped)) / terms.durationMs
    case AUCTION_CURVE.stairstep:
      return stairs(terms, capped / terms.stepMs)
    default: {
      const here = stairs(terms, capped / terms.stepMs)
      const next = (here * terms.cutPpm) / PPM
      return here - ((here - next) * (capped % terms.stepMs)) / terms.stepMs
    }
  }
}

/** The auction's price at block time `time`, price units on the tick (module comment). */
export function auctionPrice(market: Market, a: Auction, time: bigint): bigint {
  const f = priceFactor(a.terms, time - a.startTime)
  const tick = market.tickSize
  if (a.bidderBuys) {
    const raw = (a.startPrice * f) / PPM
    const onTick = (raw / tick) * tick
    return onTick < tick ? tick : onTick
  }
  const raw = a.startPrice * (2n * PPM - f)
  const unit = PPM * tick
  return ((raw + unit - 1n) / unit) * tick
}

/**
 * USDC units for `size` of what the auction sells at `price`: a position slice's exact quote amount, or for
 * collateral floor(size × price × 10^6 / 10^(decimals + priceDecimals)) (the asset's value at that price, rounded
 * down: the liquidated account receives no fraction of a unit it was not paid).
 */
export function auctionQuote(state: State, a: Auction, size: bigint, price: bigint): bigint {
  const market = state.markets[a.market] as Market
  if (a.asset === 0) return quoteAmount(market, size, price)
  const asset = state.assets[a.asset - 1] as CollateralAsset
  return (size * price * 10n ** 6n) / 10n ** BigInt(asset.decimals + market.priceDecimals)
}

/** Whether the auction must restart from the oracle at block time `time`. */
export function needsReset(a: Auction, time: bigint): boolean {
  const elapsed = time - a.startTime
  return elapsed > a.terms.durationMs || priceFactor(a.terms, elapsed) < a.terms.minPriceRatioPpm
}

export function addAuction(state: State, a: Auction): void {
  state.auctions.set(a.id, a)
  const id = subaccountId(a.address, a.subaccount)
  let ids = state.auctionsBySubaccount.get(id)
  if (ids === undefined) {
    ids = new Set()
    state.auctionsBySubaccount.set(id, ids)
  }
  ids.add(a.id)
}

export function removeAuction(state: State, a: Auction): void {
  state.auctions.delete(a.id)
  const id = subaccountId(a.address, a.subaccount)
  const ids = state.auctionsBySubaccount.get(id)
  ids?.delete(a.id)
  if (ids?.size === 0) state.auctionsBySubaccount.delete(id)
}

/** The live auctions of a subaccount, ascending by id. */
export function auctionsOf(state: State, subId: string): Auction[] {
  const ids = state.auctionsBySubaccount.get(subId)
  if (ids === undefined) return []
  return [...ids].sort((a, b) => (a < b ? -1 : 1)).map((id) => state.auctions.get(id) as Auction)
}

export function inLiquidation(state: State, subId: string): boolean {
  return state.auctionsBySubaccount.has(subId)
}
