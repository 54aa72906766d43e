/**
 * @module The engine's state as committed leaves: each entity is one leaf under a prefixed key
 * (state/keys.ts), with a canonical value encoding. `leafWrites` encodes what a block touched; `allLeaves`
 * encodes everything (genesis, export); `stateFromLeaves` rebuilds the engine state (books from resting
 * orders in id order, which is their time priority).
 */

import type { LeafWrite } from '../state/index.ts'
import {
  agentsKey,
  auctionKey,
  ByteArena,
  bridgeKey,
  fromHex,
  globalKey,
  KEY_PREFIX,
  marketKey,
  noncesKey,
  orderKey,
  Reader,
  subaccountKey,
  toHex,
  Writer,
  withdrawalKey,
} from '../state/index.ts'
import { addAuction } from './auctions.ts'
import { emptyBook } from './book.ts'
import type { Dirty } from './dirty.ts'
import { MAX_ASSETS, MAX_SYMBOL_BYTES, MAX_TIERS } from './genesis.ts'
import type { Address } from './messages.ts'
import { NONCE_WINDOW } from './nonces.ts'
import { addResting } from './restingOrders.ts'
import { isEmptySubaccount } from './subaccounts.ts'
import { MAX_AGENTS } from './txs/approveAgent.ts'
import type {
  Auction,
  AuctionCurve,
  AuctionTerms,
  CollateralAsset,
  Global,
  Market,
  NonceWindow,
  OracleConfig,
  OracleQuote,
  PendingWithdrawal,
  Position,
  RateLimits,
  RestingOrder,
  RiskConfig,
  State,
  Subaccount,
} from './types.ts'
import { AUCTION_CURVE, subaccountId } from './types.ts'

const address = (w: Writer, a: Address): Writer => w.hex(a, 20)
const readAddress = (r: Reader): Address => toHex(r.fixed(20))

function encodeTerms(w: Writer, t: AuctionTerms): Writer {
  return w.u8(t.curve).u64(t.durationMs).u64(t.stepMs).u256(t.cutPpm).u256(t.minPriceRatioPpm).u256(t.penaltyPpm)
}

function decodeTerms(r: Reader): AuctionTerms {
  const curve = r.u8()
  if (curve > AUCTION_CURVE.exponential) throw new Error(`unknown auction curve ${curve}`)
  return {
    curve: curve as AuctionCurve,
    durationMs: r.u64(),
    stepMs: r.u64(),
    cutPpm: r.u256(),
    minPriceRatioPpm: r.u256(),
    penaltyPpm: r.u256(),
  }
}

function encodeAuction(a: Auction): Uint8Array {
  const w = address(new Writer().u64(a.id).u32(a.market).u32(a.asset), a.address).u32(a.subaccount)
  w.u256(a.size).bool(a.bidderBuys).u256(a.startPrice).u64(a.startTime).u32(a.resets)
  return encodeTerms(w, a.terms).finish()
}

function decodeAuction(r: Reader): Auction {
  return {
    id: r.u64(),
    market: r.u32(),
    asset: r.u32(),
    address: readAddress(r),
    subaccount: r.u32(),
    size: r.u256(),
    bidderBuys: r.bool(),
    startPrice: r.u256(),
    startTime: r.u64(),
    resets: r.u32(),
    terms: decodeTerms(r),
  }
}

function encodeGlobal(state: State): Uint8Array {
  const w = new Writer().u64(BigInt(state.chainId))
  const o = state.oracle
  w.u32(o.signers.length)
  for (const s of o.signers) address(w, s)
  w.u32(o.quorum).u64(o.maxReportAgeMs).u64(o.maxFutureDriftMs).u64(o.maxPriceAgeMs)
  w.u256(o.maxPriceJumpPpm).u256(o.markPriceBandPpm)
  const l = state.rateLimits
  w.u64(l.windowBlocks).u32(l.maxOrders).u32(l.maxCancels)
  w.u256(state.risk.unrealizedPnlHaircutPpm).u256(state.risk.withdrawalFloorPpm)
  const liq = state.risk.liquidation
  w.u256(liq.targetHealthPpm).u256(liq.dustNotional).u256(liq.maxNotionalPerBlockPerMarket)
  encodeTerms(w.u256(liq.maxNotionalPerBlockPerAccount), liq)
  w.u32(state.assets.length)
  for (const a of state.assets) w.u32(a.id).string(a.symbol).u8(a.decimals).u32(a.priceMarket).u256(a.haircutPpm)
  const g = state.global
  w.u64(g.nextOrderId).i256(g.feePool).u64(g.nextWithdrawalId).u256(g.pendingWithdrawals).u64(g.nextAuctionId)
  const stamps = [...g.oracleLastTimestamp].sort(([a], [b]) => (a < b ? -1 : 1))
  w.u32(stamps.length)
  for (const [s, t] of stamps) address(w, s).u64(t)
  return w.finish()
}

