/**
 * @module The matching benchmark's seeded order stream and the two books it is fed to: perpd's matching core
 * (engine book.ts + matching.ts: price-time priority, partial fills, self-trade prevention, cancels; no margin,
 * no settlement) and nodejs-order-book. Both report their trades in one form, so the benchmark can check they
 * agree before it times them.
 *
 * Units: the stream is in BTC-USD ticks and lots (integers). perpd's side works in its own bigint price and
 * size units (ticks × tickSize, lots × lotSize); nodejs-order-book takes the tick and lot counts as JS numbers
 * (below 2^53, so its arithmetic on them is exact).
 */
import type { RestingOrder } from '../engine/index.ts'
import { emptyBook, insertOrder, planMatch, reduceOrder, removeOrder, seededRandom } from '../engine/index.ts'

/** Devnet BTC-USD: tick 10^7 price units (0.1 USD), lot 1,000 size units (0.001 BTC), oracle 600,000 ticks. */
export const TICK = 10_000_000n
export const LOT = 1_000n
export const MID_TICKS = 600_000

/** One operation of the stream; `seq` is its position, also the order's id and clientId. */
export type StreamOp =
  | { kind: 'limit'; seq: number; account: number; isBuy: boolean; ticks: number; lots: number }
  | { kind: 'market'; seq: number; account: number; isBuy: boolean; lots: number }
  | { kind: 'cancel'; seq: number; account: number; target: number }

/** A trade in the stream's terms: the taker's and maker's seq, price in ticks, size in lots. */
export type Trade = [taker: number, maker: number, ticks: number, lots: number]

export const accountAddress = (i: number): `0x${string}` => `0x${(i + 1).toString(16).padStart(40, '0')}`

/** A stream operation in perpd's terms, made before timing (as nodejs-order-book's option objects are). */
export type CoreOp =
  | { kind: 'cancel'; id: bigint }
  | { kind: 'limit' | 'market'; id: bigint; taker: Parameters<typeof planMatch>[1] }

const addresses: `0x${string}`[] = []

export function toCoreOp(op: StreamOp): CoreOp {
  if (op.kind === 'cancel') return { kind: 'cancel', id: BigInt(op.target) }
  addresses[op.account] ??= accountAddress(op.account)
  const address = addresses[op.account] as `0x${string}`
  const price = op.kind === 'limit' ? BigInt(op.ticks) * TICK : op.isBuy ? BigInt(MID_TICKS * 2) * TICK : TICK
  const taker = { address, subaccount: 0, isBuy: op.isBuy, price, size: BigInt(op.lots) * LOT }
  return { kind: op.kind, id: BigInt(op.seq), taker }
}

/**
 * perpd's matching core alone: planMatch on an engine Book, then the plan applied the way executeOrder does
 * it (self-trade cancels first, then fills in plan order, then the remainder rests), with an id → order map
 * for cancels — what nodejs-order-book keeps too. Market orders are IOC with a far limit (DESIGN §3: a market
 * order is an IOC whose limit price is its slippage bound).
 */
type MatchPlan = ReturnType<typeof planMatch>

export class CoreBook {
  readonly book = emptyBook()
  readonly orders = new Map<bigint, RestingOrder>()

  /** Applies one operation; returns the plan (undefined for a cancel). */
  apply(op: CoreOp): MatchPlan | undefined {
    if (op.kind === 'cancel') {
      const order = this.orders.get(op.id)
      if (order !== undefined) {
        removeOrder(this.book, order)
        this.orders.delete(order.id)
      }
      return undefined
    }
    const { taker } = op
    const plan = planMatch(this.book, taker)
    for (const x of plan.selfTradeCanceled) {
      removeOrder(this.book, x)
      this.orders.delete(x.id)
    }
    for (const { order, size } of plan.fills) {
      reduceOrder(this.book, order, size)
      order.size -= size
      if (order.size === 0n) {
        removeOrder(this.book, order)
        this.orders.delete(order.id)
      }
    }
    if (op.kind === 'limit' && plan.remaining > 0n) {
      const resting: RestingOrder = {
        id: op.id,
        market: 0,
        address: taker.address,
        subaccount: 0,
        isBuy: taker.isBuy,
        price: taker.price,
        size: plan.remaining,
        clientId: op.id,
        reduceOnly: false,
        expiresAt: 0n,
      }
      insertOrder(this.book, resting)
      this.orders.set(op.id, resting)
    }
    return plan
  }
}

/** The trades of one plan in the stream's terms. */
export function planTrades(seq: number, plan: MatchPlan): Trade[] {
  return plan.fills.map(({ order, size }) => [seq, Number(order.id), Number(order.price / TICK), Number(size / LOT)])
}

export interface StreamShape {
  ops: number
  accounts: number
  seed: number
}

/**
 * The stream: ~70% limit orders (both sides; most rest within ~200 ticks of a drifting mid, ~7% cross by up to
 * 3 ticks), ~25% cancels of orders live at that point, ~5% market orders; 1–10 lots. Which orders are live is
 * known by running the stream on a CoreBook while generating it (the fills are checked against
 * nodejs-order-book afterwards, so this does not favour either side).
 */
export function makeStream({ ops, accounts, seed }: StreamShape): StreamOp[] {
  const rand = seededRandom(seed)
  const core = new CoreBook()
  const live: number[] = []
  const out: StreamOp[] = []
  let mid = MID_TICKS
  for (let seq = 0; seq < ops; seq++) {
    if (rand() < 0.05) mid += rand() < 0.5 ? -1 : 1
    const roll = rand()
    let op: StreamOp | undefined
    if (roll < 0.25) {
      // a random live order (dropping entries that have filled meanwhile)
      while (live.length > 0 && op === undefined) {
        const at = Math.floor(rand() * live.length)
        const target = live[at] as number
        live[at] = live[live.length - 1] as number
        live.pop()
        const order = core.orders.get(BigInt(target))
        if (order !== undefined) op = { kind: 'cancel', seq, account: accountIndex(order.address), target }
      }
    }
    const account = Math.floor(rand() * accounts)
    const isBuy = rand() < 0.5
    const lots = 1 + Math.floor(rand() * 10)
    if (op === undefined && roll > 0.95) op = { kind: 'market', seq, account, isBuy, lots }
    if (op === undefined) {
      // distance from the mid on the order's own side, in ticks: negative crosses
      const away = Math.floor(rand() * rand() * 200) - 3
      const ticks = isBuy ? mid - away : mid + away
      op = { kind: 'limit', seq, account, isBuy, ticks, lots }
      live.push(seq)
    }
    core.apply(toCoreOp(op))
    out.push(op)
  }
  return out
}

function accountIndex(address: string): number {
  return Number.parseInt(address.slice(2), 16) - 1
}
