/**
 * @module The liquidation steps of a block (docs/risk-model.md, Liquidation):
 *
 * 1. Before the block's transactions, after its oracle prices and funding — live auctions, by id: an auction of
 *    a market with a stale oracle waits. One past its duration or below its minimum price ratio restarts from
 *    the oracle (auctions.ts). One whose price has reached the account's bankruptcy point — selling (buying back)
 *    its remaining size at the auction price would leave the account with equity ≤ 0 — ends in the backstop
 *    (backstop.ts). The transactions then bid only on auctions above that point, at this block's prices.
 * 2. After the transactions (so bids on the auctions of earlier blocks go first): accounts found liquidatable
 *    (equity < maintenance margin), lowest equity/maintenance first, ties by id;
 *    the insurance fund and accounts holding a position in a market with a stale oracle are skipped (no
 *    liquidation on a stale price). For each: its resting orders are cancelled; with equity ≤ 0 it goes to the
 *    backstop at once; otherwise slices of its positions go to auction (planSlices), largest notional first,
 *    only as much as restores equity ≥ maintenance × targetHealthPpm / PPM, each at least dustNotional (or the
 *    whole position), within the per-block caps per market and per account.
 *
 * A subaccount with a live auction may not place orders, withdraw or transfer out (LIQUIDATING); its other
 * positions keep their auctions' sizes reserved.
 */
import { addAuction, auctionPrice, auctionQuote, auctionsOf, needsReset } from './auctions.ts'
import { backstop } from './backstop.ts'
import type { Dirty } from './dirty.ts'
import { PPM } from './fixedPoint.ts'
import { insuranceFundId } from './insuranceFund.ts'
import {
  assetsMarginValue,
  assetValue,
  equity,
  maintenanceMargin,
  notional,
  positionRequirement,
  positionValue,
} from './margin.ts'
import { dropOrder } from './restingOrders.ts'
import { isStale } from './txs/placeOrder.ts'
import type {
  Auction,
  AuctionTerms,
  BlockEnv,
  CollateralAsset,
  LiquidationConfig,
  Market,
  RestingOrder,
  State,
  Subaccount,
  TxEvent,
} from './types.ts'
import { subaccountId } from './types.ts'

/** The auction terms in force now, copied into a new auction (so later changes never reprice it). */
function termsOf(cfg: LiquidationConfig): AuctionTerms {
  const { curve, durationMs, stepMs, cutPpm, minPriceRatioPpm, penaltyPpm } = cfg
  return { curve, durationMs, stepMs, cutPpm, minPriceRatioPpm, penaltyPpm }
}

/** The auction's size still backed by the account's position or collateral (deleveraging may have shrunk it). */
export function liveSize(sub: Subaccount | undefined, a: Auction): bigint {
  if (a.asset !== 0) {
    const held = sub?.assets.get(a.asset) ?? 0n
    return held < a.size ? held : a.size
  }
  const size = sub?.positions.get(a.market)?.size ?? 0n
  const backed = a.bidderBuys ? (size > 0n ? size : 0n) : size < 0n ? -size : 0n
  return backed < a.size ? backed : a.size
}

/** Equity after the auction's remaining size trades at `price`: ≤ 0 means the bankruptcy point is reached. */
export function equityAfterAuction(state: State, sub: Subaccount, a: Auction, size: bigint, price: bigint): bigint {
  const market = state.markets[a.market] as Market
  const quote = auctionQuote(state, a, size, price)
  if (a.asset !== 0)
    return equity(state, sub) - assetValue(state, state.assets[a.asset - 1] as CollateralAsset, size, true) + quote
  return a.bidderBuys
    ? equity(state, sub) - positionValue(market, size) + quote
    : equity(state, sub) - positionValue(market, -size) - quote
}

function advanceAuctions(state: State, env: BlockEnv, dirty: Dirty, events: TxEvent[]): void {
  const ids = [...state.auctions.keys()].sort((a, b) => (a < b ? -1 : 1))
  for (const id of ids) {
    const a = state.auctions.get(id)
    if (a === undefined) continue // ended by a backstop earlier in this loop
    const market = state.markets[a.market] as Market
    if (isStale(state, market, env.time)) continue
    const sub = state.subaccounts.get(subaccountId(a.address, a.subaccount)) as Subaccount
    const size = liveSize(sub, a)
    if (size !== a.size) {
      a.size = size
      dirty.auctions.add(a.id)
    }
    if (needsReset(a, env.time)) {
      a.startPrice = market.oraclePrice
      a.startTime = env.time
      a.resets += 1
      dirty.auctions.add(a.id)
      events.push({ type: 'auctionReset', auctionId: a.id, startPrice: a.startPrice, resets: a.resets })
    }
    if (size === 0n || equityAfterAuction(state, sub, a, size, auctionPrice(market, a, env.time)) <= 0n)
      events.push(...backstop(state, sub, dirty))
  }
}

