/**
 * @module The engine's state and block shapes. State is plain data with bigint money; the scales are in
 * fixedPoint.ts. Everything here is consensus: it is encoded into leaves (leaves.ts) and committed.
 */

import type { RejectCode } from './errors.ts'
import type { Address, TxMessage } from './messages.ts'
import type { TxKind } from './typedData.ts'

export type MarketStatus = 'active' | 'closed'

/**
 * One margin tier: from `notionalFloor` up, the position's requirement uses these fractions, minus a deduction
 * that keeps the requirement continuous at the floor (riskParams.ts).
 */
export interface MarginTier {
  /** position notional where the tier starts, USDC units; the first tier starts at 0 */
  notionalFloor: bigint
  /** PPM */
  initialMarginFraction: bigint
  /** PPM */
  maintenanceMarginFraction: bigint
}

export interface MarketParams {
  id: number
  symbol: string
  priceDecimals: number
  sizeDecimals: number
  /** price units (10^-priceDecimals USD per base unit) */
  tickSize: bigint
  /** size units (10^-sizeDecimals base) */
  lotSize: bigint
  /** smallest order, size units */
  minOrderSize: bigint
  /** largest order, size units */
  maxOrderSize: bigint
  /** largest order notional at its limit price, USDC units */
  maxOrderNotional: bigint
  /** largest |position| one subaccount may hold, size units */
  maxPositionSize: bigint
  /** largest open interest (long side), size units: fills that would raise it above are refused */
  openInterestCap: bigint
  /** ascending notionalFloor, first 0, fractions non-decreasing */
  marginTiers: MarginTier[]
  /** open interest (size units) from which the initial margin fraction starts to rise … */
  openInterestLower: bigint
  /** … reaching `openInterestImf` (PPM) at this open interest */
  openInterestUpper: bigint
  openInterestImf: bigint
  /** EWMA decay λ per oracle update, PPM (940,000 = 0.94) */
  volatilityDecay: bigint
  /** the per-update volatility at which fractions are unscaled, PPM */
  volatilityReference: bigint
  /** governance bounds of the volatility scale, PPM (1,000,000 = ×1) */
  volatilityScaleFloor: bigint
  volatilityScaleCap: bigint
  /** PPM of the fill's quote amount; the maker fee may be negative (a rebate), never below −takerFeePpm */
  makerFeePpm: bigint
  takerFeePpm: bigint
  /** funding period, ms of block time */
  fundingIntervalMs: bigint
  /** |rate| per interval at most, PPM */
  fundingRateCapPpm: bigint
  /** interest component per interval, PPM */
  interestRatePpm: bigint
  /** the notional (USDC units) whose average fill price is the impact bid / ask */
  impactNotional: bigint
}

export interface OracleQuote {
  signer: Address
  /** price units */
  price: bigint
  /** the report's timestamp, ms */
  timestamp: bigint
}

export interface Market extends MarketParams {
  status: MarketStatus
  /** last aggregated oracle price, price units */
  oraclePrice: bigint
  /** block time (ms) at which oraclePrice was set */
  oracleTime: bigint
  /** Σ long sizes and Σ short sizes (magnitudes), size units, tracked apart: their equality is an invariant */
  longOpenInterest: bigint
  shortOpenInterest: bigint
  /** EWMA of squared per-update oracle returns, PPM² (a return of 1% is 10,000 PPM, squared 10^8) */
  varianceEwma: bigint
  /** each oracle signer's latest quote for this market, ascending by signer (at most one per signer) */
  quotes: OracleQuote[]
  /** a jump beyond the deviation guard waiting for confirmation (0 = none), price units, and when it was seen */
  pendingOraclePrice: bigint
  pendingOracleTime: bigint
  /** Σ rate × oraclePrice over funding intervals (PPM × price units per whole base unit) */
  fundingIndex: bigint
  /** block time the current funding period began, ms */
  fundingPeriodStart: bigint
  /** the premium in force (PPM), since when (ms), and Σ premium × ms of the period before that */
  premiumNow: bigint
  premiumSince: bigint
  premiumAccumulated: bigint
  /** the rate applied at the last interval, PPM */
  lastFundingRate: bigint
  /** funding settled by positions, net (USDC units): the other side of their collateral changes */
  fundingBalance: bigint
  /** price of the last fill, price units (0 before any) */
  lastTradePrice: bigint
  /**
   * size × price / quoteDivisor = USDC units. quoteDivisor = 10^(priceDecimals + sizeDecimals − 6); genesis
   * checks that tickSize × lotSize is a multiple of it, so every fill's quote amount is an exact integer.
   */
  quoteDivisor: bigint
}

