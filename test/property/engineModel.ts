/**
 * Model-based property run of the engine: random command sequences (orders of every kind, cancels, oracle moves
 * including one-block gaps of 50%, time jumps that trigger funding, transfers, withdrawals) applied in blocks.
 * After every block the invariants are checked by full scans written here, independently of the engine's own
 * incremental checks:
 * - collateral is conserved: Σ collateral + fee pool + pending withdrawals + insurance + Σ funding balances is
 *   what genesis started with;
 * - per market, long open interest = short open interest = Σ long sizes = Σ |short sizes| over all positions;
 * - no book is crossed, every level's total is the sum of its orders, every resting order is on the lot and
 *   indexed by its owner;
 * - a subaccount with no position, order or asset holds collateral ≥ 0 (no bad debt without a liquidation);
 * - liquidations (accounts 4 and 5 trade at up to 20×; liquidators bid on live auctions): no subaccount but the
 *   fund is committed with negative equity unless its market's oracle is stale, and auctions back positions;
 * - every subaccount's initial margin with orders (the engine keeps what its resting orders add in a memo that
 *   survives price changes) equals the formula of docs/risk-model.md computed here from a walk of all orders;
 * - a twin state fed the same blocks, and a state rebuilt from leaves midway, commit to the same root.
 */
import fc from 'fast-check'
import type { Address, State, VerifiedTx } from '../../engine/index.ts'
import {
  allLeaves,
  applyBlock,
  auctionPrice,
  equity,
  fractionsInForce,
  genesisState,
  initialMarginWithOrders,
  insuranceFundId,
  leafWrites,
  parseGenesis,
  stateFromLeaves,
  tieredRequirement,
} from '../../engine/index.ts'
import { MerkleState, toHex } from '../../state/index.ts'
import { ACCOUNTS, GENESIS_TIME, genesisJson, SIGNERS } from '../unit/helpers/engineFixtures.ts'

export type Command =
  | {
      k: 'order'
      a: number
      m: number
      buy: boolean
      ticks: number
      lots: number
      tif: number
      post: boolean
      ro: boolean
      exp: number
    }
  | { k: 'cancel'; a: number; m: number; back: number }
  | { k: 'cancelAll'; a: number; m: number }
  | { k: 'oracle'; m: number; ppm: number; signers: number }
  | { k: 'time'; ms: number }
  | { k: 'transfer'; a: number; usdc: number; out: boolean }
  | { k: 'withdraw'; a: number; usdc: number }
  | { k: 'bid'; a: number; pick: number; lots: number; ticks: number }

const account = fc.integer({ min: 0, max: 5 })
const market = fc.integer({ min: 0, max: 1 })

export const commandArb: fc.Arbitrary<Command> = fc.oneof(
  {
    weight: 12,
    arbitrary: fc.record({
      k: fc.constant('order' as const),
      a: account,
      m: market,
      buy: fc.boolean(),
      ticks: fc.integer({ min: -60, max: 60 }),
      lots: fc.integer({ min: 1, max: 400 }),
      tif: fc.integer({ min: 0, max: 2 }),
      post: fc.boolean(),
      ro: fc.boolean(),
      exp: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 5000 })),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      k: fc.constant('cancel' as const),
      a: account,
      m: market,
      back: fc.integer({ min: 0, max: 8 }),
    }),
  },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('cancelAll' as const), a: account, m: market }) },
  {
    weight: 3,
    arbitrary: fc.record({
      k: fc.constant('oracle' as const),
      m: market,
      ppm: fc.oneof(
        { weight: 10, arbitrary: fc.integer({ min: -20_000, max: 20_000 }) },
        { weight: 1, arbitrary: fc.constantFrom(-500_000, 500_000) },
      ),
      signers: fc.integer({ min: 2, max: 3 }),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      k: fc.constant('time' as const),
      ms: fc.oneof(fc.integer({ min: 0, max: 5000 }), fc.constant(3_600_000)),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      k: fc.constant('transfer' as const),
      a: account,
      usdc: fc.integer({ min: 1, max: 300_000 }),
      out: fc.boolean(),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      k: fc.constant('bid' as const),
      a: account,
      pick: fc.nat(),
      lots: fc.integer({ min: 1, max: 400 }),
      ticks: fc.integer({ min: -5, max: 5 }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      k: fc.constant('withdraw' as const),
      a: account,
      usdc: fc.integer({ min: 1, max: 300_000 }),
    }),
  },
)

const USDC = 1_000_000n

function total(state: State): bigint {
  const g = state.global
  let sum = g.feePool + g.pendingWithdrawals
  for (const m of state.markets) sum += m.fundingBalance
  for (const s of state.subaccounts.values()) sum += s.collateral
  return sum
}

