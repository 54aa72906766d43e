/**
 * Determinism of the state transition: a seeded pseudo-random sequence of blocks (orders of every kind, cancels,
 * oracle reports, bad transactions) applied to independent states gives byte-identical Merkle roots after every
 * block, and a state rebuilt from its leaves midway continues on the same roots.
 *
 * Roots are committed the way node/chain.ts does it: a MerkleState seeded with allLeaves(genesis), then
 * leafWrites(state, result.dirty) after each block.
 */
import { describe, expect, it } from 'vitest'
import type { Address, BlockResult, State, TxEvent, VerifiedTx } from '../../engine/index.ts'
import { allLeaves, applyBlock, leafWrites, seededRandom, stateFromLeaves } from '../../engine/index.ts'
import { MerkleState, toHex } from '../../state/index.ts'
import {
  ACCOUNTS,
  addr,
  BTC_60000,
  leafMap,
  orderMsg,
  orderTx,
  printable,
  rootOf,
  run,
  SIGNERS,
  stateFromGenesisFile,
  stateWithAccounts,
  subOf,
  T0,
} from './helpers/engineFixtures.ts'

const mulberry32 = seededRandom

interface GenBlock {
  time: bigint
  height: bigint
  txs: VerifiedTx[]
}

const BLOCKS = 50
const MARKETS = [
  { tick: 10_000_000n, lot: 1000n, refTicks: 600_000 }, // BTC $60,000
  { tick: 1_000_000n, lot: 10_000n, refTicks: 300_000 }, // ETH $3,000
] as const

/**
 * The block sequence for a seed. It depends on nothing but the seed (not on any state), and every call builds
 * fresh objects, so two runs share no data.
 */
function generateBlocks(seed: number): GenBlock[] {
  const rng = mulberry32(seed)
  const int = (lo: number, hi: number): number => lo + Math.floor(rng() * (hi - lo + 1))
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rng() * xs.length)] as T
  const traders: Address[] = [...ACCOUNTS.slice(0, 6), addr(0x66)] // the last one has no collateral
  const nonces = new Map<Address, bigint>()
  const ref: number[] = MARKETS.map((m) => m.refTicks)
  let hashes = 0
  const hash = (): Uint8Array => {
    hashes += 1
    const h = new Uint8Array(32)
    new DataView(h.buffer).setUint32(0, seed)
    new DataView(h.buffer).setUint32(28, hashes)
    return h
  }
  const nextNonce = (a: Address): bigint => {
    const n = (nonces.get(a) ?? 0n) + 1n
    nonces.set(a, n)
    // now and then reuse the previous nonce (a replay)
    return rng() < 0.03 && n > 1n ? n - 1n : n
  }

  const blocks: GenBlock[] = []
  for (let b = 0; b < BLOCKS; b++) {
    const time = T0 + BigInt(b) * 250n
    for (let m = 0; m < ref.length; m++) ref[m] = (ref[m] as number) + int(-3, 3)
    const txs: VerifiedTx[] = []
    const count = int(2, 12)
    for (let i = 0; i < count; i++) {
      const r = rng()
      const account = pick(traders)
      const signer = rng() < 0.03 ? pick(traders) : account // a few with the wrong signer
      const market = int(0, 1)
      const mp = MARKETS[market] as (typeof MARKETS)[number]
      if (r < 0.15) {
        const reporter = pick(SIGNERS)
        const ms = pick([[0], [1], [0, 1]] as const)
        const prices = ms.map((id) => {
          const base = BigInt(ref[id] as number) * (MARKETS[id] as (typeof MARKETS)[number]).tick
          return base + BigInt(int(-5_000_000, 5_000_000)) // off-tick on purpose: oracle prices need no tick
        })
        txs.push({
          kind: 'oracleReport',
          message: { signer: reporter, timestamp: time - BigInt(int(0, 3000)), markets: [...ms], prices },
          hash: hash(),
          signer: reporter,
        })
      } else if (r < 0.7) {
        const tifRoll = rng()
        const timeInForce = tifRoll < 0.6 ? 0 : tifRoll < 0.85 ? 1 : 2
        let price = BigInt((ref[market] as number) + int(-30, 30)) * mp.tick
        let size = BigInt(int(1, 20)) * mp.lot
        if (rng() < 0.02) price += 1n // off tick
        if (rng() < 0.02) size += 1n // off lot
        txs.push({
          kind: 'order',
          message: {
            account,
            subaccount: 0,
            market,
            isBuy: rng() < 0.5,
            price,
            size,
            timeInForce,
            reduceOnly: timeInForce !== 0 && rng() < 0.15,
            postOnly: timeInForce === 0 && rng() < 0.1,
            clientId: BigInt(int(1, 40)),
            nonce: nextNonce(account),
            expiresAt: rng() < 0.2 ? time + BigInt(int(1, 2000)) : 0n,
          },
          hash: hash(),
          signer,
        })
      } else if (r < 0.9) {
        txs.push({
          kind: 'cancel',
          message: { account, subaccount: 0, market, clientId: BigInt(int(1, 40)), nonce: nextNonce(account) },
          hash: hash(),
          signer,
        })
      } else {
        txs.push({
          kind: 'cancelAll',
          message: { account, subaccount: 0, market, nonce: nextNonce(account) },
          hash: hash(),
          signer,
        })
      }
    }
    blocks.push({ time, height: BigInt(b + 1), txs })
  }
  return blocks
}