/**
 * A non-USD collateral asset (USDC, asset 0, is the subaccount's `collateral`). Valued at the oracle price of
 * `priceMarket` (whose base is this asset) less a haircut, it counts in cross margin.
 */
export interface CollateralAsset {
  /** 1, 2, … */
  id: number
  symbol: string
  /** balances are in 10^-decimals of a whole unit */
  decimals: number
  priceMarket: number
  /** share of the value not counted for margin, PPM */
  haircutPpm: bigint
}

export interface Position {
  /** signed size units: negative is short */
  size: bigint
  /**
   * signed USDC units paid for the open size (positive for a long). Only for showing the entry price:
   * money moves through collateral at each fill, so cost never enters equity.
   */
  cost: bigint
  /** the market's fundingIndex when this position last settled funding */
  fundingIndex: bigint
}

export interface Subaccount {
  address: Address
  subaccount: number
  /** USDC units; may be negative while positions' value covers it */
  collateral: bigint
  /** by market id; a flat position is removed */
  positions: Map<number, Position>
  /** non-USD collateral balances by asset id, in the asset's units; absent = 0 */
  assets: Map<number, bigint>
  /** ids of this subaccount's resting orders (derived from the book, not encoded) */
  openOrders: Set<bigint>
  /** memo of what its resting orders add to initial margin (margin.ts); derived, never encoded */
  exposure?: OrderExposure | undefined
  /** its resting orders' ids by market, then clientId (restingOrders.ts); derived, never encoded */
  clientOrders?: Map<number, Map<bigint, bigint>> | undefined
}

/** Resting orders' contribution to initial margin (orderExposure.ts); `adverse` is valid while `epoch` equals the state's priceEpoch. */
export interface OrderExposure {
  epoch: number
  /** open buy and sell size per market, size units: exact whatever the epoch */
  buys: Map<number, bigint>
  sells: Map<number, bigint>
  /** per market, a bound on the highest buy price and the lowest sell price among the orders (price units) */
  highestBuy: Map<number, bigint>
  lowestSell: Map<number, bigint>
  /** Σ adverse-price loss of orders priced worse than the oracle, USDC units */
  adverse: bigint
}

export interface RestingOrder {
  id: bigint
  market: number
  address: Address
  subaccount: number
  isBuy: boolean
  price: bigint
  /** remaining size, size units */
  size: bigint
  clientId: bigint
  reduceOnly: boolean
  /** block time in ms; 0 = none */
  expiresAt: bigint
}

export interface PriceLevel {
  price: bigint
  /** FIFO: time priority is the order of arrival at this level */
  orders: RestingOrder[]
  /** Σ remaining size of the level's orders, size units (kept by book.ts) */
  size: bigint
}

export interface Book {
  /** best first: bids by price descending, asks by price ascending */
  bids: PriceLevel[]
  asks: PriceLevel[]
}

export interface OracleConfig {
  signers: Address[]
  quorum: number
  /** a report older than this at block time is stale, ms */
  maxReportAgeMs: bigint
  /** a report timestamped further than this past block time is rejected, ms */
  maxFutureDriftMs: bigint
  /** a market price older than this at block time is stale: only risk-reducing fills, ms */
  maxPriceAgeMs: bigint
  /** a new median further than this from the price (PPM of it) waits for confirmation by a later block */
  maxPriceJumpPpm: bigint
  /** the book mid and last trade enter the mark price clamped to oracle ± this (PPM) */
  markPriceBandPpm: bigint
}