function root(state: State): string {
  const m = new MerkleState()
  m.apply(allLeaves(state))
  return toHex(m.root())
}

export function checkInvariantsByScan(state: State, expectedTotal: bigint): void {
  if (total(state) !== expectedTotal) throw new Error(`conservation: ${total(state)} ≠ ${expectedTotal}`)
  for (const m of state.markets) {
    let long = 0n
    let short = 0n
    for (const s of state.subaccounts.values()) {
      const size = s.positions.get(m.id)?.size ?? 0n
      if (size > 0n) long += size
      else short -= size
    }
    if (long !== m.longOpenInterest || short !== m.shortOpenInterest || long !== short)
      throw new Error(
        `open interest of ${m.symbol}: scan ${long}/${short}, market ${m.longOpenInterest}/${m.shortOpenInterest}`,
      )
    const book = state.books[m.id]
    const bid = book?.bids[0]?.price
    const ask = book?.asks[0]?.price
    if (bid !== undefined && ask !== undefined && bid >= ask) throw new Error(`${m.symbol} book crossed`)
    for (const level of [...(book?.bids ?? []), ...(book?.asks ?? [])]) {
      let sum = 0n
      for (const o of level.orders) sum += o.size
      if (sum !== level.size || level.orders.length === 0)
        throw new Error(`${m.symbol} level ${level.price} total ${level.size} ≠ ${sum}`)
    }
  }
  for (const o of state.orders.values()) {
    const m = state.markets[o.market]
    if (m === undefined || o.size <= 0n || o.size % m.lotSize !== 0n) throw new Error(`bad resting order ${o.id}`)
    if (!state.subaccounts.get(`${o.address}:${o.subaccount}`)?.openOrders.has(o.id))
      throw new Error(`order ${o.id} not indexed`)
  }
  for (const s of state.subaccounts.values()) {
    const flat = s.positions.size === 0 && s.openOrders.size === 0 && [...s.assets.values()].every((a) => a === 0n)
    if (flat && s.collateral < 0n)
      throw new Error(`${s.address}:${s.subaccount} is flat with collateral ${s.collateral}`)
  }
}

const ceilDiv = (a: bigint, b: bigint): bigint => (a + b - 1n) / b // a ≥ 0, b > 0

/**
 * Initial margin with orders from a walk of every resting order (docs/risk-model.md): per market of a position or
 * an order, worst = max(|size + open buys|, |size − open sells|), notional = ceil(worst × oracle / quoteDivisor),
 * its tiered initial requirement; plus per order priced worse than the oracle ceil(|price − oracle| × size /
 * quoteDivisor).
 */
function initialMarginByWalk(state: State): Map<string, bigint> {
  const open = new Map<string, { buys: Map<number, bigint>; sells: Map<number, bigint>; adverse: bigint }>()
  for (const o of state.orders.values()) {
    const id = `${o.address}:${o.subaccount}`
    const e = open.get(id) ?? { buys: new Map(), sells: new Map(), adverse: 0n }
    open.set(id, e)
    const side = o.isBuy ? e.buys : e.sells
    side.set(o.market, (side.get(o.market) ?? 0n) + o.size)
    const m = state.markets[o.market] as NonNullable<State['markets'][0]>
    const worse = o.isBuy ? o.price - m.oraclePrice : m.oraclePrice - o.price
    if (worse > 0n) e.adverse += ceilDiv(worse * o.size, m.quoteDivisor)
  }
  const out = new Map<string, bigint>()
  for (const [id, s] of state.subaccounts) {
    const e = open.get(id) ?? { buys: new Map<number, bigint>(), sells: new Map<number, bigint>(), adverse: 0n }
    let total = e.adverse
    for (const m of state.markets) {
      const size = s.positions.get(m.id)?.size ?? 0n
      const buys = e.buys.get(m.id) ?? 0n
      const sells = e.sells.get(m.id) ?? 0n
      if (size === 0n && buys === 0n && sells === 0n) continue
      const a = size + buys < 0n ? -(size + buys) : size + buys
      const b = size - sells < 0n ? -(size - sells) : size - sells
      const worst = a > b ? a : b
      total += tieredRequirement(fractionsInForce(m), ceilDiv(worst * m.oraclePrice, m.quoteDivisor), 'initial')
    }
    out.set(id, total)
  }
  return out
}

export function checkInitialMargins(state: State): void {
  for (const [id, expected] of initialMarginByWalk(state)) {
    const got = initialMarginWithOrders(
      state,
      state.subaccounts.get(id) as NonNullable<ReturnType<State['subaccounts']['get']>>,
    )
    if (got !== expected) throw new Error(`initial margin of ${id}: engine ${got}, walk ${expected}`)
  }
}

