/**
 * The liquidation pipeline (engine/liquidation.ts, auctions.ts, txs/auctionBid.ts, backstop.ts) on the devnet
 * BTC-USD market: price 8 decimals, size 6 decimals (quoteDivisor 1e8), tick $0.10, lot 0.001 BTC, maintenance
 * 3% and initial 5% in the first tier, taker fee 0.05%; default liquidation terms (genesis.ts DEFAULT_LIQUIDATION):
 * penalty 1.5%, target health 125%, stairstep −0.5% per second, reset below 80% or after 5 minutes.
 *
 * The account under test, X, buys 0.01 BTC (10 lots) at $60,000 with 45.3 USDC: it pays 600 USDC + 0.3 fee,
 * so its collateral is −555 USDC and its equity at a price p is −555,000,000 + 10,000 × p / 1e8 USDC units.
 */
import { describe, expect, it } from 'vitest'
import type { Address, State, TxEvent, VerifiedTx } from '../../engine/index.ts'
import {
  auctionPrice,
  equity,
  INSURANCE_FUND_ADDRESS,
  insuranceFundId,
  maintenanceMargin,
  priceFactor,
  REJECT,
} from '../../engine/index.ts'
import {
  addr,
  fresh,
  oracleTx,
  orderMsg,
  orderTx,
  run,
  run1,
  SIGNERS,
  stateWithAccounts,
  subOf,
  T0,
  uniqueHash,
  withoutVolatilityScaling,
} from './helpers/engineFixtures.ts'

const M = addr(0x11) // market maker, short against X
const X = addr(0x22) // the account liquidated
const L = addr(0x33) // a liquidator
const [S0, S1] = SIGNERS as [Address, Address]
const IOC = 1

function setup(): State {
  const s = withoutVolatilityScaling(
    stateWithAccounts([
      { address: M, collateral: 1_000_000_000_000n },
      { address: X, collateral: 45_300_000n },
      { address: L, collateral: 1_000_000_000n },
    ]),
  )
  run(s, [orderTx(orderMsg(M, { isBuy: false, size: 10_000n }))], T0)
  const r = run1(s, orderTx(orderMsg(X, { isBuy: true, size: 10_000n, timeInForce: IOC })), T0)
  expect(r.ok).toBe(true)
  expect(subOf(s, X).collateral).toBe(-555_000_000n)
  return s
}

const price = (p: bigint, time: bigint): VerifiedTx[] => [oracleTx(S0, time, [0], [p]), oracleTx(S1, time, [0], [p])]

function bid(account: Address, auctionId: bigint, size: bigint, limitPrice: bigint): VerifiedTx {
  return {
    kind: 'auctionBid',
    message: { account, subaccount: 0, auctionId, size, limitPrice, nonce: fresh() },
    hash: uniqueHash(),
    signer: account,
  }
}

const ofType = <T extends TxEvent['type']>(events: TxEvent[], type: T) =>
  events.filter((e): e is Extract<TxEvent, { type: T }> => e.type === type)

function fundOf(s: State) {
  return s.subaccounts.get(insuranceFundId())
}

describe('auction price curves', () => {
  const terms = { durationMs: 300_000n, stepMs: 1_000n, cutPpm: 995_000n, minPriceRatioPpm: 800_000n, penaltyPpm: 0n }

  it('linear falls in proportion to time: half way is half', () => {
    expect(priceFactor({ ...terms, curve: 0 }, 150_000n)).toBe(500_000n)
    expect(priceFactor({ ...terms, curve: 0 }, 300_000n)).toBe(0n)
  })

  it('stairstep cuts once per whole step: 0.995 after 1 s, 0.995² = 0.990025 after 2.5 s', () => {
    expect(priceFactor({ ...terms, curve: 1 }, 999n)).toBe(1_000_000n)
    expect(priceFactor({ ...terms, curve: 1 }, 1_000n)).toBe(995_000n)
    expect(priceFactor({ ...terms, curve: 1 }, 2_500n)).toBe(990_025n)
  })

  it('exponential joins the steps with straight lines: 995,000 − floor(4,975 × 500 / 1000) at 1.5 s', () => {
    expect(priceFactor({ ...terms, curve: 2 }, 1_500n)).toBe(992_513n)
  })

  it('every curve is monotone in time', () => {
    for (const curve of [0, 1, 2] as const) {
      let last = 1_000_000n
      for (let t = 0n; t <= 300_000n; t += 337n) {
        const f = priceFactor({ ...terms, curve }, t)
        expect(f <= last).toBe(true)
        last = f
      }
    }
  })
})

