/**
 * @module Margin arithmetic (cross margin: all positions of a subaccount share its collateral). Formulas and
 * roundings are in docs/risk-model.md; every rounding goes against the account.
 *
 * positionValue   = floor(size × oraclePrice / quoteDivisor)          signed, USDC units
 * notional        = ceil(|size| × oraclePrice / quoteDivisor)          USDC units
 * requirement     = tieredRequirement(fractions in force, notional)    riskParams.ts, rounded up
 * equity          = collateral + Σ positionValue
 * maintenance     = Σ requirement(notional, maintenance)
 * initial         = Σ requirement(worst-case notional incl. open orders, initial) + Σ open-order adverse-price
 *                   loss (see initialMarginWithOrders)
 */
import { abs, max, mulDivCeil, mulDivFloor, PPM } from './fixedPoint.ts'
import { fundingDue } from './funding.ts'
import { adverseLoss, orderExposure } from './orderExposure.ts'
import { fractionsInForce, tieredRequirement } from './riskParams.ts'
import type { CollateralAsset, Market, RestingOrder, State, Subaccount } from './types.ts'

export function positionValue(market: Market, size: bigint): bigint {
  return mulDivFloor(size, market.oraclePrice, market.quoteDivisor)
}

export function notional(market: Market, size: bigint): bigint {
  return mulDivCeil(abs(size), market.oraclePrice, market.quoteDivisor)
}

export function positionRequirement(market: Market, size: bigint, kind: 'initial' | 'maintenance'): bigint {
  return tieredRequirement(fractionsInForce(market), notional(market, size), kind)
}

/**
 * USDC value of `amount` of a non-USD asset at its market's oracle price: floor(amount × price × 10^6 /
 * 10^(decimals + priceDecimals)); with `haircut`, times (PPM − haircutPpm) / PPM inside the same floor.
 */
export function assetValue(state: State, asset: CollateralAsset, amount: bigint, haircut: boolean): bigint {
  const m = state.markets[asset.priceMarket] as Market
  const keep = haircut ? PPM - asset.haircutPpm : PPM
  return mulDivFloor(amount * m.oraclePrice * 10n ** 6n, keep, 10n ** BigInt(asset.decimals + m.priceDecimals) * PPM)
}

/** Σ haircut value of the subaccount's non-USD collateral, USDC units. */
export function assetsMarginValue(state: State, sub: Subaccount): bigint {
  let total = 0n
  for (const [id, amount] of sub.assets)
    total += assetValue(state, state.assets[id - 1] as CollateralAsset, amount, true)
  return total
}

/**
 * collateral + Σ haircut value of non-USD collateral + Σ positionValue + Σ funding not yet settled (fundingDue,
 * rounded against the account).
 */
export function equity(state: State, sub: Subaccount): bigint {
  let total = sub.collateral + assetsMarginValue(state, sub)
  for (const [id, p] of sub.positions) {
    const m = state.markets[id] as Market
    total += positionValue(m, p.size) + fundingDue(m, p)
  }
  return total
}

/** Σ over positions of max(0, positionValue − cost): unrealized profit, USDC units. */
export function positiveUnrealizedPnl(state: State, sub: Subaccount): bigint {
  let total = 0n
  for (const [id, p] of sub.positions) total += max(positionValue(state.markets[id] as Market, p.size) - p.cost, 0n)
  return total
}

/**
 * The equity that counts for initial margin and withdrawals: positive unrealized PnL is haircut,
 * equity − ceil(positiveUnrealizedPnl × unrealizedPnlHaircutPpm / PPM) (a price pumped in a thin market cannot
 * be borrowed against or withdrawn in full).
 */
export function haircutEquity(state: State, sub: Subaccount): bigint {
  return equity(state, sub) - mulDivCeil(positiveUnrealizedPnl(state, sub), state.risk.unrealizedPnlHaircutPpm, PPM)
}

/** Σ notional of the positions, USDC units (rounded up per position). */
export function openNotional(state: State, sub: Subaccount): bigint {
  let total = 0n
  for (const [id, p] of sub.positions) total += notional(state.markets[id] as Market, p.size)
  return total
}

/**
 * Collateral may leave a subaccount (withdrawal, transfer) only if afterwards it still holds it as USDC
 * (collateral ≥ 0) and haircutEquity ≥ max(initial margin with orders, ceil(openNotional × withdrawalFloorPpm / PPM)).
 * Returns the shortfall's description, or undefined when allowed.
 */