/**
 * After a block, no subaccount but the insurance fund is left with negative equity, unless it holds a position
 * in a market whose oracle is stale (no liquidation on a stale price): the pipeline took every other one out.
 * Every live auction backs a position of its account on the auctioned side, or collateral it still holds.
 */
export function checkLiquidationOutcome(state: State, time: bigint): void {
  const fund = insuranceFundId()
  for (const [id, s] of state.subaccounts) {
    if (id === fund || equity(state, s) >= 0n) continue
    const stale = [...s.positions.keys()].some(
      (m) => time - (state.markets[m] as NonNullable<State['markets'][0]>).oracleTime > state.oracle.maxPriceAgeMs,
    )
    if (!stale) throw new Error(`${id} committed with equity ${equity(state, s)} outside the pipeline`)
  }
  for (const a of state.auctions.values()) {
    const sub = state.subaccounts.get(`${a.address}:${a.subaccount}`)
    if (a.asset !== 0) {
      const held = sub?.assets.get(a.asset) ?? 0n
      if (a.size <= 0n || held <= 0n) throw new Error(`collateral auction ${a.id} of ${a.size}: only ${held} held`)
      continue
    }
    const size = sub?.positions.get(a.market)?.size ?? 0n
    if (a.size <= 0n || (a.bidderBuys ? size <= 0n : size >= 0n))
      throw new Error(`auction ${a.id} of ${a.size} backs no position (${size})`)
  }
}

export interface ModelBlock {
  time: bigint
  height: bigint
  txs: VerifiedTx[]
}

/**
 * Turns commands into transactions against the live `state` (order prices follow its oracle price), one block
 * of up to `blockSize` commands at a time.
 */
export class ModelDriver {
  readonly #state: State
  #time = GENESIS_TIME + 1000n
  #height = 0n
  #nonce = 0n
  #hash = 0
  readonly #clientIds = new Map<string, bigint[]>()
  readonly #prices: bigint[]

  constructor(state: State) {
    this.#state = state
    this.#prices = state.markets.map((m) => m.oraclePrice)
  }

  #digest(): Uint8Array {
    const h = new Uint8Array(32)
    new DataView(h.buffer).setUint32(28, ++this.#hash)
    return h
  }