describe('a partial liquidation by auction', () => {
  it('cancels orders and auctions only the slice that restores 125% of maintenance margin', () => {
    const s = setup()
    // a resting bid far below the market (order 2: M's sell was 1, X's IOC never rested): the liquidation cancels it
    expect(run1(s, orderTx(orderMsg(X, { isBuy: true, price: 5_000_000_000_000n }))).ok).toBe(true)
    const r = run(s, price(5_700_000_000_000n, T0 + 1_000n), T0 + 1_000n)
    // at $57,000: equity = −555,000,000 + 570,000,000 = 15,000,000 < maintenance ceil(570,000,000 × 3%) = 17,100,000
    // closing k lots at the oracle costs the penalty ceil(57,000,000 k × 1.5%) = 855,000 k and leaves maintenance
    // 1,710,000 (10 − k): 15,000,000 − 855,000 k ≥ 1.25 × 1,710,000 (10 − k) ⇔ k ≥ 4.97 → 5 lots
    expect(ofType(r.events, 'orderCanceled')).toEqual([
      { type: 'orderCanceled', market: 0, orderId: 2n, reason: 'liquidation' },
    ])
    expect(ofType(r.events, 'auctionStarted')).toEqual([
      {
        type: 'auctionStarted',
        auctionId: 1n,
        market: 0,
        asset: 0, // a position slice (X holds no non-USD collateral)
        address: X,
        subaccount: 0,
        size: 5_000n,
        bidderBuys: true,
        startPrice: 5_700_000_000_000n,
      },
    ])
    // a subaccount in liquidation may not trade or take collateral out
    expect(run1(s, orderTx(orderMsg(X, { isBuy: false, size: 1_000n })), T0 + 1_500n).code).toBe(REJECT.liquidating)
  })

  it('the per-block cap per market cuts the slice to whole lots within it', () => {
    const s = setup()
    s.risk.liquidation.maxNotionalPerBlockPerMarket = 120_000_000n // 120 USDC: two lots of 57 USDC fit
    const r = run(s, price(5_700_000_000_000n, T0 + 1_000n), T0 + 1_000n)
    expect(ofType(r.events, 'auctionStarted').map((e) => e.size)).toEqual([2_000n])
  })

  it('a remainder below the dust floor is auctioned with the slice', () => {
    const s = setup()
    // a floor of 300 USDC: the 5-lot slice (285 USDC) is below it and grows to 6 lots (342 USDC); the 4 lots left
    // (228 USDC) would be dust, so all 10 lots go
    s.risk.liquidation.dustNotional = 300_000_000n
    const r = run(s, price(5_700_000_000_000n, T0 + 1_000n), T0 + 1_000n)
    expect(ofType(r.events, 'auctionStarted').map((e) => e.size)).toEqual([10_000n])
  })

  it('a liquidator takes the slice at the current price; the penalty beyond its discount goes to the fund', () => {
    const s = setup()
    run(s, price(5_700_000_000_000n, T0 + 1_000n), T0 + 1_000n)
    const fundBefore = fundOf(s)?.collateral ?? 0n
    const t = T0 + 4_000n // 3 whole steps: factor 995,000 → 990,025 → floor(990,025 × 0.995) = 985,074
    const a = s.auctions.get(1n)
    if (a === undefined) throw new Error('no auction')
    // floor(5.7e12 × 985,074 / 1e6) = 5,614,921,800,000, down to the $0.10 tick: 5,614,920,000,000
    expect(auctionPrice(s.markets[0] as State['markets'][0], a, t)).toBe(5_614_920_000_000n)
    // a limit below the price is refused and changes nothing
    expect(run1(s, bid(L, 1n, 5_000n, 5_614_910_000_000n), t).code).toBe(REJECT.auctionPriceBeyondLimit)
    const r = run1(s, bid(L, 1n, 5_000n, 5_615_000_000_000n), t)
    expect(r.ok).toBe(true)
    // quote 5000 × 5,614,920,000,000 / 1e8 = 280,746,000; value at the oracle 285,000,000: discount 4,254,000;
    // penalty ceil(285,000,000 × 1.5%) = 4,275,000: the fund gets 21,000
    expect(r.events).toEqual([
      {
        type: 'auctionFill',
        auctionId: 1n,
        market: 0,
        asset: 0,
        address: X,
        subaccount: 0,
        bidder: L,
        bidderSubaccount: 0,
        size: 5_000n,
        price: 5_614_920_000_000n,
        insuranceFee: 21_000n,
      },
    ])
    expect(s.auctions.size).toBe(0)
    expect(fundOf(s)?.collateral).toBe(fundBefore + 21_000n)
    // X: 15,000,000 − 285,000,000 + 280,746,000 − 21,000 = 10,725,000 ≥ maintenance 8,550,000
    expect(equity(s, subOf(s, X))).toBe(10_725_000n)
    expect(maintenanceMargin(s, subOf(s, X))).toBe(8_550_000n)
    expect(subOf(s, L).positions.get(0)?.size).toBe(5_000n)
    // X is healthy again: the next block starts nothing
    expect(ofType(run(s, price(5_700_000_000_000n, t + 1_000n), t + 1_000n).events, 'auctionStarted')).toEqual([])
  })

  it('with no bidder the price falls to the bankruptcy point and the fund takes the account over', () => {
    const s = setup()
    run(s, price(5_700_000_000_000n, T0 + 1_000n), T0 + 1_000n)
    const fundEquityBefore = equity(s, fundOf(s) as NonNullable<ReturnType<typeof fundOf>>)
    // bankruptcy for the 5-lot slice: 15,000,000 − 285,000,000 + 5000 p / 1e8 ≤ 0 ⇔ p ≤ 5,400,000,000,000
    let last = 5_700_000_000_000n
    let takenAt = 0n
    for (let k = 2n; k <= 20n && takenAt === 0n; k++) {
      const t = T0 + k * 1_000n
      const a = s.auctions.get(1n)
      const p = a === undefined ? 0n : auctionPrice(s.markets[0] as State['markets'][0], a, t)
      expect(p <= last).toBe(true) // monotone until a reset
      last = p
      const r = run(s, price(5_700_000_000_000n, t), t)
      if (ofType(r.events, 'insuranceTakeover').length > 0) {
        expect(p <= 5_400_000_000_000n).toBe(true)
        expect(ofType(r.events, 'insuranceTakeover')).toEqual([
          { type: 'insuranceTakeover', address: X, subaccount: 0, equity: 15_000_000n },
        ])
        takenAt = t
      } else expect(p > 5_400_000_000_000n).toBe(true)
    }
    expect(takenAt).toBeGreaterThan(0n)
    expect(subOf(s, X).positions.size).toBe(0)
    expect(subOf(s, X).collateral).toBe(0n)
    const fund = fundOf(s) as NonNullable<ReturnType<typeof fundOf>>
    expect(fund.positions.get(0)?.size).toBe(10_000n)
    // the fund's equity grows by exactly X's equity (same oracle price)
    expect(equity(s, fund)).toBe(fundEquityBefore + 15_000_000n)
  })

  it('a reset re-reads the oracle; a parameter change does not reprice a live auction', () => {
    const s = setup()
    run(s, price(5_700_000_000_000n, T0 + 1_000n), T0 + 1_000n)
    const a = s.auctions.get(1n)
    if (a === undefined) throw new Error('no auction')
    const market = s.markets[0] as State['markets'][0]
    const before = auctionPrice(market, a, T0 + 3_000n)
    s.risk.liquidation.cutPpm = 500_000n // governance halves the step: the live auction keeps its own terms
    expect(auctionPrice(market, a, T0 + 3_000n)).toBe(before)
    a.terms.durationMs = 2_500n // shorten this auction so the next block resets it
    const r = run(s, price(5_690_000_000_000n, T0 + 4_000n), T0 + 4_000n)
    expect(ofType(r.events, 'auctionReset')).toEqual([
      { type: 'auctionReset', auctionId: 1n, startPrice: 5_690_000_000_000n, resets: 1 },
    ])
    expect(auctionPrice(market, a, T0 + 4_000n)).toBe(5_690_000_000_000n)
  })

  it('no liquidation on a stale price: nothing starts until a fresh one', () => {
    const s = setup()
    // the price moves at T0 + 1 s, but X's block comes 31 s later with no newer report (maxPriceAgeMs 30 s)
    const market = s.markets[0] as State['markets'][0]
    market.oraclePrice = 5_700_000_000_000n
    market.oracleTime = T0
    const r = run(s, [], T0 + 31_000n)
    expect(ofType(r.events, 'auctionStarted')).toEqual([])
    expect(ofType(run(s, price(5_700_000_000_000n, T0 + 32_000n), T0 + 32_000n).events, 'auctionStarted')).toHaveLength(
      1,
    )
  })
})