class Run {
  readonly state: State
  readonly merkle = new MerkleState()
  constructor(state: State) {
    this.state = state
    this.merkle.apply(allLeaves(state))
  }
  apply(block: GenBlock): { result: BlockResult; root: string } {
    const result = applyBlock(this.state, { txs: block.txs }, { time: block.time, height: block.height })
    this.merkle.apply(leafWrites(this.state, result.dirty))
    return { result, root: toHex(this.merkle.root()) }
  }
}

/** Per market, per side, the order ids level by level, best first and in queue order. */
function bookIds(state: State): bigint[][][][] {
  return state.books.map((b) => [b.bids, b.asks].map((side) => side.map((l) => l.orders.map((o) => o.id))))
}

function rebuilt(state: State): State {
  return stateFromLeaves(allLeaves(state).flatMap((w) => (w.value === null ? [] : [[w.key, w.value] as const])))
}

describe('determinism over a seeded block sequence', () => {
  it('the generator itself is deterministic', () => {
    expect(printable(generateBlocks(7))).toBe(printable(generateBlocks(7)))
    expect(printable(generateBlocks(7))).not.toBe(printable(generateBlocks(8)))
  })

  it.each([1, 42, 20_240_601])('seed %i: two runs and a run rebuilt from leaves midway agree on every root', (seed) => {
    const a = new Run(stateFromGenesisFile())
    const b = new Run(stateFromGenesisFile())
    const blocksA = generateBlocks(seed)
    const blocksB = generateBlocks(seed)
    const blocksC = generateBlocks(seed)
    const half = BLOCKS / 2
    let c: Run | undefined
    const stats = { ok: 0, rejected: new Set<string>(), fills: 0, placed: 0, canceled: new Set<string>(), prices: 0 }

    expect(toHex(a.merkle.root())).toBe(toHex(b.merkle.root()))
    for (let i = 0; i < BLOCKS; i++) {
      if (i === half) {
        c = new Run(rebuilt(a.state))
        // the rebuilt state hashes to the same root as the live one
        expect(toHex(c.merkle.root())).toBe(toHex(a.merkle.root()))
        expect(leafMap(c.state)).toEqual(leafMap(a.state))
        // the books are not leaves: they are rebuilt, and must come back in the same price-time order
        expect(bookIds(c.state)).toEqual(bookIds(a.state))
      }
      const ra = a.apply(blocksA[i] as GenBlock)
      const rb = b.apply(blocksB[i] as GenBlock)
      expect(rb.root, `block ${i}: run B root`).toBe(ra.root)
      expect(printable(rb.result.receipts)).toBe(printable(ra.result.receipts))
      expect(printable(rb.result.events)).toBe(printable(ra.result.events))
      // the incremental commitment (leafWrites of the dirty set) equals a full recomputation
      expect(rootOf(a.state), `block ${i}: incremental vs full root`).toBe(ra.root)
      if (c !== undefined) {
        const rc = c.apply(blocksC[i] as GenBlock)
        expect(rc.root, `block ${i}: rebuilt run root`).toBe(ra.root)
        expect(printable(rc.result.receipts)).toBe(printable(ra.result.receipts))
      }

      for (const r of ra.result.receipts) {
        if (r.ok) stats.ok++
        else stats.rejected.add(r.code ?? '?')
        for (const e of r.events) {
          if (e.type === 'fill') stats.fills++
          if (e.type === 'orderPlaced') stats.placed++
          if (e.type === 'orderCanceled') stats.canceled.add(e.reason)
        }
      }
      stats.prices += ra.result.events.length
    }
    // the sequence exercised what it is meant to (otherwise equal roots would prove little)
    expect(stats.fills).toBeGreaterThan(10)
    expect(stats.placed).toBeGreaterThan(10)
    expect(stats.prices).toBeGreaterThan(0)
    expect(stats.canceled.has('user')).toBe(true)
    expect(stats.canceled.has('unfilled')).toBe(true)
    expect(stats.rejected.size).toBeGreaterThan(3)
  })
})

describe('a state rebuilt from its leaves', () => {
  it('keeps time priority within a price level', () => {
    const [A, B, C] = ACCOUNTS as [Address, Address, Address]
    const live = stateFromGenesisFile()
    run(live, [
      orderTx(orderMsg(C, { isBuy: false, price: BTC_60000, size: 1000n })), // id 1, first in the queue
      orderTx(orderMsg(B, { isBuy: false, price: BTC_60000, size: 1000n })), // id 2
    ])
    const copy = rebuilt(live)
    expect(bookIds(copy)).toEqual([
      [[], [[1n, 2n]]],
      [[], []],
    ])
    // in both, a buy of 1000 fills C's order (id 1), not B's
    for (const s of [live, copy]) {
      const r = run(s, [orderTx(orderMsg(A, { isBuy: true, price: BTC_60000, size: 1000n, nonce: 1n }))])
      const fill = r.receipts[0]?.events[0]
      expect(fill?.type === 'fill' ? [fill.makerOrderId, fill.maker] : fill).toEqual([1n, C])
    }
    expect(rootOf(copy)).toBe(rootOf(live))
  })
})

