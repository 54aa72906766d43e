/**
 * @module Fixed-point helpers. Money is bigint; every division names its rounding.
 *
 * Scales used across the engine:
 * - collateral / notional / fees / PnL: USDC base units (10^-6 USD), `USDC_SCALE`
 * - fractions (margin fractions, fees): parts per million, `PPM` (50_000 = 5%)
 * - price: 10^-priceDecimals USD per 1 whole base unit; size: 10^-sizeDecimals base unit
 */

export const USDC_DECIMALS = 6
export const PPM = 1_000_000n

/** floor(a * b / d) for d > 0: rounds toward −∞ (for a negative product too). */
export function mulDivFloor(a: bigint, b: bigint, d: bigint): bigint {
  const p = a * b
  const q = p / d
  return p % d !== 0n && p < 0n ? q - 1n : q
}

/** ceil(a * b / d) for d > 0: rounds toward +∞. */
export function mulDivCeil(a: bigint, b: bigint, d: bigint): bigint {
  const p = a * b
  const q = p / d
  return p % d !== 0n && p > 0n ? q + 1n : q
}

export function abs(v: bigint): bigint {
  return v < 0n ? -v : v
}

export function min(a: bigint, b: bigint): bigint {
  return a < b ? a : b
}

export function max(a: bigint, b: bigint): bigint {
  return a > b ? a : b
}

export function pow10(n: number): bigint {
  return 10n ** BigInt(n)
}