  next(commands: readonly Command[]): ModelBlock {
    const state = this.#state
    const txs: VerifiedTx[] = []
    let reportTime = this.#time
    for (const c of commands) {
      if (c.k === 'time') {
        this.#time += BigInt(c.ms)
        continue
      }
      if (c.k === 'oracle') {
        const p = this.#prices[c.m] as bigint
        const moved = p + (p * BigInt(c.ppm)) / 1_000_000n
        this.#prices[c.m] = moved > 0n ? moved : p
        reportTime += 1n
        for (let i = 0; i < c.signers; i++) {
          const s = SIGNERS[i] as Address
          const prices = [this.#prices[c.m] as bigint]
          txs.push({
            kind: 'oracleReport',
            message: { signer: s, timestamp: reportTime, markets: [c.m], prices },
            hash: this.#digest(),
            signer: s,
          })
        }
        continue
      }
      const a = ACCOUNTS[c.a] as Address
      this.#nonce += 1n
      const nonce = this.#nonce
      if (c.k === 'order') {
        const m = state.markets[c.m] as NonNullable<State['markets'][0]>
        const ref = (m.oraclePrice / m.tickSize) * m.tickSize
        const price = ref + BigInt(c.ticks) * m.tickSize * 10n
        const key = `${a}:${c.m}`
        this.#clientIds.set(key, [...(this.#clientIds.get(key) ?? []).slice(-8), nonce])
        txs.push({
          kind: 'order',
          message: {
            account: a,
            subaccount: 0,
            market: c.m,
            isBuy: c.buy,
            price: price > 0n ? price : m.tickSize,
            size: m.lotSize * BigInt(c.lots),
            timeInForce: c.tif,
            reduceOnly: c.ro,
            postOnly: c.post && c.tif === 0,
            clientId: nonce,
            nonce,
            expiresAt: c.exp === 0 ? 0n : this.#time + BigInt(c.exp),
          },
          hash: this.#digest(),
          signer: a,
        })
      } else if (c.k === 'cancel') {
        const ids = this.#clientIds.get(`${a}:${c.m}`) ?? []
        const clientId = ids[ids.length - 1 - c.back] ?? 0n
        txs.push({
          kind: 'cancel',
          message: { account: a, subaccount: 0, market: c.m, clientId, nonce },
          hash: this.#digest(),
          signer: a,
        })
      } else if (c.k === 'cancelAll') {
        txs.push({
          kind: 'cancelAll',
          message: { account: a, subaccount: 0, market: c.m, nonce },
          hash: this.#digest(),
          signer: a,
        })
      } else if (c.k === 'transfer') {
        const [from, to] = c.out ? [0, 1] : [1, 0]
        const amount = BigInt(c.usdc) * USDC
        txs.push({
          kind: 'transfer',
          message: { account: a, fromSubaccount: from, toSubaccount: to, amount, nonce },
          hash: this.#digest(),
          signer: a,
        })
      } else if (c.k === 'bid') {
        // a liquidator's bid on a live auction, its limit a few ticks either side of the price at the last block
        const auctions = [...state.auctions.values()].sort((x, y) => (x.id < y.id ? -1 : 1))
        const a0 = auctions[c.pick % Math.max(auctions.length, 1)]
        if (a0 === undefined) continue
        const m = state.markets[a0.market] as NonNullable<State['markets'][0]>
        const limit = auctionPrice(m, a0, this.#time) + BigInt(c.ticks) * m.tickSize
        txs.push({
          kind: 'auctionBid',
          message: {
            account: a,
            subaccount: 0,
            auctionId: a0.id,
            size: m.lotSize * BigInt(c.lots),
            limitPrice: limit > 0n ? limit : m.tickSize,
            nonce,
          },
          hash: this.#digest(),
          signer: a,
        })
      } else {
        const amount = BigInt(c.usdc) * USDC
        txs.push({
          kind: 'withdraw',
          message: { account: a, subaccount: 0, recipient: a, amount, nonce },
          hash: this.#digest(),
          signer: a,
        })
      }
    }
    this.#height += 1n
    this.#time = (reportTime > this.#time ? reportTime : this.#time) + 250n
    return { time: this.#time, height: this.#height, txs }
  }
}

/**
 * The devnet genesis with accounts 4 and 5 holding 2,000 USDC instead of 1,000,000 (and 1 WETH and no WETH
 * instead of 10): orders of up to 0.4 BTC ($24,000) reach the 20× limit, so oracle moves liquidate them and the
 * whole pipeline runs.
 */
export function modelGenesisJson(): Record<string, unknown> {
  const json = genesisJson()
  const accounts = json.accounts as { address: string; collateral: string; assets?: Record<string, string> }[]
  for (const i of [4, 5]) {
    const a = accounts.find((x) => x.address.toLowerCase() === ACCOUNTS[i])
    if (a === undefined) continue
    a.collateral = (2_000n * USDC).toString()
    // account 4 keeps 1 WETH (18 decimals), so takeovers move non-USD collateral too; account 5 holds none
    a.assets = i === 4 ? { '1': (10n ** 18n).toString() } : {}
  }
  return json
}

export function modelGenesis(): State {
  return genesisState(parseGenesis(modelGenesisJson()))
}

/** The blocks a command sequence makes (applied to a fresh genesis state while building). */
export function commandsToBlocks(commands: readonly Command[], blockSize: number): ModelBlock[] {
  const state = modelGenesis()
  const driver = new ModelDriver(state)
  const blocks: ModelBlock[] = []
  for (let at = 0; at < commands.length; at += blockSize) {
    const block = driver.next(commands.slice(at, at + blockSize))
    applyBlock(state, { txs: block.txs }, { time: block.time, height: block.height })
    blocks.push(block)
  }
  return blocks
}

/** Runs commands in blocks of `blockSize`, checking the invariants after every block; returns the block count. */
export function runModel(commands: readonly Command[], blockSize: number): number {
  const state = modelGenesis()
  let twin = modelGenesis()
  const start = total(state)
  const merkle = new MerkleState()
  merkle.apply(allLeaves(state))
  const driver = new ModelDriver(state)
  let blocks = 0
  for (let at = 0; at < commands.length; at += blockSize) {
    const { txs, time, height } = driver.next(commands.slice(at, at + blockSize))
    const env = { time, height }
    const result = applyBlock(state, { txs }, env)
    merkle.apply(leafWrites(state, result.dirty))
    applyBlock(twin, { txs }, env)
    checkInvariantsByScan(state, start)
    checkLiquidationOutcome(state, time)
    checkInitialMargins(state)
    blocks++
    if (blocks % 50 === 0) {
      const r = toHex(merkle.root())
      if (r !== root(state)) throw new Error(`incremental root ${r} ≠ full root at block ${blocks}`)
      if (root(twin) !== r) throw new Error(`twin diverged at block ${blocks}`)
      // continue the twin from the leaves alone, as a restarted node would
      twin = stateFromLeaves(allLeaves(twin).flatMap((w) => (w.value === null ? [] : [[w.key, w.value] as const])))
    }
  }
  if (root(twin) !== toHex(merkle.root())) throw new Error('twin diverged at the end')
  return blocks
}
