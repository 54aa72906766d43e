/**
 * The at-risk index (engine/atRisk.ts) against its reference, the full scan: after every step of seeded random
 * runs — price moves from 0.01% to ±50% gaps, funding index advances, volatility and open-interest changes, tier
 * and cap replacements, and account changes reported through noteChanged — findLiquidatable must return exactly
 * scanLiquidatable's ids. The runs start from funding indexes far from 0 (beyond 2^63 on BTC-USD) and, in two
 * seeds, with a second collateral asset, so the index's copies of the accounts (engine/atRiskRows.ts: checks and
 * armings read them, not the objects) hold funding snapshots relative to a base, asset amounts beyond 2^63, and
 * accounts that do not fit a row. Then each thing that changes health without touching the account, alone, on
 * accounts whose numbers are worked out by hand (devnet BTC-USD / ETH-USD: 8 price decimals, 6 size decimals, so
 * quoteDivisor 10^8; tier 0 maintenance 3% at volatility scale ×1, 6% from 1M USDC of notional; WETH: 18
 * decimals, haircut 10%).
 */
import { describe, expect, it } from 'vitest'
import {
  ARMED,
  armed,
  armSubaccount,
  FUNDING_DOWN,
  FUNDING_UP,
  makeBounds,
  PRICE_DOWN,
  PRICE_UP,
  SCALE_UP,
} from '../../engine/atRiskBounds.ts'
import { numberAtLeast, numberAtMost, sameVersion, ThresholdHeap } from '../../engine/atRiskHeap.ts'
import { makeRows, readCopy, writeCopy } from '../../engine/atRiskRows.ts'
import type { Address, Market, Position, State, Subaccount } from '../../engine/index.ts'
import {
  buildAtRiskIndex,
  equity,
  findLiquidatable,
  fundingDue,
  isLiquidatable,
  maintenanceMargin,
  noteChanged,
  PPM,
  scanLiquidatable,
  seededRandom,
  subaccountId,
} from '../../engine/index.ts'
import { setOraclePrice } from '../../engine/oracle.ts'
import { volatilityScale } from '../../engine/riskParams.ts'
import {
  addr,
  BTC_60000,
  oracleTx,
  orderMsg,
  orderTx,
  run,
  SIGNERS,
  stateFromGenesisFile,
  stateWithAccounts,
  T0,
} from './helpers/engineFixtures.ts'

const USDC = 1_000_000n
const WETH = 10n ** 18n
/** 1 BTC in size units */
const BTC = 1_000_000n

const market = (s: State, id: number): Market => s.markets[id] as Market

function emptySub(address: Address, subaccount = 0): Subaccount {
  return { address, subaccount, collateral: 0n, positions: new Map(), assets: new Map(), openOrders: new Set() }
}

function put(s: State, sub: Subaccount): string {
  const id = subaccountId(sub.address, sub.subaccount)
  s.subaccounts.set(id, sub)
  return id
}

/**
 * An account with positions in one or both markets (1,000 USDC to ~6M notional each), maybe WETH, whose equity
 * is 0.8–3× its maintenance margin (squared uniform: many near the boundary).
 */
function randomAccount(s: State, rand: () => number, address: Address): Subaccount {
  const sub = emptySub(address, Math.floor(rand() * 3))
  const roll = rand()
  const markets = roll < 0.4 ? [0] : roll < 0.6 ? [1] : [0, 1]
  for (const id of markets) {
    const m = market(s, id)
    const usd = 1000 * 10 ** (rand() * 3.8)
    const size = (BigInt(Math.round(usd * 1e6)) * m.quoteDivisor) / m.oraclePrice + 1n
    const lag = BigInt(Math.floor(rand() * 4000)) * m.oraclePrice // funding not yet settled
    sub.positions.set(id, { size: rand() < 0.5 ? size : -size, cost: 0n, fundingIndex: m.fundingIndex - lag })
  }
  if (rand() < 0.3) sub.assets.set(1, BigInt(Math.floor(rand() * 20_000_000)) * 10n ** 12n)
  // further assets (the states of withSecondAsset): up to 50 WBTC (8 decimals)
  for (const a of s.assets.slice(1)) if (rand() < 0.3) sub.assets.set(a.id, BigInt(Math.floor(rand() * 5e9)))
  const mm = maintenanceMargin(s, sub)
  const factor = BigInt(Math.floor((0.8 + 2.2 * rand() ** 2) * 1e6))
  sub.collateral = (mm * factor) / PPM - equity(s, sub)
  return sub
}

/**
 * A second collateral asset, WBTC (8 decimals, haircut 15%, priced by BTC-USD): an account holding both assets
 * does not fit a row of the index (one asset) and is read from its object; one holding WBTC alone is copied.
 */
function withSecondAsset(s: State): void {
  s.assets = [...s.assets, { id: 2, symbol: 'WBTC', decimals: 8, priceMarket: 0, haircutPpm: 150_000n }]
}

/**
 * Funding indexes far from 0 and different per market, as after a long run: BTC-USD's beyond 2^63 (an int64),
 * so only a snapshot relative to the index's base fits a row; ETH-USD's negative.
 */
