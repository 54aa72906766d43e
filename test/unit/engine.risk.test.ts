/**
 * The margin fractions in force (engine/riskParams.ts) on the devnet's BTC-USD parameters, against the worked
 * examples of docs/risk-model.md (computed by hand there and here, never read off the code).
 *
 * BTC-USD tiers: from 0 USDC 5% / 3%, from 1,000,000 USDC 10% / 6%, from 5,000,000 USDC 20% / 12% (PPM 50,000 …).
 * Open interest scaling: from 1,000 BTC to 4,000 BTC long OI, tier-0 IMF rises toward 10%.
 * Volatility: reference 1,000 PPM per update, scale bounds ×1 to ×3, decay λ = 0.94.
 */
import { describe, expect, it } from 'vitest'
import { accountView, fractionsInForce, isqrt, tieredRequirement } from '../../engine/index.ts'
import { BTC_60000, oracleTx, run, SIGNERS, stateFromGenesisFile, T0 } from './helpers/engineFixtures.ts'

const USDC = 1_000_000n

function btc() {
  const s = stateFromGenesisFile()
  return { s, m: s.markets[0] as NonNullable<(typeof s.markets)[0]> }
}

describe('tiered requirements with a continuous deduction', () => {
  const { m } = btc()
  const f = fractionsInForce(m)

  it('tier 0: 500,000 USDC notional needs 25,000 initial and 15,000 maintenance', () => {
    expect(tieredRequirement(f, 500_000n * USDC, 'initial')).toBe(25_000n * USDC) // 500,000 × 5%
    expect(tieredRequirement(f, 500_000n * USDC, 'maintenance')).toBe(15_000n * USDC) // 500,000 × 3%
  })

  it('is continuous at each tier floor', () => {
    // at 1,000,000: tier 0 gives 5% = 50,000; tier 1 gives (1e12 × 10% − D₁)/PPM with D₁ = 1e12 × 5% (in PPM units)
    expect(tieredRequirement(f, 1_000_000n * USDC, 'initial')).toBe(50_000n * USDC)
    expect(tieredRequirement(f, 1_000_000n * USDC - 1n, 'initial')).toBe(50_000n * USDC) // ceil(999,999.999999 × 5%)
    // at 5,000,000: tier 1 gives 5M × 10% − 50,000 = 450,000; tier 2 gives 5M × 20% − 550,000 = 450,000
    expect(tieredRequirement(f, 5_000_000n * USDC, 'initial')).toBe(450_000n * USDC)
    expect(tieredRequirement(f, 5_000_000n * USDC - 1n, 'initial')).toBe(450_000n * USDC)
  })

  it('deducts inside higher tiers: 2,000,000 needs 150,000 / 90,000; 6,000,000 needs 650,000', () => {
    expect(tieredRequirement(f, 2_000_000n * USDC, 'initial')).toBe(150_000n * USDC) // 2M × 10% − 50,000
    expect(tieredRequirement(f, 2_000_000n * USDC, 'maintenance')).toBe(90_000n * USDC) // 2M × 6% − 30,000
    expect(tieredRequirement(f, 6_000_000n * USDC, 'initial')).toBe(650_000n * USDC) // 6M × 20% − 550,000
  })
})

describe('open-interest scaling of the initial margin fraction', () => {
  it('adds nothing below 1,000 BTC, half of (10% − 5%) at 2,500 BTC, all of it from 4,000 BTC', () => {
    const { m } = btc()
    m.longOpenInterest = 1_000_000_000n // 1,000 BTC
    expect(fractionsInForce(m).initial).toEqual([50_000n, 100_000n, 200_000n])
    m.longOpenInterest = 2_500_000_000n // ceil(50,000 × 1,500 / 3,000) = 25,000
    expect(fractionsInForce(m).openInterestAddOn).toBe(25_000n)
    expect(fractionsInForce(m).initial).toEqual([75_000n, 125_000n, 225_000n])
    expect(fractionsInForce(m).maintenance).toEqual([30_000n, 60_000n, 120_000n]) // maintenance is not raised
    m.longOpenInterest = 9_000_000_000n // past the upper bound: the full 50,000
    expect(fractionsInForce(m).openInterestAddOn).toBe(50_000n)
  })
})

describe('volatility scaling', () => {
  it('isqrt is the floor of the square root', () => {
    expect([0n, 1n, 3n, 4n, 6_000_000n, 10n ** 20n].map(isqrt)).toEqual([0n, 1n, 1n, 2n, 2449n, 10n ** 10n])
  })

  it('stays at the floor (×1) when calm, doubles at twice the reference, stops at the cap (×3)', () => {
    const { m } = btc()
    expect(fractionsInForce(m).volatilityScale).toBe(1_000_000n) // variance 0 → scale 0 → floor
    m.varianceEwma = 4_000_000n // volatility 2,000 PPM = 2 × reference
    expect(fractionsInForce(m).initial[0]).toBe(100_000n)
    expect(fractionsInForce(m).maintenance[0]).toBe(60_000n)
    m.varianceEwma = 100_000_000n // volatility 10,000 PPM → ×10, capped at ×3
    expect(fractionsInForce(m).initial[0]).toBe(150_000n)
  })

  it('a +1% oracle move folds into the estimate: variance 6,000,000, fractions ×2.449', () => {
    const { s } = btc()
    // quorum of two reports at $60,600: r = 600 / 60,000 = 10,000 PPM; var = (0.94 × 0 + 0.06 × 10^8) = 6 × 10^6
    const up = (BTC_60000 * 101n) / 100n
    run(s, [oracleTx(SIGNERS[0] as `0x${string}`, T0, [0], [up]), oracleTx(SIGNERS[1] as `0x${string}`, T0, [0], [up])])
    const m = s.markets[0] as NonNullable<(typeof s.markets)[0]>
    expect(m.oraclePrice).toBe(up)
    expect(m.varianceEwma).toBe(6_000_000n)
    // volatility isqrt(6e6) = 2,449 → scale 2,449,000; IMF ceil(50,000 × 2.449) = 122,450
    expect(fractionsInForce(m).initial[0]).toBe(122_450n)
  })
})

describe('an account in tier 1', () => {
  it('shows the tiered requirements', () => {
    const { s } = btc()
    const address = [...s.subaccounts.values()][0]?.address as `0x${string}`
    const sub = s.subaccounts.get(`${address}:0`) as NonNullable<ReturnType<typeof s.subaccounts.get>>
    sub.assets.clear() // USDC only: the devnet's 10 WETH would add 27,000 to equity
    sub.positions.set(0, { size: 40_000_000n, cost: 2_400_000n * USDC, fundingIndex: 0n }) // 40 BTC at $60,000 = 2,400,000 USDC
    sub.collateral -= 2_400_000n * USDC
    const view = accountView(s, address, 0)
    expect(view.initialMargin).toBe(190_000n * USDC) // 2.4M × 10% − 50,000
    expect(view.maintenanceMargin).toBe(114_000n * USDC) // 2.4M × 6% − 30,000
    expect(view.equity).toBe(1_000_000n * USDC) // collateral −1.4M + position value 2.4M
  })
})