describe('incremental commitment after an expired order is swept', () => {
  // Regression: dropOrder once did not mark the owner's subaccount touched. A leaf's existence depends on the
  // owner's open orders (collateral 0, no positions, no orders → deleted), so sweeping the last expired order of
  // an otherwise empty subaccount left its leaf in the committed root while allLeaves(state) omitted it.
  const X = addr(0x55) // the account that ends with collateral exactly 0 and only an expired order
  const M = addr(0x56)
  const N = addr(0x57)
  const K = addr(0x58) // the taker whose order sweeps X's expired bid
  const bid50k = 5_000_000_000_000n
  const bid54k = 5_400_000_000_000n

  /** Runs the scenario; returns the state, the committed (incremental) root and the receipts' facts. */
  function sweepScenario() {
    // X's collateral is chosen so that after buying 1000 at $60,000 and selling it at $54,000 it is exactly 0:
    //   buy:  pay 60_000_000 (1000 * 6e12 / 1e8) + taker fee ceil(60_000_000 * 500 / 1e6) = 30_000
    //   sell: receive 54_000_000 (1000 * 5.4e12 / 1e8) − taker fee ceil(54_000_000 * 500 / 1e6) = 27_000
    //   C = 60_030_000 − 53_973_000 = 6_057_000
    const s = stateWithAccounts([
      { address: X, collateral: 6_057_000n },
      { address: M, collateral: 1_000_000_000_000n },
      { address: N, collateral: 1_000_000_000_000n },
      { address: K, collateral: 1_000_000_000_000n },
    ])
    const merkle = new MerkleState()
    merkle.apply(allLeaves(s))
    const r1 = run(
      s,
      [
        // X's bid at $50,000 expiring at T0 + 1000 (IM 3_000_000, no adverse loss: below the oracle)
        orderTx(orderMsg(X, { isBuy: true, price: bid50k, size: 1000n, expiresAt: T0 + 1000n })),
        orderTx(orderMsg(M, { isBuy: false, price: BTC_60000, size: 1000n })),
        // X buys: equity 6_057_000 − 30_000 = 6_027_000 ≥ IM with orders:
        //   worst = max(|1000 + 1000|, |1000 − 0|) = 2000 → ceil(120_000_000 * 0.05) = 6_000_000
        orderTx(orderMsg(X, { isBuy: true, price: BTC_60000, size: 1000n, timeInForce: 1 })),
        orderTx(orderMsg(N, { isBuy: true, price: bid54k, size: 1000n })),
        // X sells at a loss: flat with equity 0 ≥ maintenance 0 (a risk-reducing order, so accepted)
        orderTx(orderMsg(X, { isBuy: false, price: bid54k, size: 1000n, timeInForce: 1 })),
      ],
      T0,
    )
    merkle.apply(leafWrites(s, r1.dirty))
    const afterTrades = {
      codes: r1.receipts.map((x) => x.code ?? 'ok'),
      collateral: subOf(s, X).collateral,
      positions: subOf(s, X).positions.size,
      openOrders: subOf(s, X).openOrders.size,
      consistent: rootOf(s) === toHex(merkle.root()),
    }
    // after expiry: the block first sweeps X's expired bid (a block event), then K's IOC sell finds no bid
    const r2 = run(s, [orderTx(orderMsg(K, { isBuy: false, price: bid50k, size: 1000n, timeInForce: 1 }))], T0 + 2000n)
    merkle.apply(leafWrites(s, r2.dirty))
    const reason = (e: TxEvent) => (e.type === 'orderCanceled' ? e.reason : e.type)
    const sweep = [...r2.events.map(reason), ...(r2.receipts[0]?.events.map(reason) ?? [])]
    return { s, committedRoot: toHex(merkle.root()), afterTrades, sweep }
  }

  it('the scenario reaches an otherwise empty subaccount whose last order is swept as expired', () => {
    const { s, afterTrades, sweep } = sweepScenario()
    expect(afterTrades).toEqual({
      codes: ['ok', 'ok', 'ok', 'ok', 'ok'],
      collateral: 0n,
      positions: 0,
      openOrders: 1,
      consistent: true,
    })
    expect(sweep).toEqual(['expired', 'unfilled'])
    expect(subOf(s, X).openOrders.size).toBe(0)
  })

  it('the committed root equals the root of allLeaves after the sweep', () => {
    const { s, committedRoot } = sweepScenario()
    expect(rootOf(s)).toBe(committedRoot)
  })
})
