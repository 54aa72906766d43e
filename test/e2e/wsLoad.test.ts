/**
 * A sequencer with 200 WebSocket subscriptions (10 connections × 20, within the default caps) under random
 * traffic keeps producing blocks, and every connection gets every head in order. Figures (block intervals, event
 * loop delay, notifications delivered) are printed for the record, never asserted beyond "keeps producing".
 */
import { monitorEventLoopDelay } from 'node:perf_hooks'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { PerpNode } from '../../node/index.ts'
import { devnetKey } from '../../node/index.ts'
import type { WsServerHandle } from '../../rpc/index.ts'
import { Load } from '../support/load.ts'
import { startSequencer, tempDir } from '../support/nodes.ts'
import { feedOracle } from '../support/oracle.ts'
import { WsClient } from './wsClient.ts'

const CONNECTIONS = 10
const RUN_MS = 6000
const BLOCK_MS = 100

/** 20 subscriptions of one connection: every topic, several depths and accounts. */
function topicsOf(k: number): [string, unknown?][] {
  const trader = (i: number): string => devnetKey(4 + ((k + i) % 6)).account.address
  return [
    ['newHeads'],
    ['fills'],
    ['fills', { market: k % 2 }],
    ['fills', { account: trader(0) }],
    ['liquidations'],
    ['liquidations', { market: 0 }],
    ...[5, 10, 20, 50, 100 + k].map((depth): [string, unknown] => ['orderBook', { market: 0, depth }]),
    ...[5, 20, 50].map((depth): [string, unknown] => ['orderBook', { market: 1, depth }]),
    ...[0, 1, 2, 3, 4, 5].map((i): [string, unknown] => ['account', { address: trader(i) }]),
  ]
}

describe('200 WebSocket subscribers on a producing sequencer', () => {
  const dir = tempDir('wsload')
  let node: PerpNode
  const clients: WsClient[] = []
  const heads: string[] = []
  let ws: WsServerHandle | undefined

  beforeAll(async () => {
    node = await startSequencer({
      dataDir: dir.path,
      blockTimeMs: BLOCK_MS,
      config: {
        rpcLimits: 'off',
        onRpcWebSocket: (handle) => {
          ws = handle
        },
      },
    })
    await feedOracle(node.rpcUrl)
    for (let k = 0; k < CONNECTIONS; k++) {
      const c = await WsClient.open(node.rpcUrl)
      clients.push(c)
      for (const [topic, params] of topicsOf(k)) heads.push(await c.subscribe(topic, params))
    }
  })

  afterAll(async () => {
    for (const c of clients) c.close()
    await node?.stop()
    dir.remove()
  })

  it('keeps producing blocks and delivers every head to every connection', async () => {
    expect(heads.length).toBe(200)
    const times: bigint[] = []
    node.onCommitted((b) => {
      times.push(b.block.header.time)
    })
    const delay = monitorEventLoopDelay({ resolution: 10 })
    const load = new Load(7)
    const startHeight = node.chain.head.height
    const framesBefore = clients.reduce((n, c) => n + c.frames.length, 0)
    delay.enable()
    await load.attach(node.rpcUrl)
    await new Promise((r) => setTimeout(r, RUN_MS))
    await load.stop()
    delay.disable()
    const produced = Number(node.chain.head.height - startHeight)
    // "keeps producing": at least a third of the blocks a 100 ms grid allows (the machine is shared)
    expect(produced).toBeGreaterThan(RUN_MS / BLOCK_MS / 3)

    const end = node.chain.head.height
    for (const [k, c] of clients.entries()) {
      const id = heads[k * 20] as string
      const seen = await c.until(`heads on connection ${k}`, () => {
        const list = c.notifications<{ height: string }>(id)
        return list.length > 0 && BigInt((list.at(-1) as { height: string }).height) >= end ? list : undefined
      })
      seen.forEach((h, i) => {
        if (i > 0) expect(BigInt(h.height)).toBe(BigInt((seen[i - 1] as { height: string }).height) + 1n)
      })
    }
    const gaps = times.slice(1).map((t, i) => Number(t - (times[i] as bigint)))
    gaps.sort((a, b) => a - b)
    const delivered = clients.reduce((n, c) => n + c.frames.length, 0) - framesBefore
    const hub = (ws as WsServerHandle).hub.stats
    console.log(
      `ws hub: ${hub.groups} groups for ${hub.subscribers} subscriptions; per block ${(hub.readMs / hub.blocks).toFixed(2)} ms ` +
        `of reads inside the commit, ${(hub.sendMs / hub.blocks).toFixed(2)} ms serializing and sending after it; ` +
        `${hub.serialized} results serialized for ${hub.delivered} notifications`,
    )
    console.log(
      `ws load: ${produced} blocks in ${RUN_MS} ms with 200 subscriptions; block interval p50 ${gaps[Math.floor(gaps.length / 2)]} ms, ` +
        `max ${gaps.at(-1)} ms; event loop delay p99 ${(delay.percentile(99) / 1e6).toFixed(1)} ms, max ${(delay.max / 1e6).toFixed(1)} ms; ` +
        `${delivered} notifications delivered; ${load.stats()}`,
    )
  })
})