describe('non-USD collateral', () => {
  // Y holds 1 WETH ($3,000 at the ETH oracle, 10% haircut: 2,700 USDC of margin) and 1,330 USDC, and buys 1 BTC
  // at $60,000 (fee 30 USDC): collateral −58,700 USDC. At $57,000 its equity is −58,700 + 57,000 + 2,700 = 1,000
  // USDC against maintenance 1,710: it is liquidated. What only the WETH backs, 2,700 − 1,000 = 1,700 USDC, is
  // sold from the WETH: ceil(1,700 × 1.015) = 1,725.5 USDC worth = ceil(1,725,500,000 × 1e26 / (3e11 × 1e6))
  // = 575,166,666,666,666,667 wei. The position slice: 1,000 − 0.855 k ≥ 1.25 × 1.71 × (1000 − k) ⇔ k ≥ 886.9.
  const Y = addr(0x44)
  function withWeth(): State {
    const s = withoutVolatilityScaling(
      stateWithAccounts([
        { address: M, collateral: 1_000_000_000_000n },
        { address: Y, collateral: 1_330_000_000n },
        { address: L, collateral: 1_000_000_000_000n },
      ]),
    )
    subOf(s, Y).assets.set(1, 10n ** 18n)
    run(s, [orderTx(orderMsg(M, { isBuy: false, size: 1_000_000n }))], T0)
    expect(run1(s, orderTx(orderMsg(Y, { isBuy: true, size: 1_000_000n, timeInForce: IOC })), T0).ok).toBe(true)
    return s
  }

  it('an auction sells the collateral that backs the debt, beside the position slice', () => {
    const s = withWeth()
    const r = run(s, price(5_700_000_000_000n, T0 + 1_000n), T0 + 1_000n)
    expect(equity(s, subOf(s, Y))).toBe(1_000_000_000n)
    const started = ofType(r.events, 'auctionStarted')
    expect(started.map((e) => [e.asset, e.market, e.size])).toEqual([
      [0, 0, 887_000n],
      [1, 1, 575_166_666_666_666_667n],
    ])
    // a second later the WETH auction is at floor_tick(3e11 × 0.995) = 298,500,000,000; the bid pays
    // floor(size × 2.985e11 × 1e6 / 1e26) = 1,716,872,500 USDC units
    const bid: VerifiedTx = {
      kind: 'auctionBid',
      message: {
        account: L,
        subaccount: 0,
        auctionId: 2n,
        size: 10n ** 18n,
        limitPrice: 298_500_000_000n,
        nonce: fresh(),
      },
      hash: uniqueHash(),
      signer: L,
    }
    const before = subOf(s, Y).collateral
    const fill = run1(s, bid, T0 + 2_000n)
    expect(fill.error).toBeUndefined()
    expect(fill.events).toEqual([
      expect.objectContaining({
        type: 'auctionFill',
        asset: 1,
        size: 575_166_666_666_666_667n,
        price: 298_500_000_000n,
      }),
    ])
    expect(subOf(s, Y).collateral).toBe(before + 1_716_872_500n)
    expect(subOf(s, Y).assets.get(1)).toBe(10n ** 18n - 575_166_666_666_666_667n)
    expect(subOf(s, L).assets.get(1)).toBe(575_166_666_666_666_667n)
  })
})