function withFundingHistory(s: State): void {
  market(s, 0).fundingIndex = 3n ** 41n // ~3.6 × 10^19
  market(s, 1).fundingIndex = -(7n ** 19n) // ~−1.1 × 10^16
}

function population(
  seed: number,
  count: number,
  setUp: (s: State) => void = () => {},
): { s: State; rand: () => number; ids: string[] } {
  const s = stateFromGenesisFile()
  setUp(s)
  const rand = seededRandom(seed)
  const ids: string[] = []
  for (let i = 0; i < count; i++) ids.push(put(s, randomAccount(s, rand, addr1(seed, i))))
  return { s, rand, ids }
}

function addr1(seed: number, i: number): Address {
  return `0x${seed.toString(16).padStart(8, '0')}${i.toString(16).padStart(32, '0')}` as Address
}

/** One random step on the state; returns the ids whose own state it changed (to report), if any. */
function step(s: State, rand: () => number, ids: string[], base: bigint[], t: number): string[] {
  const roll = rand()
  const id = rand() < 0.5 ? 0 : 1
  const m = market(s, id)
  if (roll < 0.45) {
    const kind = rand()
    const ppm = kind < 0.6 ? rand() * 5000 : kind < 0.85 ? 10_000 + rand() * 40_000 : 500_000
    const up = rand() < 0.5
    let price = (m.oraclePrice * BigInt(Math.round(up ? 1e6 + ppm : 1e6 - ppm))) / PPM
    if (price > (base[id] as bigint) * 4n || price < (base[id] as bigint) / 4n || kind > 0.97)
      price = base[id] as bigint
    setOraclePrice(m, price, T0 + BigInt(t))
    s.priceEpoch += 1
    return []
  }
  if (roll < 0.55) {
    const rate = BigInt(Math.round((rand() - 0.5) * (rand() < 0.8 ? 8000 : 100_000)))
    m.fundingIndex += rate * m.oraclePrice
    return []
  }
  if (roll < 0.63) {
    m.varianceEwma = BigInt(Math.floor(rand() * 20_000_000))
    return []
  }
  if (roll < 0.68) {
    m.longOpenInterest = BigInt(Math.floor(rand() * Number(m.openInterestUpper) * 1.5))
    m.shortOpenInterest = m.longOpenInterest
    return []
  }
  if (roll < 0.695) {
    // governance: tiers replaced (maintenance 2–4% in tier 0, still below initial) or the volatility cap moved
    const bump = BigInt(Math.floor(rand() * 20_000)) - 10_000n
    if (rand() < 0.5)
      m.marginTiers = m.marginTiers.map((tier) => ({ ...tier, maintenanceMarginFraction: 30_000n + bump }))
    else m.volatilityScaleCap = 2_000_000n + bump * 100n
    return []
  }
  return changeAccounts(s, rand, ids)
}

/** Trades, deposits, settlements, closes, new and removed accounts, as a block would leave them. */
function changeAccounts(s: State, rand: () => number, ids: string[]): string[] {
  const changed: string[] = []
  const n = 1 + Math.floor(rand() * 20)
  for (let k = 0; k < n; k++) {
    const id = ids[Math.floor(rand() * ids.length)] as string
    const sub = s.subaccounts.get(id)
    const roll = rand()
    if (sub === undefined || roll < 0.15) {
      // a new account under this id (or a fresh one), as after a deposit and trade
      const fresh = randomAccount(s, rand, (sub?.address ?? addr(1 + Math.floor(rand() * 200))) as Address)
      const freshId = put(s, { ...fresh, subaccount: sub?.subaccount ?? fresh.subaccount })
      if (!ids.includes(freshId)) ids.push(freshId)
      changed.push(freshId)
      continue
    }
    if (roll < 0.35) sub.collateral += BigInt(Math.round((rand() - 0.4) * 20_000)) * USDC
    else if (roll < 0.5) {
      for (const [mid, p] of sub.positions) {
        sub.collateral += fundingDue(market(s, mid), p)
        p.fundingIndex = market(s, mid).fundingIndex
      }
    } else if (roll < 0.65) {
      const [mid, p] = [...sub.positions][0] ?? [0, undefined]
      if (p !== undefined) sub.positions.set(mid, { ...p, size: (p.size * BigInt(1 + Math.floor(rand() * 3))) / 2n })
      if (p !== undefined && (sub.positions.get(mid)?.size ?? 0n) === 0n) sub.positions.delete(mid)
    } else if (roll < 0.75) sub.positions.clear()
    else if (roll < 0.85) s.subaccounts.delete(id)
    else if (roll < 0.93 || s.assets.length < 2) sub.assets.set(1, BigInt(Math.floor(rand() * 30_000_000)) * 10n ** 12n)
    else if (sub.assets.has(2)) sub.assets.delete(2)
    else sub.assets.set(2, BigInt(Math.floor(rand() * 5e9)))
    changed.push(id)
  }
  changed.push(subaccountId(addr(0xee), 7)) // never existed: ignored
  return changed
}

