/**
 * @module Arming one subaccount for the at-risk index (atRisk.ts): from its exact equity and maintenance margin
 * now, thresholds on the values that change its health without touching it — per market the oracle price, the
 * funding index and the volatility scale — such that while no threshold is crossed the account is certainly not
 * liquidatable. The derivation is in docs/risk-model.md, "Liquidation detection"; in short:
 *
 *   K        = 4 per position + 1 per asset                     USDC units: what the floors and ceils can cost
 *   g_j(σ)   = min(PPM, ceil(mmf_j × σ / PPM))                  bounds the tier-j maintenance fraction in force
 *                                                               while the volatility scale is ≤ σ (OI never
 *                                                               raises it: mmf' = min(imf', ceil(mmf × scale)))
 *   B        = equity − Σ requirement(notional, g(σ*)) − K      σ* = the scale threshold chosen per market
 *   funding  : B/16 (floor), shared by notional; ΔF = floor(b × PPM × qd / |size|)
 *   price    : the rest, Bp, shared so that every market tolerates the same relative move:
 *              Δ_m = floor(Bp × P_m / S), S = Σ_m max(ℓdown_m, ℓup_m), ℓ = ceil(slope × P_m / D_m) (USDC units
 *              lost by a 100% move), slopes in USDC per price unit × D_m:
 *              down = α + size × PPM × 10^e − |size| × min_j g_j × 10^e
 *              up   = −α − size × PPM × 10^e + |size| × max_{j ≤ k} g_j × 10^e   (k: tier at the upper threshold)
 *              α    = Σ assets priced by m: amount × 10^6 × (PPM − haircut) × qd × 10^(e − pd − decimals)
 *              D_m  = PPM × qd × 10^e, e = priceDecimals + the largest decimals of an asset priced by m
 * Every division rounds so that the thresholds are tighter, never looser: the index may check an account that
 * is still healthy, never miss one that is not.
 */
import { abs, mulDivCeil, PPM } from './fixedPoint.ts'
import { equity, maintenanceMargin, notional } from './margin.ts'
import type { FractionsInForce } from './riskParams.ts'
import { tieredRequirement } from './riskParams.ts'
import type { CollateralAsset, MarginTier, Market, State, Subaccount } from './types.ts'

/** Threshold kinds. Down kinds trigger when the value falls below the threshold, up kinds when it rises above. */
export const PRICE_DOWN = 0
export const PRICE_UP = 1
export const FUNDING_DOWN = 2
export const FUNDING_UP = 3
export const SCALE_UP = 4
export const KINDS = 5

export function isDownKind(kind: number): boolean {
  return kind === PRICE_DOWN || kind === FUNDING_DOWN
}

/** Share of the buffer set aside for funding: 1/FUNDING_SHARE (floor). */
const FUNDING_SHARE = 16n
/** Scale thresholds below the cap are rounded down to one of this many steps between floor and cap (memo). */
const SCALE_STEPS = 64n
const MAX_SCALED_MEMO = 256

/** Maintenance fractions g(σ), as a FractionsInForce tieredRequirement can read, with their min and prefix max. */
interface ScaledFractions {
  fractions: FractionsInForce
  min: bigint
  /** prefixMax[k] = max_{j ≤ k} g_j */
  prefixMax: bigint[]
}

/** What arming needs of one market; stale (the index rebuilds) when the market or a listed input changes. */
export interface MarketBounds {
  market: Market
  tiers: MarginTier[]
  floors: bigint[]
  cap: bigint
  quoteDivisor: bigint
  priceDecimals: number
  /** PPM × qd × 10^e: slope numerators are USDC lost per price unit × D */
  D: bigint
  /** e = priceDecimals + the largest decimals of an asset priced by this market */
  exponent: number
  /** 10^e: one size unit's value slope is PPM × this, one fraction unit's requirement slope this */
  unit: bigint
  scaled: Map<bigint, ScaledFractions>
}

export interface AssetBounds {
  asset: CollateralAsset
  priceMarket: number
  haircutPpm: bigint
  decimals: number
  /** α per unit of amount, × D of its market: 10^6 × (PPM − haircut) × qd × 10^(e − pd − decimals) */
  slope: bigint
}

export interface Bounds {
  markets: MarketBounds[]
  assets: AssetBounds[]
  assetList: CollateralAsset[]
}