describe('backstop: the fund or deleveraging', () => {
  // at $55,000: equity = −555,000,000 + 550,000,000 = −5,000,000: bankrupt, straight to the backstop
  function bankrupt(fund: bigint) {
    const s = setup()
    const f = s.subaccounts.get(insuranceFundId())
    if (f === undefined) throw new Error('no fund')
    f.collateral = fund
    return { s, r: run(s, price(5_500_000_000_000n, T0 + 1_000n), T0 + 1_000n) }
  }

  it('a fund of exactly 5,000,000 covers it: takeover, no deleveraging', () => {
    const { s, r } = bankrupt(5_000_000n)
    expect(ofType(r.events, 'deleveraged')).toEqual([])
    expect(ofType(r.events, 'insuranceTakeover')).toEqual([
      { type: 'insuranceTakeover', address: X, subaccount: 0, equity: -5_000_000n },
    ])
    expect(equity(s, fundOf(s) as NonNullable<ReturnType<typeof fundOf>>)).toBe(0n)
    expect(subOf(s, M).positions.get(0)?.size).toBe(-10_000n)
  })

  for (const fund of [4_999_999n, 0n]) {
    it(`a fund of ${fund} cannot: the short is deleveraged at the bankruptcy price`, () => {
      const { s, r } = bankrupt(fund)
      expect(ofType(r.events, 'insuranceTakeover')).toEqual([])
      // M buys back its short for value 550,000,000 + the deficit 5,000,000 (an effective $55,500)
      expect(ofType(r.events, 'deleveraged')).toEqual([
        {
          type: 'deleveraged',
          market: 0,
          address: X,
          subaccount: 0,
          counterparty: M,
          counterpartySubaccount: 0,
          size: 10_000n,
          quote: 555_000_000n,
        },
      ])
      expect(equity(s, subOf(s, X))).toBe(0n)
      expect(subOf(s, M).positions.size).toBe(0)
      expect(fundOf(s)?.collateral).toBe(fund) // the fund pays nothing when it cannot cover
    })
  }

  it('an account without a position never loses to deleveraging', () => {
    const { s } = bankrupt(0n)
    expect(subOf(s, L).collateral).toBe(1_000_000_000n)
    expect(fundOf(s)?.address).toBe(INSURANCE_FUND_ADDRESS)
  })
})