interface GlobalLeaf {
  chainId: number
  oracle: OracleConfig
  rateLimits: RateLimits
  risk: RiskConfig
  assets: CollateralAsset[]
  global: Global
}

function decodeGlobal(r: Reader): GlobalLeaf {
  const chainId = Number(r.u64())
  const signers = Array.from({ length: r.u32() }, () => readAddress(r))
  const oracle: OracleConfig = {
    signers,
    quorum: r.u32(),
    maxReportAgeMs: r.u64(),
    maxFutureDriftMs: r.u64(),
    maxPriceAgeMs: r.u64(),
    maxPriceJumpPpm: r.u256(),
    markPriceBandPpm: r.u256(),
  }
  const rateLimits: RateLimits = { windowBlocks: r.u64(), maxOrders: r.u32(), maxCancels: r.u32() }
  const unrealizedPnlHaircutPpm = r.u256()
  const withdrawalFloorPpm = r.u256()
  const liquidationHead = {
    targetHealthPpm: r.u256(),
    dustNotional: r.u256(),
    maxNotionalPerBlockPerMarket: r.u256(),
    maxNotionalPerBlockPerAccount: r.u256(),
  }
  const risk: RiskConfig = {
    unrealizedPnlHaircutPpm,
    withdrawalFloorPpm,
    liquidation: { ...liquidationHead, ...decodeTerms(r) },
  }
  const assetCount = r.u32()
  if (assetCount > MAX_ASSETS) throw new Error(`${assetCount} collateral assets`)
  const assets: CollateralAsset[] = Array.from({ length: assetCount }, () => ({
    id: r.u32(),
    symbol: r.string(MAX_SYMBOL_BYTES),
    decimals: r.u8(),
    priceMarket: r.u32(),
    haircutPpm: r.u256(),
  }))
  const nextOrderId = r.u64()
  const feePool = r.i256()
  const nextWithdrawalId = r.u64()
  const pendingWithdrawals = r.u256()
  const nextAuctionId = r.u64()
  const oracleLastTimestamp = new Map<Address, bigint>()
  for (let n = r.u32(); n > 0; n--) oracleLastTimestamp.set(readAddress(r), r.u64())
  return {
    chainId,
    oracle,
    rateLimits,
    risk,
    assets,
    global: { nextOrderId, feePool, nextWithdrawalId, pendingWithdrawals, nextAuctionId, oracleLastTimestamp },
  }
}

function encodeMarket(m: Market): Uint8Array {
  const w = new Writer()
    .u32(m.id)
    .string(m.symbol)
    .u8(m.priceDecimals)
    .u8(m.sizeDecimals)
    .u256(m.tickSize)
    .u256(m.lotSize)
    .u256(m.minOrderSize)
    .u256(m.maxOrderSize)
    .u256(m.maxOrderNotional)
    .u256(m.maxPositionSize)
    .u256(m.openInterestCap)
    .u32(m.marginTiers.length)
  for (const t of m.marginTiers) w.u256(t.notionalFloor).u256(t.initialMarginFraction).u256(t.maintenanceMarginFraction)
  w.u256(m.openInterestLower)
    .u256(m.openInterestUpper)
    .u256(m.openInterestImf)
    .u256(m.volatilityDecay)
    .u256(m.volatilityReference)
    .u256(m.volatilityScaleFloor)
    .u256(m.volatilityScaleCap)
    .i256(m.makerFeePpm)
    .u256(m.takerFeePpm)
    .u64(m.fundingIntervalMs)
    .u256(m.fundingRateCapPpm)
    .u256(m.interestRatePpm)
    .u256(m.impactNotional)
    .u8(m.status === 'active' ? 0 : 1)
    .u256(m.oraclePrice)
    .u64(m.oracleTime)
    .u256(m.longOpenInterest)
    .u256(m.shortOpenInterest)
    .u256(m.varianceEwma)
    .u32(m.quotes.length)
  for (const q of m.quotes) address(w, q.signer).u256(q.price).u64(q.timestamp)
  return w
    .u256(m.pendingOraclePrice)
    .u64(m.pendingOracleTime)
    .i256(m.fundingIndex)
    .u64(m.fundingPeriodStart)
    .i256(m.premiumNow)
    .u64(m.premiumSince)
    .i256(m.premiumAccumulated)
    .i256(m.lastFundingRate)
    .i256(m.fundingBalance)
    .u256(m.lastTradePrice)
    .u256(m.quoteDivisor)
    .finish()
}

