/**
 * @module The client's read results. Rule (clientWire.ts): every integer the wire sends as a decimal string
 * arrives here as a `bigint` in the chain's units (prices in 10^-priceDecimals, sizes in 10^-sizeDecimals,
 * collateral in 10^-6 USDC, fractions in ppm, times in ms); what the wire sends as a JSON number (ids, decimals,
 * subaccounts, counts) stays a `number`; hashes and addresses stay 0x-hex strings. Format for people with
 * formatPrice / formatSize / formatAmount (clientDecimals.ts).
 *
 * The types name the fields docs/rpc.md documents; a node may send more, which are present (converted by the
 * same rule) but untyped.
 */

import type { MarketScale } from './clientDecimals.ts'

export type Hex = `0x${string}`
export type Address = Hex

export interface Eip712Description {
  domain: { name: string; version: string; chainId: number }
  /** includes EIP712Domain */
  types: Record<string, { name: string; type: string }[]>
  /** transaction kind → primary type, e.g. order → Order */
  primaryTypes: Record<string, string>
}

export interface ChainInfo {
  chainId: number
  genesisHash: Hex
  height: bigint
  stateRoot: Hex
  blockTimeMs: number
  role: 'sequencer' | 'validator'
  peers: number
  sequencer: Address
  eip712: Eip712Description
  /** null unless the node recorded fraud evidence (docs/rpc.md, Alarms) */
  alarm: { kind: 'root-mismatch' | 'equivocation'; height: bigint; detail: string; evidence: unknown } | null
}

export interface MarginTier {
  notionalFloor: bigint
  initialMarginFraction: bigint
  maintenanceMarginFraction: bigint
  initialInForce: bigint
  maintenanceInForce: bigint
}

/** A market as perp_markets reads it: its scales (tick and lot, clientDecimals.ts) and the rest. */
export interface Market extends MarketScale {
  minOrderSize: bigint
  maxOrderSize: bigint
  maxOrderNotional: bigint
  maxPositionSize: bigint
  openInterestCap: bigint
  oraclePrice: bigint
  oracleTime: bigint
  pendingOraclePrice: bigint
  markPrice: bigint
  lastTradePrice: bigint
  fundingRate: bigint
  predictedFundingRate: bigint
  nextFundingTime: bigint
  openInterest: bigint
  longOpenInterest: bigint
  shortOpenInterest: bigint
  openInterestNotional: bigint
  initialMarginFraction: bigint
  maintenanceMarginFraction: bigint
  marginTiers: MarginTier[]
  makerFeePpm: bigint
  takerFeePpm: bigint
  status: string
}

/** [price, size] in the market's units, best first */
export type BookLevel = [price: bigint, size: bigint]

export interface OrderBook {
  market: number
  height: bigint
  bids: BookLevel[]
  asks: BookLevel[]
}

export interface Position {
  market: number
  /** signed: negative is short */
  size: bigint
  entryPrice: bigint
  unrealizedPnl: bigint
  unsettledFunding: bigint
  liquidationPrice: bigint | null
}

export interface OpenOrder {
  id: bigint
  market: number
  address: Address
  subaccount: number
  isBuy: boolean
  price: bigint
  /** remaining */
  size: bigint
  clientId: bigint
  reduceOnly: boolean
  expiresAt: bigint
}

export interface AccountState {
  address: Address
  subaccount: number
  collateral: bigint
  equity: bigint
  freeCollateral: bigint
  initialMargin: bigint
  maintenanceMargin: bigint
  marginMode: 'cross' | 'isolated'
  assets: { asset: number; symbol: string; amount: bigint; value: bigint; marginValue: bigint }[]
  positions: Position[]
  openOrders: OpenOrder[]
  height: bigint
}

/** An event of a receipt or block (docs/rpc.md, Events); fields by `type`. */
export interface ChainEvent {
  type: string
  [field: string]: unknown
}

export type Receipt =
  | { hash: Hex; status: 'pending' }
  | {
      hash: Hex
      status: 'included' | 'rejected'
      height: bigint
      index: number
      kind: string
      events: ChainEvent[]
      /** rejected only: the table reason (rpc/errors.ts) and the engine's message */
      error?: { reason: string; message: string }
    }

/** A receipt that left the mempool: what waitFor returns. */
export type FinalReceipt = Exclude<Receipt, { status: 'pending' }>

export interface Block {
  chainId: number
  height: bigint
  parentHash: Hex
  time: bigint
  proposer: Address
  txRoot: Hex
  stateRoot: Hex
  /** present for the head block */
  hash?: Hex
  signature: Hex
  transactions: Hex[]
  events: ChainEvent[]
}

export interface Proof {
  height: bigint
  stateRoot: Hex
  key: Hex
  /** the leaf's canonical bytes, null when absent */
  value: Hex | null
  proof: Hex
  kind: 'member' | 'empty' | 'other'
}

export interface Auction {
  id: bigint
  market: number
  /** 0: a position slice; n ≥ 1: collateral asset n */
  asset: number
  address: Address
  subaccount: number
  /** what is left: size units, or the asset's units */
  size: bigint
  bidderBuys: boolean
  /** what a bid pays at the head's block time, price units */
  price: bigint
  startPrice: bigint
  startTime: bigint
  resets: number
  equityAfter: bigint
  terms: {
    curve: string
    durationMs: bigint
    stepMs: bigint
    cutPpm: bigint
    minPriceRatioPpm: bigint
    penaltyPpm: bigint
  }
}

export interface Auctions {
  height: bigint
  auctions: Auction[]
}

export interface InsuranceFund extends AccountState {
  /** USDC units */
  balance: bigint
  liveAuctions: number
}
