/**
 * Funding (engine/funding.ts) on the devnet's BTC-USD: interval 1 h, cap 0.4%, interest 12 PPM, impact notional
 * 10,000 USDC, price 8 decimals, size 6 decimals (quoteDivisor 10^8, so a payment is owed / (PPM × 10^8)).
 */
import { describe, expect, it } from 'vitest'
import type { State, VerifiedTx } from '../../engine/index.ts'
import { accountView, fundingRate, insuranceFundBalance, premium } from '../../engine/index.ts'
import {
  ACCOUNTS,
  BTC_60000,
  fresh,
  GENESIS_TIME,
  orderMsg,
  orderTx,
  run,
  stateFromGenesisFile,
  subOf,
  T0,
  uniqueHash,
} from './helpers/engineFixtures.ts'

const [A, B, C] = ACCOUNTS as [`0x${string}`, `0x${string}`, `0x${string}`]
const HOUR = 3_600_000n
const btc = (s: State) => s.markets[0] as NonNullable<State['markets'][0]>
const touch = (account: `0x${string}`): VerifiedTx => ({
  kind: 'transfer',
  message: { account, fromSubaccount: 0, toSubaccount: 1, amount: 1n, nonce: fresh() },
  hash: uniqueHash(),
  signer: account,
})

/** A buys `size` from B's ask at $60,000: A long, B short. */
function longShort(size: bigint): State {
  const s = stateFromGenesisFile()
  run(s, [orderTx(orderMsg(B, { isBuy: false, size, price: BTC_60000 }))])
  run(s, [orderTx(orderMsg(A, { isBuy: true, size, price: BTC_60000, timeInForce: 1 }))])
  return s
}

describe('premium and rate', () => {
  it('a bid of 0.2 BTC at $60,060 gives an impact bid of $60,060 and a premium of 1,000 PPM', () => {
    const s = stateFromGenesisFile()
    run(s, [orderTx(orderMsg(C, { isBuy: true, size: 200_000n, price: 6_006_000_000_000n }))])
    // impact: 10,000 USDC at $60,060 = 0.1665 BTC (floor 166,500 units) → average $60,060
    expect(premium(btc(s), s.books[0] as State['books'][0])).toBe(1000n) // 60 / 60,000 = 0.1%
    expect(btc(s).premiumNow).toBe(1000n)
    expect(btc(s).premiumSince).toBe(T0)
  })

  it('rate = clamp(avg + clamp(interest − avg, ±500), ±cap): time-weighted avg 999 → 499; a premium of 1% is capped', () => {
    const s = stateFromGenesisFile()
    run(s, [orderTx(orderMsg(C, { isBuy: true, size: 200_000n, price: 6_006_000_000_000n }))])
    // premium 0 from genesis to T0 (1 s), then 1,000: avg = floor(1,000 × 3,599,000 / 3,600,000) = 999
    expect(fundingRate(btc(s), GENESIS_TIME + HOUR)).toBe(499n) // 999 + max(12 − 999, −500)
    btc(s).premiumNow = 10_000n
    expect(fundingRate(btc(s), GENESIS_TIME + HOUR)).toBe(4000n) // ≈ 10,000 − 500, capped at 4,000
  })
})

describe('payments', () => {
  it('a long pays and a short receives the same 0.0499% of 6,000 USDC: 2.994 USDC each', () => {
    const s = longShort(100_000n) // 0.1 BTC
    run(s, [orderTx(orderMsg(C, { isBuy: true, size: 200_000n, price: 6_006_000_000_000n }))])
    const r = run(s, [], GENESIS_TIME + HOUR)
    // index += 499 × 6e12 = 2.994e15; A owes 1e5 × 2.994e15 / (1e6 × 1e8) = 2,994,000 units
    expect(r.events).toContainEqual({ type: 'funding', market: 0, rate: 499n, index: 2_994_000_000_000_000n })
    expect(accountView(s, A, 0).positions[0]?.unsettledFunding).toBe(-2_994_000n)
    expect(accountView(s, B, 0).positions[0]?.unsettledFunding).toBe(2_994_000n)
    const collateralA = subOf(s, A).collateral
    run(s, [touch(A)], GENESIS_TIME + HOUR + 1n) // settles A's funding (and moves 1 unit to subaccount 1)
    expect(subOf(s, A).collateral).toBe(collateralA - 2_994_000n - 1n)
    expect(btc(s).fundingBalance).toBe(2_994_000n)
    run(s, [touch(B)], GENESIS_TIME + HOUR + 2n)
    expect(btc(s).fundingBalance).toBe(0n) // paid equals received
  })

  it('rounding goes against both accounts; the residue reaches the insurance fund once the market is flat', () => {
    const s = longShort(1000n) // 0.001 BTC
    btc(s).oraclePrice = 6_000_010_000_000n // $60,000.10: payments are no longer whole units
    run(s, [], GENESIS_TIME + HOUR) // book empty: premium 0, rate = interest 12; index += 12 × 6,000,010,000,000
    // owed = ±1000 × 72,000,120,000,000 / 1e14 = ±720.0012: A pays 721, B receives 720
    expect(accountView(s, A, 0).positions[0]?.unsettledFunding).toBe(-721n)
    expect(accountView(s, B, 0).positions[0]?.unsettledFunding).toBe(720n)
    // both close against each other (each trade settles funding first): the market is flat, 1 unit remains
    run(s, [orderTx(orderMsg(B, { isBuy: true, size: 1000n, price: BTC_60000 }))], GENESIS_TIME + HOUR + 1n)
    run(
      s,
      [orderTx(orderMsg(A, { isBuy: false, size: 1000n, price: BTC_60000, timeInForce: 1 }))],
      GENESIS_TIME + HOUR + 2n,
    )
    expect(btc(s).longOpenInterest).toBe(0n)
    expect(btc(s).fundingBalance).toBe(1n)
    const insurance = insuranceFundBalance(s)
    run(s, [], GENESIS_TIME + 2n * HOUR + 2n) // the next interval sweeps it
    expect(btc(s).fundingBalance).toBe(0n)
    expect(insuranceFundBalance(s)).toBe(insurance + 1n)
  })
})
