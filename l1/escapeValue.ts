/**
 * @module The escape valuation: what PerpRollup.escapeClaim pays a subaccount in escape mode, computed from the
 * leaf bytes of the last settled root (the reference the contract is tested against; docs/settlement.md).
 *
 *   equity = collateral
 *          + Σ floor(size × oraclePrice / quoteDivisor)                                 position value
 *          + Σ floor(−size × (fundingIndex_market − fundingIndex_position) / (PPM × quoteDivisor))   funding
 *   paid   = max(equity, 0)                                                             USDC units (10^-6)
 *
 * Both floors round toward −∞: a long's value and a short's funding receipt round down, a short's value and a
 * long's funding payment round up in magnitude — against the account, as engine/margin.ts does. Cost (entry
 * price) never enters. Non-USD collateral assets are not valued: the contract holds only USDC, and those assets
 * were never deposited through it (docs/settlement.md). Written apart from engine/margin.ts on purpose.
 */
import type { MarketPricing } from './leafValues.ts'
import { marketPricing, subaccountHoldings } from './leafValues.ts'

const PPM = 1_000_000n

/** floor(a / d) for d > 0 (bigint `/` truncates toward zero). */
function floorDiv(a: bigint, d: bigint): bigint {
  const q = a / d
  return a % d !== 0n && a < 0n ? q - 1n : q
}

/** A market's pricing by id: from market leaf values, or from pricing already decoded. */
export type MarketSource = ReadonlyMap<number, Uint8Array | MarketPricing>

function pricingOf(markets: MarketSource, id: number): MarketPricing {
  const m = markets.get(id)
  if (m === undefined) throw new Error(`escape valuation: no leaf for market ${id}`)
  const p = m instanceof Uint8Array ? marketPricing(m) : m
  if (p.market !== id) throw new Error(`escape valuation: leaf of market ${p.market} given for market ${id}`)
  if (p.quoteDivisor <= 0n) throw new Error(`escape valuation: market ${id} has quoteDivisor ${p.quoteDivisor}`)
  return p
}

/** The signed USDC equity the escape valuation sees (before the floor at 0), USDC units. */
export function escapeEquity(subaccountLeaf: Uint8Array, markets: MarketSource): bigint {
  const h = subaccountHoldings(subaccountLeaf)
  let total = h.collateral
  for (const p of h.positions) {
    const m = pricingOf(markets, p.market)
    total += floorDiv(p.size * m.oraclePrice, m.quoteDivisor)
    total += floorDiv(-(p.size * (m.fundingIndex - p.fundingIndex)), PPM * m.quoteDivisor)
  }
  return total
}

/** What escapeClaim pays for this subaccount leaf: max(equity, 0), USDC units. */
export function escapeValue(subaccountLeaf: Uint8Array, markets: MarketSource): bigint {
  const e = escapeEquity(subaccountLeaf, markets)
  return e > 0n ? e : 0n
}
