/**
 * @module Genesis: the chain's first state, from genesis.json. `parseGenesis` validates every field and
 * names the bad one in its error (e.g. `markets[1].tickSize: must be a positive integer`); `genesisState`
 * builds the engine state.
 */

import { MAX_AUCTION_STEPS } from './auctions.ts'
import { emptyBook } from './book.ts'
import { PPM, pow10 } from './fixedPoint.ts'
import { INSURANCE_FUND_ADDRESS, INSURANCE_FUND_SUBACCOUNT } from './insuranceFund.ts'
import type { Address } from './messages.ts'
import type {
  CollateralAsset,
  LiquidationConfig,
  MarginTier,
  Market,
  MarketParams,
  OracleConfig,
  RateLimits,
  RiskConfig,
  State,
} from './types.ts'
import { AUCTION_CURVE, subaccountId } from './types.ts'

/** A market as genesis declares it: its parameters and the oracle price it starts from. */
export interface GenesisMarket extends MarketParams {
  /** price units */
  initialPrice: bigint
}

export interface GenesisAccount {
  address: Address
  subaccount: number
  /** USDC units */
  collateral: bigint
  /** non-USD collateral by asset id, in the asset's units */
  assets: Map<number, bigint>
}

export interface Genesis {
  chainId: number
  /** ms; the time of block 0 */
  genesisTime: bigint
  /** target block interval, ms */
  blockTimeMs: number
  sequencer: Address
  oracle: OracleConfig
  rateLimits: RateLimits
  risk: RiskConfig
  assets: CollateralAsset[]
  /** USDC units */
  insuranceFund: bigint
  markets: GenesisMarket[]
  accounts: GenesisAccount[]
}

export class GenesisError extends Error {
  override name = 'GenesisError'
  readonly field: string
  constructor(field: string, problem: string) {
    super(`genesis ${field}: ${problem}`)
    this.field = field
  }
}

type Json = Record<string, unknown>

function obj(v: unknown, field: string): Json {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new GenesisError(field, 'must be an object')
  return v as Json
}
function arr(v: unknown, field: string): unknown[] {
  if (!Array.isArray(v)) throw new GenesisError(field, 'must be an array')
  return v
}
function int(v: unknown, field: string, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max)
    throw new GenesisError(field, `must be an integer from ${min} to ${max}`)
  return v
}
function big(v: unknown, field: string, min = 0n): bigint {
  const ok = (typeof v === 'string' && /^[0-9]{1,77}$/.test(v)) || (typeof v === 'number' && Number.isSafeInteger(v))
  if (!ok) throw new GenesisError(field, 'must be an integer as a decimal string')
  const b = BigInt(v as string | number)
  if (b < min) throw new GenesisError(field, `must be at least ${min}`)
  return b
}
function addr(v: unknown, field: string): Address {
  if (typeof v !== 'string' || !/^0x[0-9a-fA-F]{40}$/.test(v)) throw new GenesisError(field, 'must be a 0x address')
  return v.toLowerCase() as Address
}
/** Most margin tiers per market (the market leaf is decoded with the same bound). */
export const MAX_TIERS = 32

/** Longest market symbol, UTF-8 bytes (the market leaf is decoded with the same bound). */
export const MAX_SYMBOL_BYTES = 32

function str(v: unknown, field: string): string {
  if (typeof v !== 'string' || v.length === 0 || new TextEncoder().encode(v).length > MAX_SYMBOL_BYTES)
    throw new GenesisError(field, `must be a string of 1–${MAX_SYMBOL_BYTES} UTF-8 bytes`)
  return v
}

function signedBig(v: unknown, field: string): bigint {
  const ok = (typeof v === 'string' && /^-?[0-9]{1,77}$/.test(v)) || (typeof v === 'number' && Number.isSafeInteger(v))
  if (!ok) throw new GenesisError(field, 'must be an integer as a decimal string')
  return BigInt(v as string | number)
}