describe('findLiquidatable equals the full scan', () => {
  for (const seed of [1, 2, 3, 4]) {
    const assets = seed >= 3 ? 'WETH and WBTC' : 'WETH'
    it(`seed ${seed}: 1,200 accounts through 250 random steps (funding far from 0, ${assets})`, () => {
      const { s, rand, ids } = population(seed, 1200, (state) => {
        withFundingHistory(state)
        if (seed >= 3) withSecondAsset(state)
      })
      const base = s.markets.map((m) => m.oraclePrice)
      const index = buildAtRiskIndex(s)
      let found = 0
      let uncopied = 0
      for (let t = 0; t < 250; t++) {
        const changed = step(s, rand, ids, base, t)
        if (changed.length > 0) noteChanged(index, s, changed)
        const expected = scanLiquidatable(s)
        expect(findLiquidatable(index, s), `step ${t}`).toEqual(expected)
        found += expected.length
        uncopied = Math.max(uncopied, index.objects.size)
      }
      expect(found).toBeGreaterThan(250) // the run does reach liquidations
      // the checks read the copies: every account fits a row but those holding both assets
      if (seed >= 3) expect(uncopied).toBeGreaterThan(0)
      else expect(uncopied).toBe(0)
      expect(uncopied).toBeLessThan(ids.length / 5)
    })
  }

  it('checks only the accounts a small move can reach', () => {
    // positions only (no WETH), equity = 3× maintenance margin (≥ 3% of notional at ×1): a buffer of 2× MM;
    // the scale takes about half of it (σ* between ×1 and ×3), funding 1/16, and the rest, ≥ 0.9× MM ≥ 2.7% of
    // the total notional, is shared so that each market tolerates the same move: ≥ 2.7% of its price. A 0.1%
    // move (return 1,000 PPM: variance 0.06 × 10^6, volatility 244 PPM, the scale stays ×1) reaches none.
    const s = stateFromGenesisFile()
    const rand = seededRandom(9)
    for (let i = 0; i < 2000; i++) {
      const sub = randomAccount(s, rand, addr1(9, i))
      sub.assets.clear()
      sub.collateral = 0n
      sub.collateral = 3n * maintenanceMargin(s, sub) - equity(s, sub)
      put(s, sub)
    }
    const index = buildAtRiskIndex(s)
    const m = market(s, 0)
    setOraclePrice(m, (m.oraclePrice * 999n) / 1000n, T0)
    expect(findLiquidatable(index, s)).toEqual([])
    expect(index.lastChecked).toBe(0)
  })
})