/** Quotes are one per oracle signer; the bound limits allocation from a corrupt leaf. */
const MAX_QUOTES = 256

function readQuotes(r: Reader): OracleQuote[] {
  const n = r.u32()
  if (n > MAX_QUOTES) throw new Error(`${n} oracle quotes`)
  return Array.from({ length: n }, () => ({ signer: readAddress(r), price: r.u256(), timestamp: r.u64() }))
}

function decodeMarket(r: Reader): Market {
  const head = {
    id: r.u32(),
    symbol: r.string(MAX_SYMBOL_BYTES),
    priceDecimals: r.u8(),
    sizeDecimals: r.u8(),
    tickSize: r.u256(),
    lotSize: r.u256(),
    minOrderSize: r.u256(),
    maxOrderSize: r.u256(),
    maxOrderNotional: r.u256(),
    maxPositionSize: r.u256(),
    openInterestCap: r.u256(),
  }
  const tierCount = r.u32()
  if (tierCount > MAX_TIERS) throw new Error(`market ${head.id} has ${tierCount} tiers`)
  const marginTiers = Array.from({ length: tierCount }, () => ({
    notionalFloor: r.u256(),
    initialMarginFraction: r.u256(),
    maintenanceMarginFraction: r.u256(),
  }))
  return {
    ...head,
    marginTiers,
    openInterestLower: r.u256(),
    openInterestUpper: r.u256(),
    openInterestImf: r.u256(),
    volatilityDecay: r.u256(),
    volatilityReference: r.u256(),
    volatilityScaleFloor: r.u256(),
    volatilityScaleCap: r.u256(),
    makerFeePpm: r.i256(),
    takerFeePpm: r.u256(),
    fundingIntervalMs: r.u64(),
    fundingRateCapPpm: r.u256(),
    interestRatePpm: r.u256(),
    impactNotional: r.u256(),
    status: r.u8() === 0 ? 'active' : 'closed',
    oraclePrice: r.u256(),
    oracleTime: r.u64(),
    longOpenInterest: r.u256(),
    shortOpenInterest: r.u256(),
    varianceEwma: r.u256(),
    quotes: readQuotes(r),
    pendingOraclePrice: r.u256(),
    pendingOracleTime: r.u64(),
    fundingIndex: r.i256(),
    fundingPeriodStart: r.u64(),
    premiumNow: r.i256(),
    premiumSince: r.u64(),
    premiumAccumulated: r.i256(),
    lastFundingRate: r.i256(),
    fundingBalance: r.i256(),
    lastTradePrice: r.u256(),
    quoteDivisor: r.u256(),
  }
}

function encodeSubaccount(s: Subaccount, arena?: ByteArena): Uint8Array {
  const ids = [...s.positions.keys()].sort((a, b) => a - b)
  const assets = [...s.assets].filter(([, amount]) => amount !== 0n).sort(([a], [b]) => a - b)
  // the exact size (an i256 is 33 bytes), so that the Writer neither grows nor copies its buffer at the end
  const w = new Writer(33 + 4 + ids.length * (4 + 3 * 33) + 4 + assets.length * (4 + 32), arena)
  w.i256(s.collateral).u32(ids.length)
  for (const id of ids) {
    const p = s.positions.get(id) as Position
    w.u32(id).i256(p.size).i256(p.cost).i256(p.fundingIndex)
  }
  w.u32(assets.length)
  for (const [id, amount] of assets) w.u32(id).u256(amount)
  return w.finish()
}

/** Its exact size (id, market, address, subaccount, isBuy, price, size, clientId, reduceOnly, expiresAt): no copy. */
const ORDER_BYTES = 8 + 4 + 20 + 4 + 1 + 32 + 32 + 8 + 1 + 8

function encodeOrder(o: RestingOrder, arena?: ByteArena): Uint8Array {
  const w = address(new Writer(ORDER_BYTES, arena).u64(o.id).u32(o.market), o.address)
  return w
    .u32(o.subaccount)
    .bool(o.isBuy)
    .u256(o.price)
    .u256(o.size)
    .u64(o.clientId)
    .bool(o.reduceOnly)
    .u64(o.expiresAt)
    .finish()
}

