/**
 * @module The margin fractions in force for a market: its tiers, scaled by realized volatility and raised with
 * open interest. All in PPM; see docs/risk-model.md for the formulas and worked examples.
 *
 * volatility   = isqrt(varianceEwma)                                              PPM per oracle update
 * volScale     = clamp(volatility × PPM / volatilityReference, scaleFloor, scaleCap)   (floor division)
 * oiAddOn      = ceil((openInterestImf − imf₀) × clamp(longOI − lower, 0, upper − lower) / (upper − lower))
 * imfₖ'        = min(PPM, ceil(imfₖ × volScale / PPM) + oiAddOn)
 * mmfₖ'        = min(imfₖ', ceil(mmfₖ × volScale / PPM))
 * requirement  = ceil((notional × fₖ' − Dₖ) / PPM) in the tier k with floorₖ ≤ notional,
 *                Dₖ = Σ_{j≤k} floorⱼ × (fⱼ' − fⱼ₋₁')  (D₀ = 0): continuous at every tier floor.
 */
import { max, min, mulDivCeil, PPM } from './fixedPoint.ts'
import type { Market } from './types.ts'

export interface FractionsInForce {
  floors: bigint[]
  initial: bigint[]
  maintenance: bigint[]
  /** Dₖ for initial and maintenance, notional × PPM units */
  initialDeduction: bigint[]
  maintenanceDeduction: bigint[]
  volatilityScale: bigint
  openInterestAddOn: bigint
}

let lastSquare = -1n
let lastRoot = 0n

/** floor(√n) for n ≥ 0 (Newton's method on bigint). The last answer is kept: margin checks ask for the same n. */
export function isqrt(n: bigint): bigint {
  if (n === lastSquare) return lastRoot
  lastRoot = newtonSqrt(n)
  lastSquare = n
  return lastRoot
}

function newtonSqrt(n: bigint): bigint {
  if (n < 2n) return n
  let x = n
  let y = (x + 1n) / 2n
  while (y < x) {
    x = y
    y = (x + n / x) / 2n
  }
  return x
}

export function volatilityScale(m: Market): bigint {
  const scale = (isqrt(m.varianceEwma) * PPM) / m.volatilityReference
  return min(max(scale, m.volatilityScaleFloor), m.volatilityScaleCap)
}

export function openInterestAddOn(m: Market): bigint {
  const base = (m.marginTiers[0] as { initialMarginFraction: bigint }).initialMarginFraction
  const span = m.openInterestUpper - m.openInterestLower
  if (m.openInterestImf <= base || span <= 0n) return 0n
  const into = min(max(m.longOpenInterest - m.openInterestLower, 0n), span)
  return mulDivCeil(m.openInterestImf - base, into, span)
}

function deductions(floors: bigint[], fractions: bigint[]): bigint[] {
  const out: bigint[] = []
  let d = 0n
  fractions.forEach((f, k) => {
    if (k > 0) d += (floors[k] as bigint) * (f - (fractions[k - 1] as bigint))
    out.push(d)
  })
  return out
}

/**
 * The last result per market, reused while every input is the same (margin checks ask many times a block).
 * A market's tiers are replaced, never edited in place, so the array itself stands for them.
 */
interface Memo {
  marginTiers: Market['marginTiers']
  varianceEwma: bigint
  longOpenInterest: bigint
  volatilityReference: bigint
  volatilityScaleFloor: bigint
  volatilityScaleCap: bigint
  openInterestLower: bigint
  openInterestUpper: bigint
  openInterestImf: bigint
  result: FractionsInForce
}
const memo = new WeakMap<Market, Memo>()

/** Field by field, with no array built per call: this runs for every position of every margin check. */
function sameInputs(c: Memo, m: Market): boolean {
  return (
    c.marginTiers === m.marginTiers &&
    c.varianceEwma === m.varianceEwma &&
    c.longOpenInterest === m.longOpenInterest &&
    c.volatilityReference === m.volatilityReference &&
    c.volatilityScaleFloor === m.volatilityScaleFloor &&
    c.volatilityScaleCap === m.volatilityScaleCap &&
    c.openInterestLower === m.openInterestLower &&
    c.openInterestUpper === m.openInterestUpper &&
    c.openInterestImf === m.openInterestImf
  )
}

export function fractionsInForce(m: Market): FractionsInForce {
  const cached = memo.get(m)
  if (cached !== undefined && sameInputs(cached, m)) return cached.result
  const result = computeFractions(m)
  memo.set(m, {
    marginTiers: m.marginTiers,
    varianceEwma: m.varianceEwma,
    longOpenInterest: m.longOpenInterest,
    volatilityReference: m.volatilityReference,
    volatilityScaleFloor: m.volatilityScaleFloor,
    volatilityScaleCap: m.volatilityScaleCap,
    openInterestLower: m.openInterestLower,
    openInterestUpper: m.openInterestUpper,
    openInterestImf: m.openInterestImf,
    result,
  })
  return result
}

function computeFractions(m: Market): FractionsInForce {
  const volatility = volatilityScale(m)
  const addOn = openInterestAddOn(m)
  const floors = m.marginTiers.map((t) => t.notionalFloor)
  const initial = m.marginTiers.map((t) => min(PPM, mulDivCeil(t.initialMarginFraction, volatility, PPM) + addOn))
  const maintenance = m.marginTiers.map((t, k) =>
    min(initial[k] as bigint, mulDivCeil(t.maintenanceMarginFraction, volatility, PPM)),
  )
  return {
    floors,
    initial,
    maintenance,
    initialDeduction: deductions(floors, initial),
    maintenanceDeduction: deductions(floors, maintenance),
    volatilityScale: volatility,
    openInterestAddOn: addOn,
  }
}

function tierOf(floors: bigint[], notional: bigint): number {
  let k = 0
  while (k + 1 < floors.length && (floors[k + 1] as bigint) <= notional) k++
  return k
}

/** The requirement (USDC units) of one position of `notional` USDC units; rounded up. */
export function tieredRequirement(f: FractionsInForce, notional: bigint, kind: 'initial' | 'maintenance'): bigint {
  const k = tierOf(f.floors, notional)
  const fraction = (kind === 'initial' ? f.initial : f.maintenance)[k] as bigint
  const deduction = (kind === 'initial' ? f.initialDeduction : f.maintenanceDeduction)[k] as bigint
  return mulDivCeil(notional * fraction - deduction, 1n, PPM)
}
