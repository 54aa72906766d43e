/**
 * @module Funding: a cumulative index per market, paid lazily by positions. Formulas in docs/risk-model.md.
 *
 * premium      = (max(0, impactBid − oracle) − max(0, oracle − impactAsk)) × PPM / oracle    (toward zero)
 *                impact prices: the average price of selling / buying impactNotional USDC into the book
 * accumulated += premium × ms it was in force (premium is recomputed when a block changed the market or its book)
 * at each interval: avg = accumulated / elapsed ms (toward zero)
 *                rate = clamp(avg + clamp(interest − avg, −500, 500), −cap, cap)      PPM per interval
 *                fundingIndex += rate × oraclePrice
 * a position owes owed = size × (fundingIndex − its snapshot); its collateral changes by
 *                floor(−owed / (PPM × quoteDivisor))     (rounded against the account: pays up, receives down)
 * The opposite entry goes to the market's fundingBalance, so settled funding is conserved; since long and short
 * open interest are equal, exact funding sums to zero, and what rounding leaves in fundingBalance goes to the
 * insurance fund when the market has no open interest.
 */

import type { Dirty } from './dirty.ts'
import { touchCollateral } from './dirty.ts'
import { max, min, mulDivFloor, PPM } from './fixedPoint.ts'
import { insuranceFund } from './insuranceFund.ts'
import type { BlockEnv, Book, Market, Position, PriceLevel, State, Subaccount, TxEvent } from './types.ts'

/** The premium band around interest (±0.05% per interval), PPM. */
export const INTEREST_BAND_PPM = 500n

/** Collateral change (USDC units) that settles a position's funding up to the market's index. */
export function fundingDue(market: Market, position: Position): bigint {
  const owed = position.size * (market.fundingIndex - position.fundingIndex)
  return mulDivFloor(-owed, 1n, PPM * market.quoteDivisor)
}

/** Settles every position of `sub` (state): collateral and the market's funding balance move, snapshots advance. */
export function settleFunding(state: State, sub: Subaccount, dirty: Dirty, onlyMarket?: number): void {
  for (const [id, p] of sub.positions) {
    if (onlyMarket !== undefined && id !== onlyMarket) continue
    const market = state.markets[id] as Market
    if (p.fundingIndex === market.fundingIndex) continue
    const due = fundingDue(market, p)
    touchCollateral(dirty, sub)
    sub.collateral += due
    market.fundingBalance -= due
    p.fundingIndex = market.fundingIndex
    dirty.markets.add(id)
  }
}

/** The same on a copy (a dry run): only the copy changes. */
export function settleFundingOnCopy(state: State, copy: Subaccount): void {
  for (const [id, p] of copy.positions) {
    const market = state.markets[id] as Market
    copy.collateral += fundingDue(market, p)
    copy.positions.set(id, { ...p, fundingIndex: market.fundingIndex })
  }
}

/** Average price (price units, toward zero) of trading `notional` USDC units through `levels`; undefined if empty. */
export function impactPrice(levels: PriceLevel[], notional: bigint, quoteDivisor: bigint): bigint | undefined {
  let size = 0n
  let quote = 0n
  for (const level of levels) {
    if (quote >= notional) break
    const levelQuote = (level.size * level.price) / quoteDivisor
    const take = levelQuote <= notional - quote ? level.size : ((notional - quote) * quoteDivisor) / level.price
    size += take
    quote += (take * level.price) / quoteDivisor
  }
  return size === 0n ? undefined : (quote * quoteDivisor) / size
}

export function premium(market: Market, book: Book): bigint {
  const oracle = market.oraclePrice
  const bid = impactPrice(book.bids, market.impactNotional, market.quoteDivisor)
  const ask = impactPrice(book.asks, market.impactNotional, market.quoteDivisor)
  const up = bid === undefined ? 0n : max(bid - oracle, 0n)
  const down = ask === undefined ? 0n : max(oracle - ask, 0n)
  return ((up - down) * PPM) / oracle
}

/** End of block: markets whose book or price changed take their new premium (time-weighting the old one). */
export function updatePremiums(state: State, touched: Iterable<number>, env: BlockEnv, dirty: Dirty): void {
  for (const id of touched) {
    const market = state.markets[id] as Market
    const next = premium(market, state.books[id] as Book)
    if (next === market.premiumNow) continue
    market.premiumAccumulated += market.premiumNow * (env.time - market.premiumSince)
    market.premiumNow = next
    market.premiumSince = env.time
    dirty.markets.add(id)
  }
}

export function fundingRate(market: Market, time: bigint): bigint {
  const elapsed = time - market.fundingPeriodStart
  const accumulated = market.premiumAccumulated + market.premiumNow * (time - market.premiumSince)
  const avg = elapsed > 0n ? accumulated / elapsed : 0n
  const interest = market.interestRatePpm
  const rate = avg + min(max(interest - avg, -INTEREST_BAND_PPM), INTEREST_BAND_PPM)
  return min(max(rate, -market.fundingRateCapPpm), market.fundingRateCapPpm)
}

/**
 * Start of block: each market whose funding period has run its interval advances its index once (several
 * elapsed intervals without a block pay once), starts a new period, and, if it has no open interest, moves its
 * funding balance (rounding residue) to the insurance fund.
 */
export function fundingTick(state: State, env: BlockEnv, dirty: Dirty): TxEvent[] {
  const events: TxEvent[] = []
  for (const market of state.markets) {
    if (env.time - market.fundingPeriodStart < market.fundingIntervalMs) continue
    const rate = fundingRate(market, env.time)
    market.fundingIndex += rate * market.oraclePrice
    market.lastFundingRate = rate
    market.fundingPeriodStart = env.time
    market.premiumAccumulated = 0n
    market.premiumSince = env.time
    if (market.longOpenInterest === 0n && market.fundingBalance !== 0n) {
      const fund = insuranceFund(state)
      touchCollateral(dirty, fund)
      fund.collateral += market.fundingBalance
      market.fundingBalance = 0n
    }
    dirty.markets.add(market.id)
    events.push({ type: 'funding', market: market.id, rate, index: market.fundingIndex })
  }
  return events
}
