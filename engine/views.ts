/**
 * @module Read models for the RPC: accounts, markets and books as plain data, computed from state. Reads only.
 */
import { depth } from './book.ts'
import { mulDivFloor, PPM } from './fixedPoint.ts'
import { fundingDue, fundingRate } from './funding.ts'
import {
  assetValue,
  equity,
  initialMarginWithOrders,
  liquidationPrice,
  maintenanceMargin,
  positionInitialMargin,
  positionValue,
} from './margin.ts'
import type { Address } from './messages.ts'
import { median } from './oracle.ts'
import { fractionsInForce, isqrt } from './riskParams.ts'
import { readSubaccount } from './subaccounts.ts'
import type { Book, CollateralAsset, MarginTier, Market, RestingOrder, State } from './types.ts'
import { isIsolated } from './types.ts'

export interface PositionView {
  market: number
  size: bigint
  /** price units; cost × quoteDivisor / |size|, rounded toward zero */
  entryPrice: bigint
  unrealizedPnl: bigint
  /** funding owed to (+) or by (−) the position since it last settled, USDC units (already in equity) */
  unsettledFunding: bigint
  liquidationPrice: bigint | null
}

export interface AccountView {
  address: Address
  subaccount: number
  collateral: bigint
  equity: bigint
  /** equity − initial margin including open orders */
  freeCollateral: bigint
  initialMargin: bigint
  maintenanceMargin: bigint
  marginMode: 'cross' | 'isolated'
  /** non-USD collateral: amount in the asset's units, value at the oracle and the haircut value in equity */
  assets: { asset: number; symbol: string; amount: bigint; value: bigint; marginValue: bigint }[]
  positions: PositionView[]
  openOrders: RestingOrder[]
}

export function accountView(state: State, address: Address, subaccount: number): AccountView {
  const sub = readSubaccount(state, address, subaccount)
  const eq = equity(state, sub)
  const positions: PositionView[] = [...sub.positions.entries()]
    .sort(([a], [b]) => a - b)
    .map(([id, p]) => {
      const m = state.markets[id] as Market
      const abs = p.size < 0n ? -p.size : p.size
      return {
        market: id,
        size: p.size,
        entryPrice: ((p.cost < 0n ? -p.cost : p.cost) * m.quoteDivisor) / abs,
        unrealizedPnl: positionValue(m, p.size) - p.cost,
        unsettledFunding: fundingDue(m, p),
        liquidationPrice: liquidationPrice(state, sub, id),
      }
    })
  const openOrders = [...sub.openOrders]
    .sort((a, b) => (a < b ? -1 : 1))
    .map((id) => state.orders.get(id) as RestingOrder)
  return {
    address,
    subaccount,
    collateral: sub.collateral,
    equity: eq,
    freeCollateral: eq - initialMarginWithOrders(state, sub),
    initialMargin: positionInitialMargin(state, sub),
    maintenanceMargin: maintenanceMargin(state, sub),
    marginMode: isIsolated(subaccount) ? 'isolated' : 'cross',
    assets: [...sub.assets]
      .sort(([a], [b]) => a - b)
      .map(([id, amount]) => {
        const asset = state.assets[id - 1] as CollateralAsset
        return {
          asset: id,
          symbol: asset.symbol,
          amount,
          value: assetValue(state, asset, amount, false),
          marginValue: assetValue(state, asset, amount, true),
        }
      }),
    positions,
    openOrders,
  }
}

export interface BookView {
  market: number
  bids: [bigint, bigint][]
  asks: [bigint, bigint][]
}

export function bookView(state: State, market: number, levels: number, time: bigint): BookView {
  const book = state.books[market] as Book
  return { market, bids: depth(book, true, levels, time), asks: depth(book, false, levels, time) }
}

export type MarketView = Omit<Market, 'quoteDivisor' | 'marginTiers'> & {
  markPrice: bigint
  /** the rate of the last funding interval, PPM */
  fundingRate: bigint
  /** the rate the current interval would pay if it ended now, PPM */
  predictedFundingRate: bigint
  /** block time at which the current interval ends, ms */
  nextFundingTime: bigint
  /** = longOpenInterest, size units */
  openInterest: bigint
  openInterestNotional: bigint
  /** tier 0's fractions in force (after volatility and open-interest scaling), PPM */
  initialMarginFraction: bigint
  maintenanceMarginFraction: bigint
  /** governance tiers and the fractions in force for each */
  marginTiers: (MarginTier & { initialInForce: bigint; maintenanceInForce: bigint })[]
  volatility: bigint
  volatilityScale: bigint
  openInterestAddOn: bigint
}

export function marketView(state: State, id: number, time: bigint): MarketView {
  const market = state.markets[id] as Market
  const { quoteDivisor: _, marginTiers, ...shown } = market
  const f = fractionsInForce(market)
  return {
    ...shown,
    markPrice: markPrice(state, id),
    fundingRate: market.lastFundingRate,
    predictedFundingRate: fundingRate(market, time),
    nextFundingTime: market.fundingPeriodStart + market.fundingIntervalMs,
    openInterest: market.longOpenInterest,
    openInterestNotional: openInterestNotional(market),
    initialMarginFraction: f.initial[0] as bigint,
    maintenanceMarginFraction: f.maintenance[0] as bigint,
    marginTiers: marginTiers.map((t, k) => ({
      ...t,
      initialInForce: f.initial[k] as bigint,
      maintenanceInForce: f.maintenance[k] as bigint,
    })),
    volatility: isqrt(market.varianceEwma),
    volatilityScale: f.volatilityScale,
    openInterestAddOn: f.openInterestAddOn,
  }
}

/**
 * Mark price: the median of the oracle price, the book mid and the last trade price, the latter two clamped to
 * oracle ± markPriceBandPpm (a missing mid or last trade counts as the oracle price). Shown, not used for margin.
 */
export function markPrice(state: State, market: number): bigint {
  const m = state.markets[market] as Market
  const book = state.books[market] as Book
  const oracle = m.oraclePrice
  const band = mulDivFloor(oracle, state.oracle.markPriceBandPpm, PPM)
  const clamp = (p: bigint): bigint => (p < oracle - band ? oracle - band : p > oracle + band ? oracle + band : p)
  const bid = book.bids[0]?.price
  const ask = book.asks[0]?.price
  const mid = bid !== undefined && ask !== undefined ? (bid + ask) / 2n : oracle
  const last = m.lastTradePrice === 0n ? oracle : m.lastTradePrice
  return median([oracle, clamp(mid), clamp(last)])
}

/** Open interest in USDC units at the oracle price, rounded down. */
export function openInterestNotional(m: Market): bigint {
  return mulDivFloor(m.longOpenInterest, m.oraclePrice, m.quoteDivisor)
}
