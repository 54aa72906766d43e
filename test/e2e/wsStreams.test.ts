/**
 * Subscriptions under random traffic (test/support/load.ts: makers resting post-only orders, takers crossing
 * them, a moving oracle) against a real sequencer: the order-book diff streams rebuild the book at every height,
 * the fills match the receipts, account updates match the account at their height.
 *
 * The truth at each height is read inside the chain's own commit listener (the engine's views on the live state,
 * which is exactly that height there), independently of the subscription code; perp_transaction and perp_block
 * over HTTP give the receipts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Address } from '../../engine/index.ts'
import { accountView, bookView } from '../../engine/index.ts'
import type { PerpNode } from '../../node/index.ts'
import { devnetKey } from '../../node/index.ts'
import type { Json } from '../../rpc/index.ts'
import { toJson } from '../../rpc/index.ts'
import { Load, rpcBatch } from '../support/load.ts'
import { startSequencer, tempDir } from '../support/nodes.ts'
import { feedOracle } from '../support/oracle.ts'
import { call } from '../support/rpcClient.ts'
import { WsClient } from './wsClient.ts'

type Level = [string, string]
interface BookMsg {
  type: 'snapshot' | 'diff'
  market: number
  height: string
  seq: number
  bids: Level[]
  asks: Level[]
}
interface FillMsg {
  height: string
  fills: ({ txHash: string } & Record<string, Json>)[]
}
type AccountMsg = { height: string } & Record<string, Json>

const address = (i: number): string => devnetKey(i).account.address.toLowerCase()
const MAKER = 4
const TAKER = 7
const BOOKS: [market: number, depth: number][] = [
  [0, 10],
  [1, 20],
  [0, 3],
]

describe('subscriptions under random traffic', () => {
  const dir = tempDir('wsstreams')
  let node: PerpNode
  let load: Load
  let client: WsClient
  let late: WsClient
  /** `${market}:${depth}` → height → [bids, asks] */
  const books = new Map<string, Map<string, [Level[], Level[]]>>()
  /** address → height → account view */
  const accounts = new Map<string, Map<string, Json>>()
  const subs: Record<string, string> = {}
  let lastHeight = ''

  beforeAll(async () => {
    node = await startSequencer({ dataDir: dir.path, config: { rpcLimits: 'off' } })
    node.onCommitted(() => {
      const { state, head } = node.chain
      const h = head.height.toString()
      for (const [market, depth] of BOOKS) {
        const key = `${market}:${depth}`
        const view = toJson(bookView(state, market, depth, head.time)) as { bids: Level[]; asks: Level[] }
        if (!books.has(key)) books.set(key, new Map())
        books.get(key)?.set(h, [view.bids, view.asks])
      }
      for (const a of [address(MAKER), address(TAKER)]) {
        if (!accounts.has(a)) accounts.set(a, new Map())
        accounts.get(a)?.set(h, toJson({ ...accountView(state, a as Address, 0), height: head.height }))
      }
    })
    await feedOracle(node.rpcUrl)

    client = await WsClient.open(node.rpcUrl)
    subs.heads = await client.subscribe('newHeads')
    subs.book0 = await client.subscribe('orderBook', { market: 0, depth: 10 })
    subs.book1 = await client.subscribe('orderBook', { market: '1' })
    subs.fills = await client.subscribe('fills')
    // checksummed on the wire, matched lower-case
    subs.makerFills = await client.subscribe('fills', { account: address(MAKER).toUpperCase().replace('0X', '0x') })
    subs.market1Fills = await client.subscribe('fills', { market: 1 })
    subs.maker = await client.subscribe('account', { address: address(MAKER) })
    subs.taker = await client.subscribe('account', { address: address(TAKER), subaccount: 0 })
    subs.liquidations = await client.subscribe('liquidations')

    load = new Load(20240611)
    await load.attach(node.rpcUrl)
    await new Promise((r) => setTimeout(r, 3000))
    // joining mid-stream: an existing group (snapshot from its last book) and a new one (snapshot next block)
    late = await WsClient.open(node.rpcUrl)
    subs.lateBook0 = await late.subscribe('orderBook', { market: 0, depth: 10 })
    subs.lateBook0Depth3 = await late.subscribe('orderBook', { market: 0, depth: 3 })
    await new Promise((r) => setTimeout(r, 4000))
    await load.stop()
    // quiet blocks, so every notification of the traffic's blocks is out
    const end = (await call<{ height: string }>(node.rpcUrl, 'perp_chainInfo')).height
    lastHeight = await client.until('heads past the traffic', () => {
      const last = client.notifications<{ height: string }>(subs.heads as string).at(-1)
      return last !== undefined && BigInt(last.height) >= BigInt(end) + 3n ? last.height : undefined
    })
  }, 60_000)

  afterAll(async () => {
    client?.close()
    late?.close()
    await node?.stop()
    dir.remove()
  })

  it('made traffic: fills and a busy book', () => {
    const fills = client.notifications<FillMsg>(subs.fills as string).flatMap((m) => m.fills)
    expect(fills.length).toBeGreaterThan(20)
    expect(client.notifications<BookMsg>(subs.book0 as string).length).toBeGreaterThan(10)
  })

  function checkBook(c: WsClient, sub: string, market: number, depth: number): number {
    const msgs = c.notifications<BookMsg>(sub)
    const truth = books.get(`${market}:${depth}`) as Map<string, [Level[], Level[]]>
    const first = msgs[0] as BookMsg
    expect(first.type).toBe('snapshot')
    msgs.forEach((m, i) => {
      expect(m.seq).toBe(first.seq + i)
      expect(m.market).toBe(market)
      if (i > 0) expect(m.type).toBe('diff')
    })
    const bids = new Map<string, string>()
    const asks = new Map<string, string>()
    const side = (m: Map<string, string>, desc: boolean): Level[] =>
      [...m].sort((a, b) => (BigInt(a[0]) < BigInt(b[0]) === desc ? 1 : -1))
    let next = 0
    let checked = 0
    for (let h = BigInt(first.height); h <= BigInt(lastHeight); h++) {
      // apply every message of this height (one at most), then compare with the book at h
      for (; next < msgs.length && BigInt((msgs[next] as BookMsg).height) === h; next++) {
        const m = msgs[next] as BookMsg
        for (const [book, levels] of [
          [bids, m.bids],
          [asks, m.asks],
        ] as const)
          for (const [price, size] of levels) {
            if (size === '0') book.delete(price)
            else book.set(price, size)
          }
      }
      const [wantBids, wantAsks] = truth.get(h.toString()) as [Level[], Level[]]
      expect(side(bids, true), `bids of market ${market} depth ${depth} at ${h}`).toEqual(wantBids)
      expect(side(asks, false), `asks of market ${market} depth ${depth} at ${h}`).toEqual(wantAsks)
      checked++
    }
    expect(next).toBe(msgs.length)
    return checked
  }

  it('rebuilds the order book at every height from the snapshot and diffs', async () => {
    expect(checkBook(client, subs.book0 as string, 0, 10)).toBeGreaterThan(50)
    checkBook(client, subs.book1 as string, 1, 20)
    checkBook(late, subs.lateBook0 as string, 0, 10)
    checkBook(late, subs.lateBook0Depth3 as string, 0, 3)
    // and the last rebuilt book is what perp_orderBook serves now (the chain is quiet)
    const now = await call<{ bids: Level[]; asks: Level[] }>(node.rpcUrl, 'perp_orderBook', [0, 10])
    const truth = books.get('0:10') as Map<string, [Level[], Level[]]>
    const [bids, asks] = truth.get(lastHeight) as [Level[], Level[]]
    expect(now.bids).toEqual(bids)
    expect(now.asks).toEqual(asks)
  })

  it('sends exactly the fills of the receipts, per height', async () => {
    const heads = client.notifications<{ height: string }>(subs.heads as string)
    const from = BigInt((heads[0] as { height: string }).height)
    const streamed = new Map(client.notifications<FillMsg>(subs.fills as string).map((m) => [m.height, m.fills]))
    const heights: bigint[] = []
    for (let h = from; h <= BigInt(lastHeight); h++) heights.push(h)
    const blocks = await rpcBatch(
      node.rpcUrl,
      heights.map((h) => ({ method: 'perp_block', params: [h.toString()] })),
    )
    const hashes = blocks.flatMap((b, i) =>
      (b.result as { transactions: string[] }).transactions.map((hash) => ({ hash, height: heights[i] as bigint })),
    )
    const expected = new Map<string, Json[]>()
    for (let i = 0; i < hashes.length; i += 100) {
      const part = hashes.slice(i, i + 100)
      const answers = await rpcBatch(
        node.rpcUrl,
        part.map((t) => ({ method: 'perp_transaction', params: [t.hash] })),
      )
      answers.forEach((a, k) => {
        const { hash, height } = part[k] as { hash: string; height: bigint }
        const tx = a.result as { index: number; events: ({ type: string } & Record<string, Json>)[] }
        for (const { type, ...e } of tx.events.filter((x) => x.type === 'fill')) {
          const list = expected.get(height.toString()) ?? []
          list.push({
            height: height.toString(),
            txHash: hash,
            txIndex: tx.index,
            ...e,
            side: e.takerIsBuy ? 'buy' : 'sell',
          })
          expected.set(height.toString(), list)
        }
      })
    }
    for (const h of heights)
      expect(streamed.get(h.toString()) ?? [], `fills at ${h}`).toEqual(expected.get(h.toString()) ?? [])
    // the filtered streams are the matching subsets
    const all = [...expected.values()].flat() as Record<string, Json>[]
    const maker = address(MAKER)
    const makerFills = client.notifications<FillMsg>(subs.makerFills as string).flatMap((m) => m.fills)
    expect(makerFills).toEqual(all.filter((f) => f.maker === maker || f.taker === maker))
    expect(makerFills.length).toBeGreaterThan(0)
    const market1 = client.notifications<FillMsg>(subs.market1Fills as string).flatMap((m) => m.fills)
    expect(market1).toEqual(all.filter((f) => f.market === 1))
  })

  it('sends the account view at each height that changed it, once per block', () => {
    for (const [who, sub] of [
      [address(MAKER), subs.maker],
      [address(TAKER), subs.taker],
    ] as const) {
      const truth = accounts.get(who) as Map<string, Json>
      const msgs = client.notifications<AccountMsg>(sub as string)
      expect(msgs.length).toBeGreaterThan(3)
      let previous = -1n
      for (const m of msgs) {
        expect(BigInt(m.height)).toBeGreaterThan(previous)
        previous = BigInt(m.height)
        expect(m, `${who} at ${m.height}`).toEqual(truth.get(m.height))
      }
      // every height whose collateral, positions or orders changed has its message
      const sent = new Set(msgs.map((m) => m.height))
      const heads = client.notifications<{ height: string }>(subs.heads as string)
      const essence = (v: Json | undefined): string => {
        const a = v as { collateral: string; positions: { size: string }[]; openOrders: { id: string; size: string }[] }
        return JSON.stringify([a.collateral, a.positions.map((p) => p.size), a.openOrders.map((o) => [o.id, o.size])])
      }
      for (let h = BigInt((heads[1] as { height: string }).height); h <= BigInt(lastHeight); h++)
        if (essence(truth.get(h.toString())) !== essence(truth.get((h - 1n).toString())))
          expect(sent.has(h.toString()), `${who} changed at ${h}`).toBe(true)
    }
  })

  it('sent every head in order, and liquidation messages only with events', () => {
    for (const m of client.notifications<{ height: string; events: { type: string }[] }>(subs.liquidations as string))
      expect(m.events.length).toBeGreaterThan(0)
    const heads = client.notifications<{ height: string }>(subs.heads as string)
    heads.forEach((h, i) => {
      if (i > 0) expect(BigInt(h.height)).toBe(BigInt((heads[i - 1] as { height: string }).height) + 1n)
    })
  })
})