describe('the index’s copy of an account (engine/atRiskRows.ts)', () => {
  /** What the decision reads of a subaccount, in the order it reads them. */
  function fields(sub: Subaccount): unknown {
    return {
      collateral: sub.collateral,
      positions: [...sub.positions].map(([id, p]) => [id, p.size, p.fundingIndex]),
      assets: [...sub.assets],
    }
  }

  it('gives back exactly those fields for every account that fits a row, and refuses the others', () => {
    const s = stateFromGenesisFile()
    withFundingHistory(s)
    withSecondAsset(s)
    const rows = makeRows(s, 8) // snapshots are kept relative to the funding indexes now
    market(s, 0).fundingIndex += 12_345n * market(s, 0).oraclePrice
    market(s, 1).fundingIndex -= 777n * market(s, 1).oraclePrice
    const [f0, f1] = [market(s, 0).fundingIndex, market(s, 1).fundingIndex]
    const rand = seededRandom(41)
    const accounts = Array.from({ length: 1500 }, (_, i) => randomAccount(s, rand, addr1(41, i)))
    const limit = 2n ** 63n
    const base = [3n ** 41n, -(7n ** 19n)] // the funding indexes when the rows were made
    const edge = (
      collateral: bigint,
      positions: [number, bigint, bigint][],
      assets: [number, bigint][],
    ): Subaccount => {
      const sub = emptySub(addr(0x50))
      sub.collateral = collateral
      for (const [id, size, fundingIndex] of positions) sub.positions.set(id, { size, cost: 0n, fundingIndex })
      for (const [id, amount] of assets) sub.assets.set(id, amount)
      return sub
    }
    const fit = [
      edge(limit - 1n, [[1, -limit, (base[1] as bigint) + limit - 1n]], []),
      edge(
        -limit,
        [
          [1, limit - 1n, f1],
          [0, -BTC, (base[0] as bigint) - limit],
        ],
        [[1, limit]],
      ),
      edge(-5n * USDC, [], [[1, 2n ** 64n + 5n]]), // a flat account owing USDC
      edge(0n, [[0, BTC, f0]], [[2, 2n ** 94n]]),
      edge(0n, [[0, BTC, f0]], [[1, -limit - 1n]]),
      edge(0n, [[1, BTC, f1]], [[1, 0n]]),
      edge(1n, [], []),
    ]
    const unfit = [
      edge(limit, [[0, BTC, f0]], []),
      edge(-limit - 1n, [[0, BTC, f0]], []),
      edge(0n, [[0, limit, f0]], []),
      edge(0n, [[1, BTC, (base[1] as bigint) + limit]], []),
      edge(
        0n,
        [
          [0, BTC, f0],
          [1, BTC, f1],
          [2, BTC, 0n],
        ],
        [],
      ), // three positions
      edge(
        0n,
        [[0, BTC, f0]],
        [
          [1, WETH],
          [2, 100n],
        ],
      ), // two assets
      edge(0n, [[0, BTC, f0]], [[1, 2n ** 95n]]),
      edge(0n, [[2 ** 16, BTC, 0n]], []),
    ]
    const all = [...accounts, ...fit, ...unfit]
    // written to 8 rows in turn and read back in another order, so the scratch object changes shape between reads
    let copied = 0
    for (let start = 0; start < all.length; start += 8) {
      const batch = all.slice(start, start + 8)
      const fits = batch.map((sub, slot) => writeCopy(rows, slot, sub))
      for (const slot of [3, 0, 7, 5, 1, 6, 2, 4]) {
        const sub = batch[slot]
        if (sub === undefined) continue
        const copy = readCopy(rows, slot)
        if (!fits[slot]) {
          expect(copy).toBeUndefined()
          continue
        }
        copied++
        expect(fields(copy as Subaccount), `account ${start + slot}`).toEqual(fields(sub))
        if (start + slot < accounts.length) {
          expect(equity(s, copy as Subaccount)).toBe(equity(s, sub))
          expect(maintenanceMargin(s, copy as Subaccount)).toBe(maintenanceMargin(s, sub))
        }
      }
    }
    expect(fit.every((sub) => writeCopy(rows, 0, sub))).toBe(true)
    expect(unfit.some((sub) => writeCopy(rows, 0, sub))).toBe(false)
    expect(copied).toBeGreaterThan(1300) // all but the random accounts holding both assets (~9%), and the unfit
  })

  it('the decision reads no other field of a subaccount or a position', () => {
    // so a copy of those fields decides as the object does: each property read is recorded through proxies
    const s = stateFromGenesisFile()
    withSecondAsset(s)
    const rand = seededRandom(43)
    const bounds = makeBounds(s)
    const scales = s.markets.map((m) => volatilityScale(m))
    const read = new Set<string>()
    const watched = (p: Position): Position =>
      new Proxy(p, {
        get: (target, key, receiver) => {
          read.add(`position.${String(key)}`)
          return Reflect.get(target, key, receiver)
        },
      })
    for (let i = 0; i < 300; i++) {
      const sub = randomAccount(s, rand, addr1(43, i))
      const positions = new Map([...sub.positions].map(([id, p]): [number, Position] => [id, watched(p)]))
      const proxy = new Proxy(
        { ...sub, positions },
        {
          get: (target, key, receiver) => {
            read.add(String(key))
            return Reflect.get(target, key, receiver)
          },
        },
      )
      isLiquidatable(s, proxy)
      armSubaccount(bounds, s, proxy, scales)
    }
    expect([...read].sort()).toEqual(['assets', 'collateral', 'position.fundingIndex', 'position.size', 'positions'])
  })

  it('an account that does not fit a row is decided from its object, and from its copy once it fits', () => {
    // 0.1 BTC long backed by 1 WETH and 0.01 WBTC: both assets, so no copy; equity −5,500 + 2,700 + 510 + 6,000 =
    // 3,710 ≥ 180; BTC at $15,000: −5,500 + 2,700 + 127.50 + 1,500 < 0
    const s = stateFromGenesisFile()
    withSecondAsset(s)
    const sub = emptySub(addr(0x51))
    sub.collateral = -5500n * USDC
    sub.positions.set(0, { size: BTC / 10n, cost: 0n, fundingIndex: 0n })
    sub.assets.set(1, WETH)
    sub.assets.set(2, 1_000_000n)
    const id = put(s, sub)
    const index = buildAtRiskIndex(s)
    expect(index.objects.size).toBe(1)
    expect(findLiquidatable(index, s)).toEqual([])
    market(s, 0).oraclePrice = 1_500_000_000_000n
    expect(findLiquidatable(index, s)).toEqual([id])
    sub.assets.delete(2) // still liquidatable (−5,500 + 2,700 + 1,500), now in a row
    noteChanged(index, s, [id])
    expect(findLiquidatable(index, s)).toEqual([id])
    expect(index.objects.size).toBe(0)
    sub.collateral += 2000n * USDC // a deposit: equity 700 ≥ 45
    noteChanged(index, s, [id])
    expect(findLiquidatable(index, s)).toEqual([])
    // a long of 200,000,000 BTC bought on credit: collateral −1.1 × 10^19 units, below int64: the object again.
    // value 1.2 × 10^19 at $60,000, maintenance 12% in tier 2 ≈ 1.44 × 10^18 > equity ≈ 10^18
    market(s, 0).oraclePrice = BTC_60000
    sub.assets.clear()
    sub.positions.set(0, { size: 200_000_000n * BTC, cost: 0n, fundingIndex: 0n })
    sub.collateral = -11n * 10n ** 18n
    noteChanged(index, s, [id])
    expect(findLiquidatable(index, s)).toEqual([id])
    expect(index.objects.size).toBe(1)
    expect(scanLiquidatable(s)).toEqual([id])
  })
})