export function makeBounds(state: State): Bounds {
  const extraDecimals = state.markets.map(() => 0)
  for (const a of state.assets)
    extraDecimals[a.priceMarket] = Math.max(extraDecimals[a.priceMarket] ?? 0, a.decimals) as number
  const markets = state.markets.map((m, i): MarketBounds => {
    const exponent = m.priceDecimals + (extraDecimals[i] as number)
    const unit = 10n ** BigInt(exponent)
    return {
      market: m,
      tiers: m.marginTiers,
      floors: m.marginTiers.map((t) => t.notionalFloor),
      exponent,
      cap: m.volatilityScaleCap,
      quoteDivisor: m.quoteDivisor,
      priceDecimals: m.priceDecimals,
      D: PPM * m.quoteDivisor * unit,
      unit,
      scaled: new Map(),
    }
  })
  const assets = state.assets.map((a): AssetBounds => {
    const mb = markets[a.priceMarket] as MarketBounds
    const shift = 10n ** BigInt(mb.exponent - mb.priceDecimals - a.decimals)
    return {
      asset: a,
      priceMarket: a.priceMarket,
      haircutPpm: a.haircutPpm,
      decimals: a.decimals,
      slope: 1_000_000n * (PPM - a.haircutPpm) * mb.quoteDivisor * shift,
    }
  })
  return { markets, assets, assetList: state.assets }
}

/** True when the state's markets or assets are no longer those the bounds were made for. */
export function boundsStale(b: Bounds, state: State): boolean {
  if (state.markets.length !== b.markets.length || state.assets !== b.assetList) return true
  if (state.assets.length !== b.assets.length) return true
  for (let i = 0; i < b.markets.length; i++) {
    const mb = b.markets[i] as MarketBounds
    const m = state.markets[i] as Market
    if (m !== mb.market || m.marginTiers !== mb.tiers || m.volatilityScaleCap !== mb.cap) return true
    if (m.quoteDivisor !== mb.quoteDivisor || m.priceDecimals !== mb.priceDecimals) return true
  }
  for (let i = 0; i < b.assets.length; i++) {
    const ab = b.assets[i] as AssetBounds
    const a = state.assets[i] as CollateralAsset
    if (a !== ab.asset || a.priceMarket !== ab.priceMarket || a.haircutPpm !== ab.haircutPpm) return true
    if (a.decimals !== ab.decimals) return true
  }
  return false
}

/** g(σ) for a market, memoized per σ. */
function scaledFractions(mb: MarketBounds, sigma: bigint): ScaledFractions {
  const hit = mb.scaled.get(sigma)
  if (hit !== undefined) return hit
  if (mb.scaled.size >= MAX_SCALED_MEMO) mb.scaled.clear()
  const floors = mb.floors
  const g = mb.tiers.map((t) => {
    const scaled = (t.maintenanceMarginFraction * sigma + PPM - 1n) / PPM // ceil, both factors ≥ 0
    return scaled < PPM ? scaled : PPM
  })
  const deduction: bigint[] = []
  let d = 0n
  g.forEach((f, k) => {
    if (k > 0) d += (floors[k] as bigint) * (f - (g[k - 1] as bigint))
    deduction.push(d)
  })
  let min = g[0] as bigint
  let running = 0n
  const prefixMax = g.map((f) => {
    if (f < min) min = f
    if (f > running) running = f
    return running
  })
  const fractions: FractionsInForce = {
    floors,
    initial: g,
    maintenance: g,
    initialDeduction: deduction,
    maintenanceDeduction: deduction,
    volatilityScale: sigma,
    openInterestAddOn: 0n,
  }
  const out = { fractions, min, prefixMax }
  mb.scaled.set(sigma, out)
  return out
}

function tierOf(floors: bigint[], n: bigint): number {
  let k = 0
  while (k + 1 < floors.length && (floors[k + 1] as bigint) <= n) k++
  return k
}

/** Outcome of arming. */
export const LIQUIDATABLE = 0
/** Healthy but with no buffer left to arm with (or a price ≤ 0): checked exactly every block. */
export const WATCH = 1
export const ARMED = 2

/** The thresholds of the last ARMED outcome: entry i is (kinds[i], markets[i], keys[i]). Reused, not reallocated. */
export const armed = { count: 0, kinds: [] as number[], markets: [] as number[], keys: [] as bigint[] }

function emit(kind: number, market: number, key: bigint): void {
  const i = armed.count++
  armed.kinds[i] = kind
  armed.markets[i] = market
  armed.keys[i] = key
}

/** Per-market working values of one arming, indexed by market id (reset for the markets the account uses). */
interface Work {
  used: number[]
  inUse: boolean[]
  size: bigint[]
  n0: bigint[]
  alpha: bigint[]
  sigma: bigint[]
  tier: number[]
  down: bigint[]
  up: bigint[]
  delta: bigint[]
}
const work: Work = {
  used: [],
  inUse: [],
  size: [],
  n0: [],
  alpha: [],
  sigma: [],
  tier: [],
  down: [],
  up: [],
  delta: [],
}