function parseTiers(v: unknown, at: string): MarginTier[] {
  const tiers = arr(v, `${at}.marginTiers`).map((t, k) => {
    const f = `${at}.marginTiers[${k}]`
    const o = obj(t, f)
    return {
      notionalFloor: big(o.notionalFloor, `${f}.notionalFloor`),
      initialMarginFraction: big(o.initialMarginFraction, `${f}.initialMarginFraction`, 1n),
      maintenanceMarginFraction: big(o.maintenanceMarginFraction, `${f}.maintenanceMarginFraction`, 1n),
    }
  })
  if (tiers.length === 0 || tiers.length > MAX_TIERS)
    throw new GenesisError(`${at}.marginTiers`, `must list 1 to ${MAX_TIERS} tiers`)
  tiers.forEach((t, k) => {
    const f = `${at}.marginTiers[${k}]`
    const prev = tiers[k - 1]
    if (k === 0 && t.notionalFloor !== 0n) throw new GenesisError(`${f}.notionalFloor`, 'the first tier starts at 0')
    if (prev !== undefined && t.notionalFloor <= prev.notionalFloor)
      throw new GenesisError(`${f}.notionalFloor`, 'tier floors must ascend')
    if (t.initialMarginFraction > PPM)
      throw new GenesisError(`${f}.initialMarginFraction`, 'must be at most 1000000 (100%)')
    if (t.maintenanceMarginFraction >= t.initialMarginFraction)
      throw new GenesisError(`${f}.maintenanceMarginFraction`, 'must be below initialMarginFraction')
    if (
      prev !== undefined &&
      (t.initialMarginFraction < prev.initialMarginFraction ||
        t.maintenanceMarginFraction < prev.maintenanceMarginFraction)
    )
      throw new GenesisError(f, 'fractions must not fall from one tier to the next')
  })
  return tiers
}

function parseMarket(v: unknown, i: number): GenesisMarket {
  const at = `markets[${i}]`
  const m = obj(v, at)
  const out: GenesisMarket = {
    id: int(m.id, `${at}.id`, i, i),
    symbol: str(m.symbol, `${at}.symbol`),
    priceDecimals: int(m.priceDecimals, `${at}.priceDecimals`, 0, 18),
    sizeDecimals: int(m.sizeDecimals, `${at}.sizeDecimals`, 0, 18),
    tickSize: big(m.tickSize, `${at}.tickSize`, 1n),
    lotSize: big(m.lotSize, `${at}.lotSize`, 1n),
    minOrderSize: big(m.minOrderSize, `${at}.minOrderSize`, 1n),
    maxOrderSize: big(m.maxOrderSize, `${at}.maxOrderSize`, 1n),
    maxOrderNotional: big(m.maxOrderNotional, `${at}.maxOrderNotional`, 1n),
    maxPositionSize: big(m.maxPositionSize, `${at}.maxPositionSize`, 1n),
    openInterestCap: big(m.openInterestCap, `${at}.openInterestCap`, 1n),
    initialPrice: big(m.initialPrice, `${at}.initialPrice`, 1n),
    marginTiers: parseTiers(m.marginTiers, at),
    openInterestLower: big(m.openInterestLower, `${at}.openInterestLower`),
    openInterestUpper: big(m.openInterestUpper, `${at}.openInterestUpper`),
    openInterestImf: big(m.openInterestImf, `${at}.openInterestImf`),
    volatilityDecay: big(m.volatilityDecay, `${at}.volatilityDecay`),
    volatilityReference: big(m.volatilityReference, `${at}.volatilityReference`, 1n),
    volatilityScaleFloor: big(m.volatilityScaleFloor, `${at}.volatilityScaleFloor`, 1n),
    volatilityScaleCap: big(m.volatilityScaleCap, `${at}.volatilityScaleCap`, 1n),
    makerFeePpm: signedBig(m.makerFeePpm, `${at}.makerFeePpm`),
    takerFeePpm: big(m.takerFeePpm, `${at}.takerFeePpm`),
    fundingIntervalMs: big(m.fundingIntervalMs, `${at}.fundingIntervalMs`, 1n),
    fundingRateCapPpm: big(m.fundingRateCapPpm, `${at}.fundingRateCapPpm`),
    interestRatePpm: big(m.interestRatePpm, `${at}.interestRatePpm`),
    impactNotional: big(m.impactNotional, `${at}.impactNotional`, 1n),
  }
  if (out.priceDecimals + out.sizeDecimals < 6)
    throw new GenesisError(`${at}.sizeDecimals`, 'priceDecimals + sizeDecimals must be at least 6 (USDC decimals)')
  const divisor = pow10(out.priceDecimals + out.sizeDecimals - 6)
  if ((out.tickSize * out.lotSize) % divisor !== 0n)
    throw new GenesisError(
      `${at}.lotSize`,
      `tickSize × lotSize must be a multiple of ${divisor} so fills are whole USDC units`,
    )
  if (out.initialPrice % out.tickSize !== 0n)
    throw new GenesisError(`${at}.initialPrice`, 'must be a multiple of tickSize')
  if (out.minOrderSize % out.lotSize !== 0n)
    throw new GenesisError(`${at}.minOrderSize`, 'must be a multiple of lotSize')
  if (out.minOrderSize > out.maxOrderSize) throw new GenesisError(`${at}.minOrderSize`, 'must not exceed maxOrderSize')
  if (out.openInterestLower > out.openInterestUpper)
    throw new GenesisError(`${at}.openInterestLower`, 'must not exceed openInterestUpper')
  if (out.openInterestImf > PPM) throw new GenesisError(`${at}.openInterestImf`, 'must be at most 1000000 (100%)')
  if (out.volatilityDecay >= PPM) throw new GenesisError(`${at}.volatilityDecay`, 'must be below 1000000')
  if (out.volatilityScaleFloor > out.volatilityScaleCap)
    throw new GenesisError(`${at}.volatilityScaleFloor`, 'must not exceed volatilityScaleCap')
  if (out.takerFeePpm > 100_000n) throw new GenesisError(`${at}.takerFeePpm`, 'must be at most 100000 (10%)')
  if (out.makerFeePpm > 100_000n || out.makerFeePpm < -out.takerFeePpm)
    throw new GenesisError(`${at}.makerFeePpm`, 'must be at most 10% and no rebate larger than the taker fee')
  return out
}