describe('the thresholds are sound at their corners', () => {
  // The strongest form of the claim: put every market at the edge of what an armed account's thresholds allow
  // (price exactly at its threshold, or far out on a side with none; funding index exactly at its threshold;
  // volatility scale at the largest value ≤ σ*) and the account must still not be liquidatable.
  it('4,000 random accounts, each at a random corner of its thresholds', () => {
    const rand = seededRandom(21)
    let corners = 0
    for (let i = 0; i < 4000; i++) {
      const s = stateFromGenesisFile()
      for (const m of s.markets) {
        m.varianceEwma = rand() < 0.5 ? 0n : BigInt(Math.floor(rand() * 12_000_000))
        m.longOpenInterest = BigInt(Math.floor(rand() * Number(m.openInterestUpper) * 1.2))
      }
      const sub = randomAccount(s, rand, addr1(21, i))
      const bounds = makeBounds(s)
      const scales = s.markets.map((m) => volatilityScale(m))
      if (armSubaccount(bounds, s, sub, scales) !== ARMED) continue
      const limits = s.markets.map(() => new Map<number, bigint>())
      for (let k = 0; k < armed.count; k++)
        limits[armed.markets[k] as number]?.set(armed.kinds[k] as number, armed.keys[k] as bigint)
      s.markets.forEach((m, id) => {
        const own = limits[id] as Map<number, bigint>
        const down = rand() < 0.5
        if (down) m.oraclePrice = own.get(PRICE_DOWN) ?? 1n
        else m.oraclePrice = own.get(PRICE_UP) ?? m.oraclePrice * 10n
        const f = own.get(FUNDING_UP) ?? own.get(FUNDING_DOWN)
        if (f !== undefined) m.fundingIndex = f
        const sigma = own.get(SCALE_UP) ?? m.volatilityScaleCap
        const volatility = (sigma * m.volatilityReference) / PPM // scale = floor(volatility × PPM / reference) ≤ σ*
        m.varianceEwma = volatility * volatility
        expect(volatilityScale(m)).toBeLessThanOrEqual(sigma)
      })
      expect(isLiquidatable(s, sub), `account ${i}`).toBe(false)
      corners++
    }
    expect(corners).toBeGreaterThan(2000)
  })
})