/** Per-account limits over a window of blocks, enforced in the engine (deterministic). */
export interface RateLimits {
  windowBlocks: bigint
  /** Order transactions per account per window */
  maxOrders: number
  /** Cancel and CancelAll transactions per account per window */
  maxCancels: number
}

/** Chain-wide risk parameters (genesis `risk`). */
export interface RiskConfig {
  /** share of positive unrealized PnL not counted for initial margin and withdrawals, PPM */
  unrealizedPnlHaircutPpm: bigint
  /** a withdrawal or transfer must leave equity ≥ this share of open notional (and ≥ initial margin), PPM */
  withdrawalFloorPpm: bigint
  liquidation: LiquidationConfig
}

/** How auction prices move with elapsed time (auctions.ts); the numbers are what leaves encode. */
export const AUCTION_CURVE = { linear: 0, stairstep: 1, exponential: 2 } as const
export type AuctionCurve = (typeof AUCTION_CURVE)[keyof typeof AUCTION_CURVE]

/** Parameters of an auction's price path; each auction keeps the values it started with. */
export interface AuctionTerms {
  curve: AuctionCurve
  /** after this long (ms of block time) the auction resets: it restarts from the oracle price */
  durationMs: bigint
  /** stairstep and exponential: the price's discount factor is multiplied by cutPpm every stepMs */
  stepMs: bigint
  cutPpm: bigint
  /** a discount factor below this (PPM) resets the auction before durationMs */
  minPriceRatioPpm: bigint
  /** the liquidation penalty, PPM of the slice's notional at the oracle price (liquidation.ts) */
  penaltyPpm: bigint
}

/** Genesis `risk.liquidation` (docs/risk-model.md, Liquidation). */
export interface LiquidationConfig extends AuctionTerms {
  /** a partial liquidation stops once equity ≥ maintenance margin × targetHealthPpm / PPM */
  targetHealthPpm: bigint
  /** slices are at least this notional (USDC units) and a remainder below it is closed too */
  dustNotional: bigint
  /** notional (USDC units at the oracle) that may enter auctions per block in one market … */
  maxNotionalPerBlockPerMarket: bigint
  /** … and from one subaccount */
  maxNotionalPerBlockPerAccount: bigint
}

/**
 * A Dutch auction of one slice of a liquidated position: bidders take any part at the current price
 * (AuctionBid), or the insurance fund takes the account over once the price reaches its bankruptcy point.
 */
export interface Auction {
  id: bigint
  /** the market of the position slice; for collateral, the market that prices the asset */
  market: number
  /** 0: a slice of a position; n ≥ 1: the subaccount's non-USD collateral asset n (bidders buy it for USDC) */
  asset: number
  /** the liquidated subaccount */
  address: Address
  subaccount: number
  /** size still to be taken, size units (> 0); for collateral, the asset's units */
  size: bigint
  /** the liquidated position is long, so bidders buy (and the price falls); otherwise bidders sell (it rises) */
  bidderBuys: boolean
  /** the oracle price when the auction started or last reset, price units */
  startPrice: bigint
  /** block time of that start, ms */
  startTime: bigint
  resets: number
  terms: AuctionTerms
}

/** Collateral leaving the chain: taken from the subaccount at once, released on L1 once a root settles it. */
export interface PendingWithdrawal {
  id: bigint
  account: Address
  subaccount: number
  recipient: Address
  /** USDC units */
  amount: bigint
  /** height of the block that took it */
  height: bigint
}

export interface Global {
  /** next resting order id (orders are numbered in block order: time priority is id order) */
  nextOrderId: bigint
  /** fees collected, USDC units */
  feePool: bigint
  /** next withdrawal id */
  nextWithdrawalId: bigint
  /** Σ pending withdrawals, USDC units */
  pendingWithdrawals: bigint
  /** next auction id */
  nextAuctionId: bigint
  /** per oracle signer, the timestamp of its last accepted report (a report must be newer) */
  oracleLastTimestamp: Map<Address, bigint>
}