/** Most non-USD collateral assets (the global leaf is decoded with the same bound). */
export const MAX_ASSETS = 16

function parseAsset(v: unknown, i: number): CollateralAsset {
  const at = `assets[${i}]`
  const a = obj(v, at)
  const haircutPpm = big(a.haircutPpm, `${at}.haircutPpm`)
  if (haircutPpm > PPM) throw new GenesisError(`${at}.haircutPpm`, 'must be at most 1000000 (100%)')
  return {
    id: int(a.id, `${at}.id`, i + 1, i + 1),
    symbol: str(a.symbol, `${at}.symbol`),
    decimals: int(a.decimals, `${at}.decimals`, 0, 36),
    priceMarket: int(a.priceMarket, `${at}.priceMarket`, 0, 2 ** 32 - 1),
    haircutPpm,
  }
}

/** `risk.liquidation` when genesis leaves it out (docs/risk-model.md, Liquidation). */
export const DEFAULT_LIQUIDATION = {
  targetHealthPpm: '1250000',
  dustNotional: '10000000',
  maxNotionalPerBlockPerMarket: '5000000000000',
  maxNotionalPerBlockPerAccount: '1000000000000',
  curve: 'stairstep',
  durationMs: '300000',
  stepMs: '1000',
  cutPpm: '995000',
  minPriceRatioPpm: '800000',
  penaltyPpm: '15000',
} as const