export function withdrawalShortfall(state: State, after: Subaccount): string | undefined {
  if (after.collateral < 0n) return `collateral would be ${after.collateral}: only USDC held can leave`
  const have = haircutEquity(state, after)
  const floor = mulDivCeil(openNotional(state, after), state.risk.withdrawalFloorPpm, PPM)
  const need = max(initialMarginWithOrders(state, after), floor)
  return have >= need ? undefined : `equity (with profit haircut) ${have} would be below ${need}`
}

function positionsRequirement(state: State, sub: Subaccount, kind: 'initial' | 'maintenance'): bigint {
  let total = 0n
  for (const [id, p] of sub.positions) {
    const m = state.markets[id] as Market
    total += tieredRequirement(fractionsInForce(m), notional(m, p.size), kind)
  }
  return total
}

export function maintenanceMargin(state: State, sub: Subaccount): bigint {
  return positionsRequirement(state, sub, 'maintenance')
}

/** Initial margin of the positions alone (what perp_account shows as initialMargin). */
export function positionInitialMargin(state: State, sub: Subaccount): bigint {
  return positionsRequirement(state, sub, 'initial')
}

/**
 * Initial margin counting resting orders as if they all filled: per market, the worst-case size is
 * max(|size + open buys|, |size − open sells|), valued at the oracle price; plus, for every resting order priced
 * worse than the oracle (a buy above it, a sell below it), the loss it would realize on filling,
 * ceil(|price − oracle| × size / quoteDivisor).
 */
export function initialMarginWithOrders(
  state: State,
  sub: Subaccount,
  /** an order about to rest, not yet in state */
  extra?: RestingOrder,
): bigint {
  const { adverse, buys, sells } = orderExposure(state, sub)
  // the extra order joins its side in its market only: added where that term is formed, no copy of the maps
  const extraBuy = extra?.isBuy === true ? extra.size : 0n
  const extraSell = extra?.isBuy === false ? extra.size : 0n
  // a sum over markets: the order of the terms does not matter
  const initialFor = (id: number, size: bigint): bigint => {
    const m = state.markets[id] as Market
    const mine = extra?.market === id
    const openBuys = (buys.get(id) ?? 0n) + (mine ? extraBuy : 0n)
    const openSells = (sells.get(id) ?? 0n) + (mine ? extraSell : 0n)
    const worst = max(abs(size + openBuys), abs(size - openSells))
    return tieredRequirement(fractionsInForce(m), notional(m, worst), 'initial')
  }
  let total = adverse + (extra === undefined ? 0n : adverseLoss(state, extra, extra.size))
  for (const [id, p] of sub.positions) total += initialFor(id, p.size)
  for (const id of buys.keys()) if (!sub.positions.has(id)) total += initialFor(id, 0n)
  for (const id of sells.keys()) if (!sub.positions.has(id) && !buys.has(id)) total += initialFor(id, 0n)
  if (extra !== undefined && !sub.positions.has(extra.market) && !buys.has(extra.market) && !sells.has(extra.market))
    total += initialFor(extra.market, 0n)
  return total
}

/**
 * The oracle price at which equity falls to maintenance margin if only this market's price moves and the
 * position stays in its current tier k, or null if no positive price does. Solves
 *   otherEquity + size × p / qd = otherMaintenance + (|size| × p / qd × mmfₖ − Dₖ) / PPM
 * p = ((otherMaintenance − otherEquity) × PPM − Dₖ) × qd / (size × PPM − |size| × mmfₖ);
 * rounded up for a long and down for a short (toward earlier liquidation). For display only.
 */
export function liquidationPrice(state: State, sub: Subaccount, marketId: number): bigint | null {
  const m = state.markets[marketId] as Market
  const size = sub.positions.get(marketId)?.size ?? 0n
  if (size === 0n) return null
  const f = fractionsInForce(m)
  const n = notional(m, size)
  let k = 0
  while (k + 1 < f.floors.length && (f.floors[k + 1] as bigint) <= n) k++
  const mmf = f.maintenance[k] as bigint
  const otherEquity = equity(state, sub) - positionValue(m, size)
  const otherMaintenance = maintenanceMargin(state, sub) - tieredRequirement(f, n, 'maintenance')
  const numerator = ((otherMaintenance - otherEquity) * PPM - (f.maintenanceDeduction[k] as bigint)) * m.quoteDivisor
  const denominator = size * PPM - abs(size) * mmf
  if (denominator === 0n) return null
  const price = size > 0n ? mulDivCeil(numerator, 1n, denominator) : mulDivFloor(-numerator, 1n, -denominator)
  return price > 0n ? price : null
}
