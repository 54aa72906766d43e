/**
 * The client SDK's decimal conversion: exact parsing into chain units, refusals (format, precision, tick, lot)
 * before anything is sent, formatting back, and the market order's slippage bound.
 */
import fc from 'fast-check'
import {
  formatAmount,
  formatPrice,
  formatSize,
  formatUnits,
  InvalidDecimalError,
  type MarketScale,
  NotOnLotError,
  NotOnTickError,
  PerpdError,
  parseAmount,
  parsePrice,
  parseSize,
  parseUnits,
  TooManyDecimalsError,
} from 'perpd/client'
import { describe, expect, it } from 'vitest'
import { slippageLimit } from '../../rpc/clientOrders.ts'

// the devnet's BTC-USD (genesis.json): 8 price decimals, tick 10,000,000 = $0.1; 6 size decimals, lot 1,000 = 0.001
const BTC: MarketScale = {
  id: 0,
  symbol: 'BTC-USD',
  priceDecimals: 8,
  sizeDecimals: 6,
  tickSize: 10_000_000n,
  lotSize: 1_000n,
}

function thrown(f: () => unknown): unknown {
  try {
    f()
  } catch (e) {
    return e
  }
  throw new Error('expected a throw')
}

describe('parseUnits', () => {
  it('converts exactly: whole part × 10^decimals plus the fraction padded to the scale', () => {
    expect(parseUnits('60000.5', 8, 'price')).toBe(60000n * 10n ** 8n + 5n * 10n ** 7n)
    expect(parseUnits('0.01', 6, 'size')).toBe(10_000n)
    expect(parseUnits('100.5', 6, 'amount')).toBe(100_500_000n)
    expect(parseUnits('7', 0, 'n')).toBe(7n)
    expect(parseUnits('0.00000001', 8, 'price')).toBe(1n)
  })

  it('accepts trailing zeros past the scale (the value is still exact)', () => {
    expect(parseUnits('1.50', 1, 'x')).toBe(15n)
    expect(parseUnits('2.000000000', 6, 'x')).toBe(2_000_000n)
  })

  it('refuses a non-zero digit past the scale with TooManyDecimalsError naming the field and scale', () => {
    const e = thrown(() => parseUnits('0.123456789', 8, 'price'))
    expect(e).toBeInstanceOf(TooManyDecimalsError)
    expect(e).toBeInstanceOf(PerpdError)
    expect(e).toMatchObject({ reason: 'TOO_MANY_DECIMALS', field: 'price', decimals: 8 })
    expect(thrown(() => parseAmount('100.0000001'))).toMatchObject({ reason: 'TOO_MANY_DECIMALS', field: 'amount' })
  })

  it.each(['-1', '1e5', '.5', '5.', '1,000', ' 1', '', '0x10', '+3', '1.2.3', 'NaN'])(
    'refuses the malformed decimal %j',
    (value) => {
      const e = thrown(() => parseUnits(value, 6, 'size'))
      expect(e).toBeInstanceOf(InvalidDecimalError)
      expect(e).toMatchObject({ reason: 'INVALID_DECIMAL', field: 'size' })
    },
  )

  it('refuses a JS number (floats are not exact): decimals travel as strings', () => {
    expect(thrown(() => parseUnits(0.1 as unknown as string, 6, 'size'))).toBeInstanceOf(InvalidDecimalError)
  })
})

describe('formatUnits', () => {
  it('writes the shortest exact decimal, signed', () => {
    expect(formatUnits(6_000_050_000_000n, 8)).toBe('60000.5')
    expect(formatUnits(0n, 8)).toBe('0')
    expect(formatUnits(-10_000n, 6)).toBe('-0.01')
    expect(formatUnits(1n, 8)).toBe('0.00000001')
    expect(formatUnits(42n, 0)).toBe('42')
    expect(formatPrice(BTC, 6_000_000_000_000n)).toBe('60000')
    expect(formatSize(BTC, -100_000n)).toBe('-0.1')
    expect(formatAmount(1_000_000_000_000n)).toBe('1000000')
  })

  it('round-trips: parseUnits(formatUnits(u, d), d) = u for every unsigned u and scale', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: (1n << 256n) - 1n }), fc.integer({ min: 0, max: 30 }), (u, d) => {
        expect(parseUnits(formatUnits(u, d), d, 'x')).toBe(u)
      }),
    )
  })
})

describe('market scales', () => {
  it('parses a price on the tick and refuses one off it, naming the two nearest valid prices', () => {
    expect(parsePrice(BTC, '60000.5')).toBe(6_000_050_000_000n)
    const e = thrown(() => parsePrice(BTC, '60000.55'))
    expect(e).toBeInstanceOf(NotOnTickError)
    expect(e).toMatchObject({ reason: 'NOT_ON_TICK', code: 1022, origin: 'client', field: 'price' })
    expect((e as PerpdError).details).toContain('60000.5 and 60000.6')
  })

  it('parses a size on the lot and refuses one off it', () => {
    expect(parseSize(BTC, '0.01')).toBe(10_000n)
    const e = thrown(() => parseSize(BTC, '0.0105'))
    expect(e).toBeInstanceOf(NotOnLotError)
    expect(e).toMatchObject({ reason: 'NOT_ON_LOT', code: 1023, origin: 'client', field: 'size' })
  })

  it('checks precision before the tick: a price with 9 decimals is a precision error, not a tick error', () => {
    expect(thrown(() => parsePrice(BTC, '60000.123456789'))).toBeInstanceOf(TooManyDecimalsError)
  })
})

describe('slippageLimit (market orders)', () => {
  // reference 60,000.12345678 (price units 6,000,012,345,678), slippage 1% = 10,000 ppm
  const ref = 6_000_012_345_678n
  it('a buy bounds at ⌊ref × 1.01⌋ rounded down to the tick', () => {
    // 6,000,012,345,678 × 1.01 = 6,060,012,469,134.78 → 6,060,012,469,134 → down to 10^7: 6,060,010,000,000
    expect(slippageLimit(BTC, 'buy', ref, 10_000n)).toBe(6_060_010_000_000n)
  })
  it('a sell bounds at ⌈ref × 0.99⌉ rounded up to the tick', () => {
    // 6,000,012,345,678 × 0.99 = 5,940,012,222,221.22 → 5,940,012,222,222 → up to 10^7: 5,940,020,000,000
    expect(slippageLimit(BTC, 'sell', ref, 10_000n)).toBe(5_940_020_000_000n)
  })
  it('never passes the stated bound, and lands on the tick', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 1n, max: 10n ** 15n }),
        fc.bigInt({ min: 0n, max: 999_999n }),
        fc.constantFrom('buy' as const, 'sell' as const),
        (reference, s, side) => {
          const limit = slippageLimit(BTC, side, reference, s)
          expect(limit % BTC.tickSize).toBe(0n)
          // buy: limit ≤ ref × (1 + s); sell: limit ≥ ref × (1 − s), compared without division
          if (side === 'buy') expect(limit * 1_000_000n <= reference * (1_000_000n + s)).toBe(true)
          else expect(limit * 1_000_000n >= reference * (1_000_000n - s)).toBe(true)
        },
      ),
    )
  })
})