function parseLiquidation(v: unknown): LiquidationConfig {
  const l = obj(v ?? DEFAULT_LIQUIDATION, 'risk.liquidation')
  const at = (k: string): string => `risk.liquidation.${k}`
  const ppm = (k: string, min = 0n): bigint => {
    const x = big(l[k], at(k), min)
    if (x > PPM) throw new GenesisError(at(k), 'must be at most 1000000 (100%)')
    return x
  }
  const curves = Object.keys(AUCTION_CURVE) as (keyof typeof AUCTION_CURVE)[]
  if (!curves.includes(l.curve as keyof typeof AUCTION_CURVE))
    throw new GenesisError(at('curve'), `must be one of ${curves.join(', ')}`)
  const durationMs = big(l.durationMs, at('durationMs'), 1n)
  const stepMs = big(l.stepMs, at('stepMs'), 1n)
  if (durationMs / stepMs > MAX_AUCTION_STEPS)
    throw new GenesisError(at('stepMs'), `durationMs / stepMs must be at most ${MAX_AUCTION_STEPS}`)
  const targetHealthPpm = big(l.targetHealthPpm, at('targetHealthPpm'), PPM)
  return {
    targetHealthPpm,
    dustNotional: big(l.dustNotional, at('dustNotional')),
    maxNotionalPerBlockPerMarket: big(l.maxNotionalPerBlockPerMarket, at('maxNotionalPerBlockPerMarket'), 1n),
    maxNotionalPerBlockPerAccount: big(l.maxNotionalPerBlockPerAccount, at('maxNotionalPerBlockPerAccount'), 1n),
    curve: AUCTION_CURVE[l.curve as keyof typeof AUCTION_CURVE],
    durationMs,
    stepMs,
    cutPpm: ppm('cutPpm', 1n),
    // a ratio above 0 keeps every auction price above zero; below PPM lets the price move at all
    minPriceRatioPpm: ppm('minPriceRatioPpm', 1n),
    penaltyPpm: ppm('penaltyPpm'),
  }
}

function parseRisk(v: unknown): RiskConfig {
  const r = obj(v, 'risk')
  const haircut = big(r.unrealizedPnlHaircutPpm, 'risk.unrealizedPnlHaircutPpm')
  if (haircut > PPM) throw new GenesisError('risk.unrealizedPnlHaircutPpm', 'must be at most 1000000 (100%)')
  return {
    unrealizedPnlHaircutPpm: haircut,
    withdrawalFloorPpm: big(r.withdrawalFloorPpm, 'risk.withdrawalFloorPpm'),
    liquidation: parseLiquidation(r.liquidation),
  }
}

function parseRateLimits(v: unknown): RateLimits {
  const r = obj(v, 'rateLimits')
  return {
    windowBlocks: big(r.windowBlocks, 'rateLimits.windowBlocks', 1n),
    maxOrders: int(r.maxOrders, 'rateLimits.maxOrders', 1, 1_000_000),
    maxCancels: int(r.maxCancels, 'rateLimits.maxCancels', 1, 1_000_000),
  }
}

export function parseGenesis(json: unknown): Genesis {
  const g = obj(json, '(root)')
  const o = obj(g.oracle, 'oracle')
  const signers = arr(o.signers, 'oracle.signers').map((s, i) => addr(s, `oracle.signers[${i}]`))
  if (signers.length === 0) throw new GenesisError('oracle.signers', 'must name at least one signer')
  if (new Set(signers).size !== signers.length) throw new GenesisError('oracle.signers', 'must not repeat a signer')
  const genesis: Genesis = {
    chainId: int(g.chainId, 'chainId', 1, 2 ** 32 - 1),
    genesisTime: big(g.genesisTime, 'genesisTime'),
    blockTimeMs: int(g.blockTimeMs, 'blockTimeMs', 10, 60_000),
    sequencer: addr(g.sequencer, 'sequencer'),
    oracle: {
      signers,
      quorum: int(o.quorum, 'oracle.quorum', 1, signers.length),
      maxReportAgeMs: big(o.maxReportAgeMs, 'oracle.maxReportAgeMs', 1n),
      maxFutureDriftMs: big(o.maxFutureDriftMs, 'oracle.maxFutureDriftMs'),
      maxPriceAgeMs: big(o.maxPriceAgeMs, 'oracle.maxPriceAgeMs', 1n),
      maxPriceJumpPpm: big(o.maxPriceJumpPpm, 'oracle.maxPriceJumpPpm', 1n),
      markPriceBandPpm: big(o.markPriceBandPpm, 'oracle.markPriceBandPpm'),
    },
    rateLimits: parseRateLimits(g.rateLimits),
    risk: parseRisk(g.risk),
    insuranceFund: big(g.insuranceFund, 'insuranceFund'),
    assets: g.assets === undefined ? [] : arr(g.assets, 'assets').map(parseAsset),
    markets: arr(g.markets, 'markets').map(parseMarket),
    accounts: arr(g.accounts, 'accounts').map((v, i) => {
      const a = obj(v, `accounts[${i}]`)
      return {
        address: addr(a.address, `accounts[${i}].address`),
        subaccount: int(a.subaccount ?? 0, `accounts[${i}].subaccount`, 0, 2 ** 32 - 1),
        collateral: big(a.collateral, `accounts[${i}].collateral`),
        assets: new Map(
          Object.entries(a.assets === undefined ? {} : obj(a.assets, `accounts[${i}].assets`)).map(([id, amount]) => [
            int(Number(id), `accounts[${i}].assets`, 1, MAX_ASSETS),
            big(amount, `accounts[${i}].assets.${id}`),
          ]),
        ),
      }
    }),
  }
  if (genesis.markets.length === 0) throw new GenesisError('markets', 'must list at least one market')
  genesis.assets.forEach((a, i) => {
    if (genesis.markets[a.priceMarket] === undefined)
      throw new GenesisError(`assets[${i}].priceMarket`, `no market ${a.priceMarket}`)
  })
  genesis.accounts.forEach((a, i) => {
    for (const id of a.assets.keys())
      if (genesis.assets[id - 1] === undefined) throw new GenesisError(`accounts[${i}].assets`, `no asset ${id}`)
  })
  const seen = new Set<string>()
  genesis.accounts.forEach((a, i) => {
    if (a.address === INSURANCE_FUND_ADDRESS)
      throw new GenesisError(`accounts[${i}].address`, 'the zero address is the insurance fund (set insuranceFund)')
    const id = subaccountId(a.address, a.subaccount)
    if (seen.has(id)) throw new GenesisError(`accounts[${i}]`, 'repeats an earlier account and subaccount')
    seen.add(id)
  })
  return genesis
}