describe('each change alone makes an account liquidatable, and it is found', () => {
  /** One account, the index built, then `change`; returns the index's answer before and after. */
  function around(sub: Subaccount, change: (s: State) => void): { before: string[]; after: string[]; id: string } {
    const s = stateFromGenesisFile()
    const id = put(s, sub)
    const index = buildAtRiskIndex(s)
    const before = findLiquidatable(index, s)
    change(s)
    return { before, after: findLiquidatable(index, s), id }
  }

  /**
   * Long 1 BTC bought at $60,000 with `equity` USDC of its own: the fill took the 60,000 from collateral, so
   * collateral = equity − 60,000 and equity = collateral + 60,000 (notional 60,000, maintenance 3% = 1,800).
   */
  function longBtc(equity: bigint): Subaccount {
    const sub = emptySub(addr(0x31))
    sub.collateral = equity - 60_000n * USDC
    sub.positions.set(0, { size: BTC, cost: 0n, fundingIndex: 0n })
    return sub
  }

  it('the price of its market: 1 BTC long with 6,000 USDC after $60,000 → $55,500', () => {
    // equity 6,000 − 4,500 = 1,500 < maintenance 3% × 55,500 = 1,665 (variance untouched: price alone)
    const r = around(longBtc(6000n * USDC), (s) => {
      market(s, 0).oraclePrice = 5_550_000_000_000n
    })
    expect(r.before).toEqual([])
    expect(r.after).toEqual([r.id])
  })

  it('the price of its collateral asset: 10 WETH backing a BTC long, ETH $3,000 → $2,000', () => {
    // 0.1 BTC long (value 6,000) bought on credit: equity −31,000 + 10 × 3,000 × 0.9 + 6,000 = 2,000
    // ≥ 3% × 6,000 = 180; at $2,000: −31,000 + 18,000 + 6,000 = −7,000
    const sub = emptySub(addr(0x32))
    sub.collateral = -31_000n * USDC
    sub.assets.set(1, 10n * WETH)
    sub.positions.set(0, { size: BTC / 10n, cost: 0n, fundingIndex: 0n })
    const r = around(sub, (s) => {
      market(s, 1).oraclePrice = 200_000_000_000n
    })
    expect(r.before).toEqual([])
    expect(r.after).toEqual([r.id])
  })

  it('the funding index: 5,000 USDC owed by a 1 BTC long with 6,000 USDC', () => {
    // owed = size × ΔF / (PPM × qd) = 10^6 × ΔF / 10^14 = 5,000 × 10^6 units ⇒ ΔF = 5 × 10^17 (beyond 2^53)
    // equity 6,000 − 5,000 = 1,000 < 1,800
    const r = around(longBtc(6000n * USDC), (s) => {
      market(s, 0).fundingIndex += 5n * 10n ** 17n
    })
    expect(r.before).toEqual([])
    expect(r.after).toEqual([r.id])
  })

  it('a short pays as the funding index falls', () => {
    const sub = emptySub(addr(0x33))
    sub.collateral = 66_000n * USDC // a 1 BTC short: equity 66,000 − 60,000 = 6,000
    sub.positions.set(0, { size: -BTC, cost: 0n, fundingIndex: 0n })
    const r = around(sub, (s) => {
      market(s, 0).fundingIndex -= 5n * 10n ** 17n
    })
    expect(r.before).toEqual([])
    expect(r.after).toEqual([r.id])
  })

  it('the volatility scale: variance 9 × 10^6 triples maintenance to 5,400 above equity 3,000', () => {
    // volatility isqrt(9 × 10^6) = 3,000 PPM = 3 × the reference ⇒ scale ×3 (the cap): 9% of 60,000
    const r = around(longBtc(3000n * USDC), (s) => {
      market(s, 0).varianceEwma = 9_000_000n
    })
    expect(r.before).toEqual([])
    expect(r.after).toEqual([r.id])
  })

  it('open interest: with the devnet tiers it moves only initial margin, never maintenance', () => {
    const s = stateFromGenesisFile()
    const sub = longBtc(3000n * USDC)
    put(s, sub)
    const before = maintenanceMargin(s, sub)
    market(s, 0).longOpenInterest = market(s, 0).openInterestUpper // the full add-on, +5% initial
    expect(maintenanceMargin(s, sub)).toBe(before)
  })

  it('open interest, where tiers let initial fall below maintenance: the add-on raises maintenance too', () => {
    // tier imf 2%, mmf 5% (genesis refuses this; the index must not rely on it): mmf' = min(imf', 5%) = 2% at
    // no open interest; at full open interest imf' = 2% + (10% − 2%) = 10% and mmf' = 5% = 3,000 > equity 2,000
    const s = stateFromGenesisFile()
    market(s, 0).marginTiers = [
      { notionalFloor: 0n, initialMarginFraction: 20_000n, maintenanceMarginFraction: 50_000n },
    ]
    const id = put(s, longBtc(2000n * USDC))
    const index = buildAtRiskIndex(s)
    expect(findLiquidatable(index, s)).toEqual([])
    market(s, 0).longOpenInterest = market(s, 0).openInterestUpper
    expect(findLiquidatable(index, s)).toEqual([id])
  })

  it('a change reported through noteChanged, and an account closed or removed', () => {
    const s = stateFromGenesisFile()
    const sub = longBtc(6000n * USDC)
    const id = put(s, sub)
    const index = buildAtRiskIndex(s)
    sub.collateral -= 5000n * USDC // a withdrawal: equity 1,000 < 1,800
    noteChanged(index, s, [id])
    expect(findLiquidatable(index, s)).toEqual([id])
    sub.positions.clear() // closed at the oracle: no position, the proceeds in USDC
    sub.collateral = 1000n * USDC
    noteChanged(index, s, [id])
    expect(findLiquidatable(index, s)).toEqual([])
    s.subaccounts.delete(id)
    noteChanged(index, s, [id, 'nobody'])
    expect(findLiquidatable(index, s)).toEqual([])
  })
  it('a flat account whose WETH backs a USDC debt is found when ETH falls below covering it', () => {
    const s = stateFromGenesisFile()
    // 1 WETH at $3,000 with a 10% haircut counts 2,700 USDC; with −2,600 USDC the equity is 100 ≥ 0 (maintenance 0)
    const sub = emptySub(addr(0x77))
    sub.assets.set(1, WETH)
    sub.collateral = -2600n * USDC
    const id = put(s, sub)
    const index = buildAtRiskIndex(s)
    expect(findLiquidatable(index, s)).toEqual([])
    // $2,850: 2,565 of margin value, equity −35 USDC
    market(s, 1).oraclePrice = 285_000_000_000n
    expect(findLiquidatable(index, s)).toEqual([id])
    expect(scanLiquidatable(s)).toEqual([id])
  })

  it('an id reported twice before a find is checked once; an account that comes back is followed again', () => {
    const s = stateFromGenesisFile()
    const sub = longBtc(6000n * USDC)
    const id = put(s, sub)
    const index = buildAtRiskIndex(s)
    sub.collateral -= 1000n * USDC // still healthy: equity 5,000 ≥ 1,800
    noteChanged(index, s, [id])
    noteChanged(index, s, [id])
    expect(findLiquidatable(index, s)).toEqual([])
    expect(index.lastChecked).toBe(1)
    const positions = new Map(sub.positions)
    const collateral = sub.collateral
    sub.positions.clear() // no position and no debt: not followed
    sub.collateral = 0n
    noteChanged(index, s, [id])
    expect(findLiquidatable(index, s)).toEqual([])
    sub.positions = positions
    sub.collateral = collateral - 4000n * USDC // back with a position, equity 1,000 < 1,800
    noteChanged(index, s, [id])
    expect(findLiquidatable(index, s)).toEqual([id])
  })

  it('sorts ids present at build and ids that came later together, in string order', () => {
    // built with B and D; A, C and E arrive later; all five 1 BTC longs with 1,000 of equity (< 1,800)
    const s = stateFromGenesisFile()
    const make = (n: number): string => {
      const sub = longBtc(1000n * USDC)
      sub.address = addr(n)
      return put(s, sub)
    }
    const [b, d] = [make(0xb0), make(0xd0)]
    const index = buildAtRiskIndex(s)
    const later = [make(0xa0), make(0xc0), make(0xe0)]
    noteChanged(index, s, later)
    const expected = [later[0], b, later[1], d, later[2]]
    expect(findLiquidatable(index, s)).toEqual(expected)
    expect(scanLiquidatable(s)).toEqual(expected)
  })

  it('a report refreshes the copy the index decides from; nothing else does', () => {
    // 1 BTC long with 6,000 of equity, funding indexes far from 0 (snapshots kept relative to them); each change
    // below flips the answer, so a copy left as it was would give the other one
    const s = stateFromGenesisFile()
    withFundingHistory(s)
    const [btc, eth] = [market(s, 0), market(s, 1)]
    const sub = longBtc(6000n * USDC)
    const p = sub.positions.get(0) as Position
    p.fundingIndex = btc.fundingIndex
    const id = put(s, sub)
    const index = buildAtRiskIndex(s)
    const reported = (change: () => void): string[] => {
      change()
      noteChanged(index, s, [id])
      const found = findLiquidatable(index, s)
      expect(found).toEqual(scanLiquidatable(s))
      return found
    }
    expect(findLiquidatable(index, s)).toEqual([])
    // buys 3 BTC more at $60,000 (the Position object edited in place): equity 6,000 < 3% × 240,000 = 7,200
    expect(
      reported(() => {
        p.size = 4n * BTC
        sub.collateral -= 180_000n * USDC
      }),
    ).toEqual([id])
    // sells them back
    expect(
      reported(() => {
        p.size = BTC
        sub.collateral += 180_000n * USDC
      }),
    ).toEqual([])
    // an unreported change is not seen: the index decides from its copy (the caller must report every change)
    market(s, 0).oraclePrice = 5_500_000_000_000n // $55,000: equity 1,000 < 1,650
    expect(findLiquidatable(index, s)).toEqual([id])
    sub.collateral += 10_000n * USDC // not reported
    expect(scanLiquidatable(s)).toEqual([])
    expect(findLiquidatable(index, s)).toEqual([id])
    expect(reported(() => {})).toEqual([]) // reported
    // the BTC position swapped for 20 ETH ($60,000) owing 10,000 USDC of funding since its snapshot: equity
    // 11,000 − 10,000 = 1,000 < 1,800 (a snapshot read against BTC-USD's base would be ~3.6 × 10^19 off: ~7M
    // USDC of funding the wrong way)
    expect(
      reported(() => {
        sub.positions.delete(0)
        sub.collateral = 11_000n * USDC - 60_000n * USDC
        // owed = size × ΔF / (PPM × qd) = 2 × 10^7 × ΔF / 10^14 = 10^10 units ⇒ ΔF = 5 × 10^16
        sub.positions.set(1, { size: 20n * BTC, cost: 0n, fundingIndex: eth.fundingIndex - 5n * 10n ** 16n })
      }),
    ).toEqual([id])
    // 2 WETH deposited: +5,400 of margin value, equity 6,400
    expect(reported(() => sub.assets.set(1, 2n * WETH))).toEqual([])
    // withdrawn again
    expect(reported(() => sub.assets.delete(1))).toEqual([id])
    // funding settled into collateral (−10,000): the same equity, still liquidatable; then 5,000 deposited
    expect(
      reported(() => {
        sub.collateral -= 10_000n * USDC
        sub.positions.set(1, { size: 20n * BTC, cost: 0n, fundingIndex: eth.fundingIndex })
      }),
    ).toEqual([id])
    expect(
      reported(() => {
        sub.collateral += 5000n * USDC
      }),
    ).toEqual([])
  })

  it('a tier boundary: a short whose notional passes 1M USDC as BTC rises from $60,000 to $61,000', () => {
    // 16.5 BTC short: notional 990,000 (tier 0, 3%: 29,700) → 1,006,500 (tier 1, 6% above the 1M floor:
    // ceil((1,006,500 × 60,000 − 10^6 × 30,000) / 10^6) = 30,390, where tier 0 alone would ask 30,195).
    // collateral 1,036,800: equity 46,800 at $60,000, 30,300 at $61,000 — liquidatable only through tier 1
    const sub = emptySub(addr(0x34))
    sub.collateral = 1_036_800n * USDC
    sub.positions.set(0, { size: -16_500_000n, cost: 0n, fundingIndex: 0n })
    const r = around(sub, (s) => {
      market(s, 0).oraclePrice = 6_100_000_000_000n
    })
    expect(r.before).toEqual([])
    expect(r.after).toEqual([r.id])
  })

  it('rebuilds when handed another state object', () => {
    const first = stateFromGenesisFile()
    put(first, longBtc(6000n * USDC))
    const index = buildAtRiskIndex(first)
    const second = stateFromGenesisFile() // as after a reload: same ids, new objects, one of them now short of margin
    const id = put(second, longBtc(1000n * USDC))
    expect(findLiquidatable(index, second)).toEqual([id])
  })
})