function use(id: number): void {
  if (work.inUse[id] === true) return
  work.inUse[id] = true
  work.used.push(id)
  work.size[id] = 0n
  work.n0[id] = 0n
  work.alpha[id] = 0n
}

/**
 * Arms `sub` (which has positions) against the state as it is now: LIQUIDATABLE, WATCH, or ARMED with its
 * thresholds in `armed`. `scales[m]` is volatilityScale of market m now.
 */
export function armSubaccount(b: Bounds, state: State, sub: Subaccount, scales: bigint[]): number {
  const e = equity(state, sub)
  if (e < maintenanceMargin(state, sub)) return LIQUIDATABLE
  armed.count = 0
  for (const id of work.used) work.inUse[id] = false
  work.used.length = 0
  let k = 0n
  for (const [id, p] of sub.positions) {
    use(id)
    work.size[id] = p.size
    work.n0[id] = notional(state.markets[id] as Market, p.size)
    k += 4n
  }
  for (const [id, amount] of sub.assets) {
    if (amount === 0n) continue
    const ab = b.assets[id - 1] as AssetBounds
    use(ab.priceMarket)
    work.alpha[ab.priceMarket] = (work.alpha[ab.priceMarket] as bigint) + amount * ab.slope
    k += 1n
  }
  for (const id of work.used) if ((state.markets[id] as Market).oraclePrice <= 0n) return WATCH
  const budget = chooseScales(b, sub, e - k, scales)
  if (budget < 0n) return WATCH
  const priceBudget = emitFunding(b, state, sub, budget)
  emitPrices(b, state, priceBudget)
  return ARMED
}

/**
 * Picks σ*_m per position market and returns B = avail − Σ requirement(n0, g(σ*)) (avail = equity − K), or a
 * negative number when even σ* = the scale now leaves nothing. σ* is the cap (the scale can never cross it) when
 * that keeps at least half the buffer B_now = avail − Σ requirement(n0, g(scale now)); otherwise the scale takes
 * about half of B_now, σ* interpolated between the scale now and the cap (rounded down to a grid step, ≥ now).
 */
function chooseScales(b: Bounds, sub: Subaccount, avail: bigint, scales: bigint[]): bigint {
  let atCap = 0n
  let atNow = 0n
  for (const id of sub.positions.keys()) {
    const mb = b.markets[id] as MarketBounds
    const n0 = work.n0[id] as bigint
    const capReq = tieredRequirement(scaledFractions(mb, mb.cap).fractions, n0, 'maintenance')
    atCap += capReq
    const now = scales[id] as bigint
    atNow += now === mb.cap ? capReq : tieredRequirement(scaledFractions(mb, now).fractions, n0, 'maintenance')
  }
  const bufferNow = avail - atNow
  if (bufferNow < 0n) return bufferNow
  const bufferCap = avail - atCap
  if (2n * bufferCap >= bufferNow) {
    for (const id of sub.positions.keys()) work.sigma[id] = (b.markets[id] as MarketBounds).cap
    return bufferCap
  }
  // here atCap − atNow > bufferNow / 2 ≥ 0: the scale's share is bufferNow / 2 of that span
  const span = atCap - atNow
  let at = 0n
  for (const id of sub.positions.keys()) {
    const mb = b.markets[id] as MarketBounds
    const now = scales[id] as bigint
    const floor = mb.market.volatilityScaleFloor
    const step = (mb.cap - floor) / SCALE_STEPS > 0n ? (mb.cap - floor) / SCALE_STEPS : 1n
    const target = now + ((mb.cap - now) * bufferNow) / (2n * span) // floor: a lower σ* is safe
    const gridded = floor + ((target - floor) / step) * step
    const sigma = gridded > now ? gridded : now
    work.sigma[id] = sigma
    at += tieredRequirement(scaledFractions(mb, sigma).fractions, work.n0[id] as bigint, 'maintenance')
  }
  if (avail - at >= 0n) return avail - at
  for (const id of sub.positions.keys()) work.sigma[id] = scales[id] as bigint
  return bufferNow
}

