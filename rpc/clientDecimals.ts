/**
 * @module Decimal strings ↔ the chain's integer units, exactly (no floats anywhere). A price "60000.5" on a
 * market with 8 price decimals is 6,000,050,000,000 price units; a size "0.01" with 6 size decimals is 10,000
 * size units; an amount "100.5" of USDC (6 decimals) is 100,500,000 units.
 *
 * Parsing never rounds: a value with more non-zero fractional digits than the scale is refused
 * (TooManyDecimalsError), as is a price off the market's tick or a size off its lot (NotOnTickError,
 * NotOnLotError with origin `client`), all before any request. Trailing zeros past the scale are accepted,
 * since the value is still exact ("1.50" at 1 decimal is 15).
 */
import { appError } from './clientAppErrors.ts'
import { InvalidDecimalError, TooManyDecimalsError } from './clientErrors.ts'

/** USDC, the collateral: amounts, collateral, equity, margins, fees and PnL are in 10^-6 USDC. */
export const COLLATERAL_DECIMALS = 6

/** What a market publishes about its scales (perp_markets). Tick and lot are in price and size units. */
export interface MarketScale {
  id: number
  symbol: string
  priceDecimals: number
  sizeDecimals: number
  tickSize: bigint
  lotSize: bigint
}

// 78 digits bound a uint256; anything longer is refused before BigInt sees it
const UNSIGNED = /^([0-9]{1,78})(?:\.([0-9]{1,78}))?$/

/** "60000.5" at 8 decimals → 6000050000000n. Unsigned only; throws InvalidDecimalError / TooManyDecimalsError. */
export function parseUnits(value: string, decimals: number, field: string): bigint {
  if (typeof value !== 'string')
    throw new InvalidDecimalError('INVALID_DECIMAL', `${field} must be a decimal string such as "1.5"`, {
      field,
      details: `got ${typeof value}: pass decimals as strings, never as JS numbers (floats are not exact)`,
    })
  const m = UNSIGNED.exec(value)
  if (m === null)
    throw new InvalidDecimalError('INVALID_DECIMAL', `${field} "${value.slice(0, 40)}" is not an unsigned decimal`, {
      field,
      details: 'expected digits with an optional fractional part, e.g. "60000.5"; no sign, exponent or separators',
    })
  const whole = m[1] as string
  const fraction = (m[2] ?? '').replace(/0+$/, '')
  if (fraction.length > decimals) throw new TooManyDecimalsError(value, decimals, field)
  return BigInt(whole + fraction.padEnd(decimals, '0'))
}

/** 6000050000000n at 8 decimals → "60000.5"; signed (a short position's size is negative); no trailing zeros. */
export function formatUnits(units: bigint, decimals: number): string {
  const negative = units < 0n
  const digits = (negative ? -units : units).toString().padStart(decimals + 1, '0')
  const whole = digits.slice(0, digits.length - decimals)
  const fraction = digits.slice(digits.length - decimals).replace(/0+$/, '')
  return `${negative ? '-' : ''}${whole}${fraction === '' ? '' : `.${fraction}`}`
}

/** A decimal price → price units, refused off the market's tick (names the two nearest valid prices). */
export function parsePrice(market: MarketScale, price: string, field = 'price'): bigint {
  const units = parseUnits(price, market.priceDecimals, field)
  const off = units % market.tickSize
  if (off !== 0n) {
    const below = formatPrice(market, units - off)
    const above = formatPrice(market, units - off + market.tickSize)
    throw appError('NOT_ON_TICK', `${field} ${price} is not on ${market.symbol}'s tick`, {
      origin: 'client',
      field,
      details: `the tick is ${formatPrice(market, market.tickSize)}; nearest valid prices: ${below} and ${above}`,
    })
  }
  return units
}

/** A decimal size (base units) → size units, refused off the market's lot. */
export function parseSize(market: MarketScale, size: string, field = 'size'): bigint {
  const units = parseUnits(size, market.sizeDecimals, field)
  if (units % market.lotSize !== 0n)
    throw appError('NOT_ON_LOT', `${field} ${size} is not a multiple of ${market.symbol}'s lot`, {
      origin: 'client',
      field,
      details: `the lot is ${formatSize(market, market.lotSize)}`,
    })
  return units
}

/** A decimal USDC amount → collateral units (10^-6). */
export function parseAmount(amount: string, field = 'amount'): bigint {
  return parseUnits(amount, COLLATERAL_DECIMALS, field)
}

export function formatPrice(market: Pick<MarketScale, 'priceDecimals'>, price: bigint): string {
  return formatUnits(price, market.priceDecimals)
}

export function formatSize(market: Pick<MarketScale, 'sizeDecimals'>, size: bigint): string {
  return formatUnits(size, market.sizeDecimals)
}

/** Collateral units (USDC, 10^-6) → "100.5". */
export function formatAmount(amount: bigint): string {
  return formatUnits(amount, COLLATERAL_DECIMALS)
}