describe('beside applyBlock', () => {
  it('fed with each block’s dirty subaccounts, it equals the scan through trades, moves, funding and liquidations', () => {
    // a maker quoting both sides of BTC-USD at $60,000 / $59,999.90 and 24 traders with 3,000–12,000 USDC who
    // take 8–19× that in notional either way (initial margin 5% allows 20×); then oracle moves of up to ±3% a
    // block, one funding tick, and the chain's own liquidation step acting on what it finds
    const [maker, ...traders] = [addr(0x40), ...Array.from({ length: 24 }, (_, i) => addr(0x41 + i))] as Address[]
    const rand = seededRandom(31)
    const collateral = traders.map(() => BigInt(3000 + Math.floor(rand() * 9000)))
    const s = stateWithAccounts([
      { address: maker as Address, collateral: 10_000_000n * USDC },
      ...traders.map((address, i) => ({ address, collateral: (collateral[i] as bigint) * USDC })),
    ])
    const tick = 10_000_000n
    let time = T0
    run(s, [orderTx(orderMsg(maker as Address, { isBuy: false, size: 100n * BTC }))], time)
    run(s, [orderTx(orderMsg(maker as Address, { isBuy: true, size: 100n * BTC, price: BTC_60000 - tick }))], time)
    const index = buildAtRiskIndex(s)
    const takes = traders.map((address, i) => {
      const isBuy = rand() < 0.5
      // notional = collateral × leverage; size in lots of 0.001 BTC at $60,000
      const lots = ((collateral[i] as bigint) * BigInt(8 + Math.floor(rand() * 12))) / 60n
      return orderTx(
        orderMsg(address, { isBuy, size: lots * 1000n, timeInForce: 1, price: isBuy ? BTC_60000 : BTC_60000 - tick }),
      )
    })
    const opened = run(s, takes, time)
    expect(opened.receipts.every((r) => r.ok)).toBe(true)
    noteChanged(index, s, opened.dirty.subaccounts)
    expect(findLiquidatable(index, s)).toEqual(scanLiquidatable(s))
    let p = BTC_60000
    let found = 0
    for (let block = 0; block < 40; block++) {
      time += block === 20 ? 3_600_000n : 1_000n // one funding interval passes at block 20
      p = ((p * BigInt(1_000_000 + Math.round((rand() - 0.5) * 60_000))) / PPM / tick) * tick
      const r = run(
        s,
        [oracleTx(SIGNERS[0] as Address, time, [0], [p]), oracleTx(SIGNERS[1] as Address, time, [0], [p])],
        time,
      )
      noteChanged(index, s, r.dirty.subaccounts)
      const expected = scanLiquidatable(s)
      expect(findLiquidatable(index, s), `block ${block}`).toEqual(expected)
      found += expected.length
    }
    expect(found).toBeGreaterThan(0)
  })
})