/** An account's replay protection and rate counters (one leaf per address). */
export interface NonceWindow {
  /**
   * the highest nonces used, ascending, at most NONCE_WINDOW of them: nonce i (a u64) is
   * words[2i] × 2^32 + words[2i + 1], both words 32-bit unsigned numbers (nonces.ts says why not bigints)
   */
  words: number[]
  /** first height of the current rate window */
  windowStart: bigint
  orders: number
  cancels: number
}

export interface State {
  chainId: number
  oracle: OracleConfig
  rateLimits: RateLimits
  risk: RiskConfig
  /** non-USD collateral assets, index = id − 1 */
  assets: CollateralAsset[]
  markets: Market[]
  books: Book[]
  /** by subaccountId(address, subaccount) */
  subaccounts: Map<string, Subaccount>
  /** by order id */
  orders: Map<bigint, RestingOrder>
  nonces: Map<Address, NonceWindow>
  /** by withdrawal id */
  withdrawals: Map<bigint, PendingWithdrawal>
  /** live liquidation auctions by id */
  auctions: Map<bigint, Auction>
  /** live auction ids by subaccountId; derived from auctions, not encoded */
  auctionsBySubaccount: Map<string, Set<bigint>>
  /** bumped whenever an oracle price changes: invalidates order exposure memos (derived, not encoded) */
  priceEpoch: number
  /** resting orders with an expiry, ascending by (expiresAt, id); derived from orders, not encoded */
  expiries: { expiresAt: bigint; id: bigint }[]
  global: Global
  bridge: Bridge
  /** account → agent → valid until (block time, ms): keys approved to trade and cancel for the account */
  agents: Map<Address, Map<Address, bigint>>
}

/**
 * The L1 inbox: deposits are credited in L1 order, each exactly once. `nextDepositSeq` is the L1 contract's sequence
 * number of the next deposit to credit; `totalDeposited` is the sum credited so far (USDC units, 6 decimals).
 */
export interface Bridge {
  nextDepositSeq: bigint
  totalDeposited: bigint
}

/** A transaction whose signature the node has already recovered (DESIGN §3). */
export type VerifiedTx = TxMessage & {
  /** EIP-712 digest, 32 bytes */
  hash: Uint8Array
  /** address recovered from the signature */
  signer: Address
}

export interface BlockEnv {
  /** block time from the header, ms */
  time: bigint
  height: bigint
}

export type TxEvent =
  | {
      type: 'fill'
      market: number
      price: bigint
      size: bigint
      takerIsBuy: boolean
      maker: Address
      makerSubaccount: number
      makerOrderId: bigint
      taker: Address
      takerSubaccount: number
      makerFee: bigint
      takerFee: bigint
    }
  | { type: 'orderPlaced'; market: number; orderId: bigint; price: bigint; size: bigint; isBuy: boolean }
  | {
      type: 'orderCanceled'
      market: number
      orderId: bigint
      reason: 'user' | 'selfTrade' | 'expired' | 'unfilled' | 'reduceOnly' | 'liquidation'
    }
  | { type: 'oraclePending'; market: number; price: bigint }
  | { type: 'funding'; market: number; rate: bigint; index: bigint }
  | { type: 'transfer'; fromSubaccount: number; toSubaccount: number; amount: bigint }
  | { type: 'withdrawal'; id: bigint; recipient: Address; amount: bigint }
  | { type: 'deposit'; seq: bigint; account: Address; amount: bigint }
  | { type: 'agentApproved'; agent: Address; validUntil: bigint }
  | { type: 'oraclePrice'; market: number; price: bigint; reports: number }
  | {
      type: 'auctionStarted'
      auctionId: bigint
      market: number
      asset: number
      address: Address
      subaccount: number
      size: bigint
      bidderBuys: boolean
      startPrice: bigint
    }
  | { type: 'auctionReset'; auctionId: bigint; startPrice: bigint; resets: number }
  | {
      type: 'auctionFill'
      auctionId: bigint
      market: number
      asset: number
      address: Address
      subaccount: number
      bidder: Address
      bidderSubaccount: number
      size: bigint
      price: bigint
      /** the part of the penalty paid to the insurance fund, USDC units */
      insuranceFee: bigint
    }
  | {
      type: 'insuranceTakeover'
      address: Address
      subaccount: number
      /** the account's equity the fund absorbed (negative: a loss to the fund), USDC units */
      equity: bigint
    }
  | {
      type: 'deleveraged'
      market: number
      address: Address
      subaccount: number
      counterparty: Address
      counterpartySubaccount: number
      size: bigint
      /** USDC units the bankrupt side received (positive) or paid (negative) for this piece */
      quote: bigint
    }