/** Maintenance margin with some positions at other sizes (size units by market id). */
function maintenanceWith(state: State, sub: Subaccount, sizes: Map<number, bigint>): bigint {
  let total = 0n
  for (const [id, p] of sub.positions)
    total += positionRequirement(state.markets[id] as Market, sizes.get(id) ?? p.size, 'maintenance')
  return total
}

function penalty(state: State, market: Market, size: bigint): bigint {
  const n = notional(market, size)
  return (n * state.risk.liquidation.penaltyPpm + PPM - 1n) / PPM
}

/** Size units of whole lots worth at most `room` USDC units at the oracle. */
function lotsWithin(market: Market, room: bigint): bigint {
  if (room <= 0n) return 0n
  const size = (room * market.quoteDivisor) / market.oraclePrice
  return (size / market.lotSize) * market.lotSize
}

/**
 * Slices (signed sizes to close, by market) that restore the target, largest position notional first; the
 * smallest whole-lot slice of each position that reaches it (binary search; closing at the oracle changes
 * equity only by the penalty), the whole position if none does.
 */
function planSlices(state: State, sub: Subaccount, reserved: Map<number, bigint>): Map<number, bigint> {
  const cfg = state.risk.liquidation
  const sizes = new Map<number, bigint>()
  for (const [id, p] of sub.positions) sizes.set(id, p.size - (reserved.get(id) ?? 0n))
  let e = equity(state, sub)
  const healthy = (eq: bigint, mm: bigint): boolean => eq * PPM >= mm * cfg.targetHealthPpm
  const order = [...sizes]
    .filter(([id, size]) => size !== 0n && !reserved.has(id))
    .map(([id, size]) => ({ id, size, n: notional(state.markets[id] as Market, size) }))
    .sort((a, b) => (a.n !== b.n ? (a.n > b.n ? -1 : 1) : a.id - b.id))
  const slices = new Map<number, bigint>()
  for (const { id, size } of order) {
    if (healthy(e, maintenanceWith(state, sub, sizes))) break
    const market = state.markets[id] as Market
    const sign = size > 0n ? 1n : -1n
    const lots = (size * sign) / market.lotSize
    const reaches = (k: bigint): boolean => {
      const trial = new Map(sizes).set(id, size - sign * k * market.lotSize)
      return healthy(e - penalty(state, market, k * market.lotSize), maintenanceWith(state, sub, trial))
    }
    let lo = 1n
    let hi = lots
    while (lo < hi) {
      const mid = (lo + hi) / 2n
      if (reaches(mid)) hi = mid
      else lo = mid + 1n
    }
    let cut = (reaches(lo) ? lo : lots) * market.lotSize
    const whole = size * sign
    const dustLots = lotsWithin(market, cfg.dustNotional) + market.lotSize
    if (notional(market, cut) < cfg.dustNotional) cut = dustLots < whole ? dustLots : whole
    if (notional(market, whole - cut) < cfg.dustNotional) cut = whole
    slices.set(id, sign * cut)
    sizes.set(id, size - sign * cut)
    e -= penalty(state, market, cut)
  }
  return slices
}

function startAuctions(
  state: State,
  sub: Subaccount,
  env: BlockEnv,
  spent: Map<number, bigint>,
  dirty: Dirty,
): TxEvent[] {
  const cfg = state.risk.liquidation
  const live = auctionsOf(state, subaccountId(sub.address, sub.subaccount))
  const reserved = new Map<number, bigint>(
    live.filter((a) => a.asset === 0).map((a) => [a.market, a.bidderBuys ? a.size : -a.size]),
  )
  const events: TxEvent[] = []
  let accountSpent = 0n
  for (const [id, slice] of [...planSlices(state, sub, reserved)].sort(([a], [b]) => a - b)) {
    const market = state.markets[id] as Market
    const marketRoom = cfg.maxNotionalPerBlockPerMarket - (spent.get(id) ?? 0n)
    const accountRoom = cfg.maxNotionalPerBlockPerAccount - accountSpent
    const roomLots = lotsWithin(market, marketRoom < accountRoom ? marketRoom : accountRoom)
    const whole = slice > 0n ? slice : -slice
    const size = whole < roomLots ? whole : roomLots
    if (size === 0n) continue // the caps are spent: the account is found again next block
    const used = notional(market, size)
    spent.set(id, (spent.get(id) ?? 0n) + used)
    accountSpent += used
    const auction: Auction = {
      id: state.global.nextAuctionId,
      market: id,
      address: sub.address,
      subaccount: sub.subaccount,
      size,
      bidderBuys: slice > 0n,
      startPrice: market.oraclePrice,
      startTime: env.time,
      resets: 0,
      terms: termsOf(cfg),
      asset: 0,
    }
    events.push(open(state, auction, dirty))
  }
  collateralAuctions(state, sub, env, live, cfg.maxNotionalPerBlockPerAccount - accountSpent, dirty, events)
  return events
}