describe('Number keys', () => {
  it('round toward the side that pops early, exactly below 2^53', () => {
    const rand = seededRandom(5)
    for (let i = 0; i < 2000; i++) {
      const x = BigInt(Math.floor(rand() * 2 ** 52)) * BigInt(1 + Math.floor(rand() * 2 ** 20)) - 2n ** 60n
      const lo = numberAtMost(x)
      const hi = numberAtLeast(x)
      expect(BigInt(lo) <= x && x <= BigInt(hi)).toBe(true)
      // tight: the neighbouring doubles lie on the other side (or the value is exact)
      if (BigInt(lo) !== x) expect(BigInt(hi) > x && hi > lo).toBe(true)
    }
    expect(numberAtMost(2n ** 53n + 1n)).toBe(2 ** 53)
    expect(numberAtLeast(2n ** 53n + 1n)).toBe(2 ** 53 + 2)
    expect(numberAtLeast(123n)).toBe(123)
  })
})

describe('threshold heap', () => {
  it('pops in ascending key order, and compact keeps exactly the live entries', () => {
    const rand = seededRandom(8)
    const heap = new ThresholdHeap()
    const entries = Array.from({ length: 5000 }, (_, slot) => ({
      key: Math.floor(rand() * 1e6),
      slot,
      version: slot % 7,
    }))
    for (const e of entries) heap.push(e.key, e.slot, e.version)
    // drop the odd slots, as if re-armed since (their versions moved on)
    heap.compact((slot, version) => slot % 2 === 0 && sameVersion(version, slot % 7))
    const popped: { key: number; slot: number }[] = []
    while (heap.size > 0) {
      popped.push({ key: heap.topKey(), slot: heap.topSlot() })
      expect(heap.topVersion()).toBe(heap.topSlot() % 7)
      heap.pop()
    }
    const expected = entries
      .filter((e) => e.slot % 2 === 0)
      .map((e) => e.key)
      .sort((a, b) => a - b)
    expect(popped.map((p) => p.key)).toEqual(expected)
    expect(new Set(popped.map((p) => p.slot)).size).toBe(2500)
    expect(heap.topKey()).toBe(Number.POSITIVE_INFINITY)
  })

  it('compares versions modulo 2^21 (an alias only costs an extra check)', () => {
    expect(sameVersion(5, 5 + 2 ** 21)).toBe(true)
    expect(sameVersion(-1, 2 ** 21 - 1)).toBe(true)
    expect(sameVersion(4, 5)).toBe(false)
  })
})

describe('ids of the scan', () => {
  it('are sorted ascending', () => {
    const { s } = population(11, 300)
    market(s, 0).oraclePrice /= 2n
    const ids = scanLiquidatable(s)
    expect(ids.length).toBeGreaterThan(10)
    expect([...ids].sort()).toEqual(ids)
    expect(
      ids.every((id) => {
        const sub = s.subaccounts.get(id) as Subaccount
        return equity(s, sub) < maintenanceMargin(s, sub)
      }),
    ).toBe(true)
  })
})