/** The insurance fund's subaccount, holding genesis `insuranceFund` USDC (none if 0: an empty subaccount has no leaf). */
function fundAccount(g: Genesis): Genesis['accounts'] {
  if (g.insuranceFund === 0n) return []
  return [
    {
      address: INSURANCE_FUND_ADDRESS,
      subaccount: INSURANCE_FUND_SUBACCOUNT,
      collateral: g.insuranceFund,
      assets: new Map(),
    },
  ]
}

export function genesisState(g: Genesis): State {
  const markets: Market[] = g.markets.map(({ initialPrice, ...params }) => ({
    ...params,
    marginTiers: params.marginTiers.map((t) => ({ ...t })),
    status: 'active',
    oraclePrice: initialPrice,
    oracleTime: g.genesisTime,
    longOpenInterest: 0n,
    shortOpenInterest: 0n,
    varianceEwma: 0n,
    fundingIndex: 0n,
    fundingPeriodStart: g.genesisTime,
    premiumNow: 0n,
    premiumSince: g.genesisTime,
    premiumAccumulated: 0n,
    lastFundingRate: 0n,
    fundingBalance: 0n,
    quotes: [],
    pendingOraclePrice: 0n,
    pendingOracleTime: 0n,
    lastTradePrice: 0n,
    quoteDivisor: pow10(params.priceDecimals + params.sizeDecimals - 6),
  }))

  return {
    chainId: g.chainId,
    oracle: { ...g.oracle, signers: [...g.oracle.signers] },
    rateLimits: { ...g.rateLimits },
    risk: { ...g.risk },
    assets: g.assets.map((a) => ({ ...a })),
    withdrawals: new Map(),
    bridge: { nextDepositSeq: 0n, totalDeposited: 0n },
    agents: new Map(),
    priceEpoch: 0,
    expiries: [],
    markets,
    books: markets.map(() => emptyBook()),
    subaccounts: new Map(
      [...g.accounts, ...fundAccount(g)].map((a) => [
        subaccountId(a.address, a.subaccount),
        {
          address: a.address,
          subaccount: a.subaccount,
          collateral: a.collateral,
          positions: new Map(),
          assets: new Map(a.assets),
          openOrders: new Set(),
        },
      ]),
    ),
    orders: new Map(),
    nonces: new Map(),
    auctions: new Map(),
    auctionsBySubaccount: new Map(),
    global: {
      nextOrderId: 1n,
      feePool: 0n,
      nextWithdrawalId: 1n,
      pendingWithdrawals: 0n,
      nextAuctionId: 1n,
      oracleLastTimestamp: new Map(),
    },
  }
}