export interface Receipt {
  hash: Uint8Array
  kind: TxKind
  ok: boolean
  code?: RejectCode
  error?: string
  events: TxEvent[]
}

/** Subaccounts numbered from here up are isolated: one market each (the convention of dYdX v4). */
export const FIRST_ISOLATED_SUBACCOUNT = 128

export function isIsolated(subaccount: number): boolean {
  return subaccount >= FIRST_ISOLATED_SUBACCOUNT
}

/** Addresses in subaccountId's memo before it is cleared and starts again. */
const MAX_INTERNED_ADDRESSES = 1 << 21
/**
 * Addresses kept by internAddress before it is cleared and starts again: ~25 MB at most. Lower than the id memo's
 * bound because messages are decoded before their signature is checked, so a client can make it grow with
 * addresses nobody holds; a node with more active accounts than this only interns less well.
 */
const MAX_CANONICAL_ADDRESSES = 1 << 18
/** One string object per address: see internAddress. */
const canonicalAddresses = new Map<string, Address>()

/**
 * The one string object kept for this (lowercase) address, equal to it. Every message decoded, signer recovered
 * and block read makes a new string for an address it has seen thousands of times, and the engine then looks it
 * up in several Maps (subaccounts, nonces, agents, rate limits) and compares it with the signer. A fresh string
 * must be hashed for each lookup and compared character by character, its characters one more cache line to
 * fetch; the kept one carries its hash, compares equal to itself by identity, and stays in cache with the
 * accounts that trade. In the node each of those steps of `authorize` took 0.4–0.8 µs (bench/NOTES.md, twelfth
 * pass). A pure memo, like subaccountId's: results never depend on it, and it is cleared when full.
 */
export function internAddress(address: string): Address {
  const known = canonicalAddresses.get(address)
  if (known !== undefined) return known
  if (canonicalAddresses.size >= MAX_CANONICAL_ADDRESSES) canonicalAddresses.clear()
  // a flat copy: `address` may be a slice of a larger string (a worker's answer), which the slice would keep alive
  const kept = [...address].join('') as Address
  canonicalAddresses.set(kept, kept)
  return kept
}

/**
 * Subaccount ids are interned: a freshly built `${address}:${n}` costs a concatenation, a flattening and a
 * hash on every Map lookup (about 0.4 µs measured, several times per transaction), while one string object
 * keeps its hash. A pure memo, so results never depend on it; bounded by clearing it when full.
 */
const interned = new Map<string, string[]>()
/** Subaccount numbers below this are interned (covers the cross range and the first isolated ones). */
const INTERNED_SUBACCOUNTS = 256

export function subaccountId(address: Address, subaccount: number): string {
  if (subaccount >= INTERNED_SUBACCOUNTS) return `${address}:${subaccount}`
  let row = interned.get(address)
  if (row === undefined) {
    if (interned.size >= MAX_INTERNED_ADDRESSES) interned.clear()
    row = []
    interned.set(address, row)
  }
  const id = row[subaccount]
  if (id !== undefined) return id
  const made = `${address}:${subaccount}`
  row[subaccount] = made
  return made
}