function decodeOrder(r: Reader): RestingOrder {
  return {
    id: r.u64(),
    market: r.u32(),
    address: readAddress(r),
    subaccount: r.u32(),
    isBuy: r.bool(),
    price: r.u256(),
    size: r.u256(),
    clientId: r.u64(),
    reduceOnly: r.bool(),
    expiresAt: r.u64(),
  }
}

/** agent address then valid-until (ms), ascending by agent */
function encodeAgents(agents: Map<Address, bigint>): Uint8Array {
  const w = new Writer().u32(agents.size)
  for (const agent of [...agents.keys()].sort()) address(w, agent).u64(agents.get(agent) as bigint)
  return w.finish()
}

function encodeNonces(n: NonceWindow, arena?: ByteArena): Uint8Array {
  // count, the nonces, windowStart, orders, cancels: a full window (532 bytes) grew the default 256 twice.
  // A nonce's u64 is its high word then its low word, both big-endian: the two u32s of the window
  const w = new Writer(4 + 4 * n.words.length + 8 + 4 + 4, arena).u32(n.words.length >> 1)
  for (const word of n.words) w.u32(word)
  return w.u64(n.windowStart).u32(n.orders).u32(n.cancels).finish()
}

function subaccountLeaf(state: State, id: string, arena?: ByteArena): LeafWrite {
  const [addr, sub] = id.split(':') as [Address, string]
  const s = state.subaccounts.get(id)
  const empty = s === undefined || isEmptySubaccount(s)
  return { key: subaccountKey(fromHex(addr), Number(sub)), value: empty ? null : encodeSubaccount(s, arena) }
}

/**
 * Leaves touched by a block, in a fixed order (the order does not change the root, only the batch). The values of
 * the kinds every order touches (subaccounts, orders, nonce windows) are views of one arena's buffers rather than
 * an array each (state/byteArena.ts): they live and die with the block's commit (or, through allLeaves, with a
 * tree's build; 1M accounts hold ~340 MiB less RSS for it, bench/NOTES.md eleventh pass).
 */
export function leafWrites(state: State, dirty: Dirty): LeafWrite[] {
  const out: LeafWrite[] = []
  const arena = new ByteArena()
  if (dirty.global) out.push({ key: globalKey(), value: encodeGlobal(state) })
  for (const id of [...dirty.markets].sort((a, b) => a - b))
    out.push({ key: marketKey(id), value: encodeMarket(state.markets[id] as Market) })
  // the per-order kinds in indexed loops: this runs once a block, too rarely to be optimized, and an unoptimized
  // for…of made an iterator result (and a [key, value] pair for the orders) per leaf
  const subaccounts = [...dirty.subaccounts].sort()
  for (let i = 0; i < subaccounts.length; i++) out.push(subaccountLeaf(state, subaccounts[i] as string, arena))
  const orders = [...dirty.orders.keys()].sort((a, b) => (a < b ? -1 : 1))
  for (let i = 0; i < orders.length; i++) {
    const id = orders[i] as bigint
    const o = state.orders.get(id)
    out.push({
      key: orderKey(dirty.orders.get(id) as number, id),
      value: o === undefined ? null : encodeOrder(o, arena),
    })
  }
  for (const id of [...dirty.withdrawals].sort((a, b) => (a < b ? -1 : 1))) {
    const w = state.withdrawals.get(id)
    const value =
      w === undefined
        ? null
        : address(address(new Writer().u64(w.id), w.account).u32(w.subaccount), w.recipient)
            .u256(w.amount)
            .u64(w.height)
            .finish()
    out.push({ key: withdrawalKey(id), value })
  }
  for (const id of [...dirty.auctions].sort((a, b) => (a < b ? -1 : 1))) {
    const a = state.auctions.get(id)
    out.push({ key: auctionKey(id), value: a === undefined ? null : encodeAuction(a) })
  }
  // absent until the first deposit, so chains without L1 deposits keep the roots they had before the bridge
  if (dirty.bridge && state.bridge.nextDepositSeq > 0n)
    out.push({
      key: bridgeKey(),
      value: new Writer().u64(state.bridge.nextDepositSeq).u256(state.bridge.totalDeposited).finish(),
    })
  for (const a of [...dirty.agents].sort()) {
    const agents = state.agents.get(a)
    out.push({ key: agentsKey(fromHex(a)), value: agents === undefined ? null : encodeAgents(agents) })
  }
  const nonces = [...dirty.nonces].sort()
  for (let i = 0; i < nonces.length; i++) {
    const a = nonces[i] as Address
    out.push({ key: noncesKey(fromHex(a)), value: encodeNonces(state.nonces.get(a) as NonceWindow, arena) })
  }
  return out
}