/** Funding thresholds (and scale thresholds below the cap); returns the budget left for prices. */
function emitFunding(b: Bounds, state: State, sub: Subaccount, budget: bigint): bigint {
  const fundingBudget = budget / FUNDING_SHARE
  let total = 0n
  for (const id of sub.positions.keys()) total += work.n0[id] as bigint
  let spent = 0n
  for (const [id, p] of sub.positions) {
    const mb = b.markets[id] as MarketBounds
    const m = state.markets[id] as Market
    const sigma = work.sigma[id] as bigint
    if (sigma < mb.cap) emit(SCALE_UP, id, sigma)
    if (p.size === 0n) continue
    // share by notional (floor); a long loses size × ΔF / (PPM × qd) as the index rises, a short as it falls
    const share = total > 0n ? (fundingBudget * (work.n0[id] as bigint)) / total : 0n
    spent += share
    const dF = (share * PPM * m.quoteDivisor) / abs(p.size) // floor: the loss at dF is ≤ share
    if (p.size > 0n) emit(FUNDING_UP, id, m.fundingIndex + dF)
    else emit(FUNDING_DOWN, id, m.fundingIndex - dF)
  }
  return budget - spent
}

/** ceil(slope × price / D) for slope > 0, else 0: USDC units lost by a move of the whole price. */
function fullMoveLoss(slope: bigint, price: bigint, d: bigint): bigint {
  return slope > 0n ? (slope * price + d - 1n) / d : 0n
}

/** Loss per price unit × D as market `id`'s price rises with the upper tier at k (the requirement's slope ≤ max g). */
function upSlopeAt(mb: MarketBounds, id: number, k: number): bigint {
  const s = work.size[id] as bigint
  const alpha = work.alpha[id] as bigint
  if (s === 0n) return -alpha
  const g = scaledFractions(mb, work.sigma[id] as bigint)
  return -alpha - s * PPM * mb.unit + abs(s) * (g.prefixMax[k] as bigint) * mb.unit
}

/**
 * Slopes of market `id`: work.down (the requirement falls at least at min g as the price falls) and work.up at
 * the tier of the notional now; when that is ≤ 0 but a higher tier could still lose, the highest tier's.
 */
function slopes(b: Bounds, id: number): void {
  const mb = b.markets[id] as MarketBounds
  const s = work.size[id] as bigint
  const alpha = work.alpha[id] as bigint
  const last = mb.tiers.length - 1
  if (s === 0n) {
    work.down[id] = alpha
    work.up[id] = -alpha
    work.tier[id] = last
    return
  }
  const g = scaledFractions(mb, work.sigma[id] as bigint)
  work.down[id] = alpha + s * PPM * mb.unit - abs(s) * g.min * mb.unit
  let k = tierOf(mb.floors, work.n0[id] as bigint)
  let up = upSlopeAt(mb, id, k)
  if (up <= 0n && k < last) {
    k = last
    up = upSlopeAt(mb, id, k)
  }
  work.tier[id] = k
  work.up[id] = up
}

/**
 * Price thresholds: every market the account uses tolerates the same relative move, Δ_m = floor(Bp × P_m / S).
 * The upper side's slope holds only up to its tier; if the upper threshold reaches a higher tier, that tier's
 * slope is taken and all Δ recomputed (at most once per tier and market).
 */
function emitPrices(b: Bounds, state: State, priceBudget: bigint): void {
  for (const id of work.used) slopes(b, id)
  for (;;) {
    let total = 0n
    for (const id of work.used) {
      const price = (state.markets[id] as Market).oraclePrice
      const d = (b.markets[id] as MarketBounds).D
      const down = fullMoveLoss(work.down[id] as bigint, price, d)
      const up = fullMoveLoss(work.up[id] as bigint, price, d)
      total += down > up ? down : up
    }
    if (total === 0n) return
    let moved = false
    for (const id of work.used) {
      const m = state.markets[id] as Market
      const mb = b.markets[id] as MarketBounds
      const delta = (priceBudget * m.oraclePrice) / total // floor: Σ loss ≤ Bp
      work.delta[id] = delta
      const k = work.tier[id] as number
      if (k + 1 >= mb.tiers.length || (work.up[id] as bigint) <= 0n) continue
      const reach = tierOf(mb.floors, mulDivCeil(abs(work.size[id] as bigint), m.oraclePrice + delta, m.quoteDivisor))
      if (reach > k) {
        work.tier[id] = reach
        work.up[id] = upSlopeAt(mb, id, reach)
        moved = true
      }
    }
    if (!moved) break
  }
  for (const id of work.used) {
    const price = (state.markets[id] as Market).oraclePrice
    const delta = work.delta[id] as bigint
    if ((work.down[id] as bigint) > 0n && price - delta > 0n) emit(PRICE_DOWN, id, price - delta)
    if ((work.up[id] as bigint) > 0n) emit(PRICE_UP, id, price + delta)
  }
}