function open(state: State, auction: Auction, dirty: Dirty): TxEvent {
  state.global.nextAuctionId += 1n
  dirty.global = true
  addAuction(state, auction)
  dirty.auctions.add(auction.id)
  return {
    type: 'auctionStarted',
    auctionId: auction.id,
    market: auction.market,
    asset: auction.asset,
    address: auction.address,
    subaccount: auction.subaccount,
    size: auction.size,
    bidderBuys: auction.bidderBuys,
    startPrice: auction.startPrice,
  }
}

/**
 * A liquidated subaccount whose liabilities only its non-USD collateral backs — debt = Σ haircut asset value −
 * equity > 0, i.e. USDC and positions (with funding) sum below zero — sells, by asset id, what covers that debt
 * and the penalty at the oracle price: ceil(debt × (PPM + penaltyPpm) / PPM) USDC worth, in the asset's units
 * (rounded up), at most what it holds and within the account's per-block room; one live auction per asset.
 * Returns the notional it put up for auction.
 */
function collateralAuctions(
  state: State,
  sub: Subaccount,
  env: BlockEnv,
  live: readonly Auction[],
  room: bigint,
  dirty: Dirty,
  events: TxEvent[],
): bigint {
  const cfg = state.risk.liquidation
  let debt = assetsMarginValue(state, sub) - equity(state, sub)
  let used = 0n
  for (const [id, held] of [...sub.assets].sort(([a], [b]) => a - b)) {
    if (debt <= 0n || held <= 0n || live.some((a) => a.asset === id)) continue
    const asset = state.assets[id - 1] as CollateralAsset
    const market = state.markets[asset.priceMarket] as Market
    if (isStale(state, market, env.time)) continue
    const unit = 10n ** BigInt(asset.decimals + market.priceDecimals)
    const want = (debt * (PPM + cfg.penaltyPpm) + PPM - 1n) / PPM
    const cap = room - used < want ? room - used : want
    if (cap <= 0n) break
    const needed = (cap * unit + market.oraclePrice * 10n ** 6n - 1n) / (market.oraclePrice * 10n ** 6n)
    const size = needed < held ? needed : held
    const value = assetValue(state, asset, size, false)
    used += value
    debt -= value
    const auction: Auction = {
      id: state.global.nextAuctionId,
      market: asset.priceMarket,
      asset: id,
      address: sub.address,
      subaccount: sub.subaccount,
      size,
      bidderBuys: true,
      startPrice: market.oraclePrice,
      startTime: env.time,
      resets: 0,
      terms: termsOf(cfg),
    }
    events.push(open(state, auction, dirty))
  }
  return used
}

function cancelAllOrders(state: State, sub: Subaccount, dirty: Dirty): TxEvent[] {
  const ids = [...sub.openOrders].sort((a, b) => (a < b ? -1 : 1))
  return ids.map((id) => {
    const order = state.orders.get(id) as RestingOrder
    dropOrder(state, order, dirty)
    return { type: 'orderCanceled', market: order.market, orderId: id, reason: 'liquidation' } as const
  })
}

/** Step 1 of the module comment, before the block's transactions: bids then meet only auctions above bankruptcy. */
export function auctionStep(state: State, env: BlockEnv, dirty: Dirty): TxEvent[] {
  const events: TxEvent[] = []
  advanceAuctions(state, env, dirty, events)
  return events
}

/** Step 2 of the module comment. `liquidatable`: ids with equity < maintenance margin (atRisk.ts). */
export function liquidationStep(state: State, env: BlockEnv, dirty: Dirty, liquidatable: readonly string[]): TxEvent[] {
  const events: TxEvent[] = []
  const fundId = insuranceFundId()
  const queue: { id: string; sub: Subaccount; e: bigint; mm: bigint }[] = []
  for (const id of liquidatable) {
    const sub = state.subaccounts.get(id)
    if (id === fundId || sub === undefined) continue
    let stale = false
    for (const m of sub.positions.keys()) if (isStale(state, state.markets[m] as Market, env.time)) stale = true
    if (stale) continue
    const e = equity(state, sub)
    const mm = maintenanceMargin(state, sub)
    // mm = 0 for an account with no position: one whose USDC debt its non-USD collateral no longer covers
    if (e < mm) queue.push({ id, sub, e, mm: mm > 0n ? mm : 1n })
  }
  // lowest equity / maintenance first (compared exactly: e₁ × mm₂ < e₂ × mm₁; mm > 0 here), ties by id
  queue.sort((a, b) => {
    const left = a.e * b.mm
    const right = b.e * a.mm
    if (left !== right) return left < right ? -1 : 1
    return a.id < b.id ? -1 : 1
  })
  const spent = new Map<number, bigint>()
  for (const { sub } of queue) {
    events.push(...cancelAllOrders(state, sub, dirty))
    if (equity(state, sub) <= 0n) events.push(...backstop(state, sub, dirty))
    else events.push(...startAuctions(state, sub, env, spent, dirty))
  }
  return events
}