export function allLeaves(state: State): LeafWrite[] {
  return leafWrites(state, {
    global: true,
    bridge: true,
    markets: new Set(state.markets.map((m) => m.id)),
    subaccounts: new Set(state.subaccounts.keys()),
    orders: new Map([...state.orders.values()].map((o) => [o.id, o.market])),
    nonces: new Set(state.nonces.keys()),
    agents: new Set(state.agents.keys()),
    withdrawals: new Set(state.withdrawals.keys()),
    auctions: new Set(state.auctions.keys()),
    collateralBefore: new Map(),
  })
}

/** Rebuilds the engine state from every stored leaf (any order). */
export function stateFromLeaves(leaves: Iterable<readonly [Uint8Array, Uint8Array]>): State {
  let head: GlobalLeaf | undefined
  const withdrawals = new Map<bigint, PendingWithdrawal>()
  const markets: Market[] = []
  const subaccounts = new Map<string, Subaccount>()
  const orders: RestingOrder[] = []
  const nonces = new Map<Address, NonceWindow>()
  const auctions: Auction[] = []
  const bridge = { nextDepositSeq: 0n, totalDeposited: 0n }
  const agents = new Map<Address, Map<Address, bigint>>()
  for (const [key, value] of leaves) {
    const k = new Reader(key)
    const r = new Reader(value)
    switch (k.u8()) {
      case KEY_PREFIX.global:
        head = decodeGlobal(r)
        break
      case KEY_PREFIX.market: {
        const m = decodeMarket(r)
        markets[m.id] = m
        break
      }
      case KEY_PREFIX.subaccount: {
        const addr = readAddress(k)
        const sub = k.u32()
        const s: Subaccount = {
          address: addr,
          subaccount: sub,
          collateral: r.i256(),
          positions: new Map(),
          assets: new Map(),
          openOrders: new Set(),
        }
        for (let n = r.u32(); n > 0; n--)
          s.positions.set(r.u32(), { size: r.i256(), cost: r.i256(), fundingIndex: r.i256() })
        for (let n = r.u32(); n > 0; n--) s.assets.set(r.u32(), r.u256())
        subaccounts.set(subaccountId(addr, sub), s)
        break
      }
      case KEY_PREFIX.order:
        orders.push(decodeOrder(r))
        break
      case KEY_PREFIX.withdrawal: {
        const w: PendingWithdrawal = {
          id: r.u64(),
          account: readAddress(r),
          subaccount: r.u32(),
          recipient: readAddress(r),
          amount: r.u256(),
          height: r.u64(),
        }
        withdrawals.set(w.id, w)
        break
      }
      case KEY_PREFIX.nonces: {
        const count = r.u32()
        if (count > NONCE_WINDOW) throw new Error(`nonce window of ${count} entries`)
        // each u64 as its two big-endian u32 words, as the window keeps it (engine/nonces.ts)
        const words = Array.from({ length: 2 * count }, () => r.u32())
        nonces.set(readAddress(k), { words, windowStart: r.u64(), orders: r.u32(), cancels: r.u32() })
        break
      }
      case KEY_PREFIX.auction:
        auctions.push(decodeAuction(r))
        break
      case KEY_PREFIX.agents: {
        const count = r.u32()
        if (count > MAX_AGENTS) throw new Error(`${count} agents for one account`)
        agents.set(readAddress(k), new Map(Array.from({ length: count }, () => [readAddress(r), r.u64()] as const)))
        break
      }
      case KEY_PREFIX.bridge:
        bridge.nextDepositSeq = r.u64()
        bridge.totalDeposited = r.u256()
        break
      default:
        throw new Error(`unknown leaf prefix in key ${toHex(key)}`)
    }
    r.end()
  }
  if (head === undefined) throw new Error('state has no global leaf')
  const state: State = {
    chainId: head.chainId,
    oracle: head.oracle,
    rateLimits: head.rateLimits,
    risk: head.risk,
    assets: head.assets,
    withdrawals,
    bridge,
    agents,
    expiries: [],
    priceEpoch: 0,
    global: head.global,
    markets,
    books: markets.map(() => emptyBook()),
    subaccounts,
    orders: new Map(),
    nonces,
    auctions: new Map(),
    auctionsBySubaccount: new Map(),
  }
  orders.sort((a, b) => (a.id < b.id ? -1 : 1))
  for (const o of orders) addResting(state, o)
  for (const a of auctions) addAuction(state, a)
  return state
}
