/**
 * JSON-RPC over WebSocket against a real sequencer on loopback: the HTTP methods on /ws, newHeads in order,
 * unsubscribe, parameter errors naming the field, the caps (subscriptions per connection, connections per IP),
 * malformed frames (binary, non-JSON, over the body limit, over the frame limit), a slow consumer cut off, and a
 * node stop that does not wait for clients that never read.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { PerpNode } from '../../node/index.ts'
import type { WsOptions } from '../../rpc/index.ts'
import { startSequencer, tempDir } from '../support/nodes.ts'
import { call, rpc } from '../support/rpcClient.ts'
import { rawWebSocket, WsClient, wsUrl } from './wsClient.ts'

const CAPS: WsOptions = {
  maxSubscriptionsPerConnection: 3,
  maxConnectionsPerIp: 6,
  maxBufferedBytes: 64 * 1024,
  maxFrameBytes: 512 * 1024,
  closeGraceMs: 200,
}
const BODY_LIMIT = 256 * 1024 // the HTTP body limit, which frames share

interface Head {
  height: string
  hash: string
  parentHash: string
  stateRoot: string
  txRoot: string
  time: string
  transactionCount: number
}

async function startWsSequencer(dataDir: string, ws: WsOptions): Promise<PerpNode> {
  return startSequencer({ dataDir, config: { rpcLimits: 'off', rpcWs: ws } })
}

describe('JSON-RPC over WebSocket', () => {
  const dir = tempDir('ws')
  let node: PerpNode
  const clients: WsClient[] = []
  const open = async (): Promise<WsClient> => {
    const c = await WsClient.open(node.rpcUrl)
    clients.push(c)
    return c
  }

  beforeAll(async () => {
    node = await startWsSequencer(dir.path, CAPS)
  })

  afterAll(async () => {
    for (const c of clients) c.close()
    await node?.stop()
    dir.remove()
  })

  it('serves the HTTP methods with the same answers', async () => {
    const c = await open()
    expect(await c.call('eth_chainId')).toBe(await call(node.rpcUrl, 'eth_chainId'))
    const info = await c.call<{ chainId: number; genesisHash: string }>('perp_chainInfo')
    expect(info.chainId).toBe(424242)
    const bad = await c.request('perp_orderBook', ['x'])
    expect(bad.error?.code).toBe(-32602)
    expect((await c.request('no_such_method')).error?.code).toBe(-32601)
  })

  it('streams newHeads in order, without gaps, matching perp_block', async () => {
    const c = await open()
    const id = await c.subscribe('newHeads')
    expect(id).toMatch(/^0x[0-9a-f]+$/)
    const heads = await c.until('8 heads', () => {
      const h = c.notifications<Head>(id)
      return h.length >= 8 ? h.slice() : undefined
    })
    for (let i = 1; i < heads.length; i++) {
      const [prev, next] = [heads[i - 1] as Head, heads[i] as Head]
      expect(BigInt(next.height)).toBe(BigInt(prev.height) + 1n)
      expect(next.parentHash).toBe(prev.hash)
    }
    const last = heads.at(-1) as Head
    const block = await call<Head & { transactions: string[] }>(node.rpcUrl, 'perp_block', [last.height])
    expect(last).toMatchObject({
      parentHash: block.parentHash,
      stateRoot: block.stateRoot,
      txRoot: block.txRoot,
      time: block.time,
      transactionCount: block.transactions.length,
    })
    // the next block names this one's hash as its parent
    const child = await c.until('the next head', () =>
      c.notifications<Head>(id).find((h) => BigInt(h.height) === BigInt(last.height) + 1n),
    )
    const childBlock = await call<Head>(node.rpcUrl, 'perp_block', [child.height])
    expect(childBlock.parentHash).toBe(last.hash)
  })

  it('stops the messages of a subscription once it is unsubscribed', async () => {
    const c = await open()
    const id = await c.subscribe('newHeads')
    await c.until('a head', () => c.notifications(id)[0])
    expect(await c.call('perp_unsubscribe', [id])).toBe(true)
    const seen = c.notifications(id).length
    const other = await c.subscribe('newHeads')
    await c.until('3 heads on another subscription', () => (c.notifications(other).length >= 3 ? true : undefined))
    expect(c.notifications(id).length).toBe(seen)
    expect(await c.call('perp_unsubscribe', [id])).toBe(false)
    expect(await c.call('perp_unsubscribe', ['0x1234'])).toBe(false)
    expect(await c.call('perp_unsubscribe', [other])).toBe(true)
  })

  it('refuses bad topics and params with -32602 naming the field', async () => {
    const c = await open()
    const cases: [unknown[], string][] = [
      [['trades'], 'topic'],
      [[7], 'topic'],
      [['orderBook', {}], 'market'],
      [['orderBook', { market: 0, depth: 501 }], 'depth'],
      [['orderBook', { market: 0, depth: 0 }], 'depth'],
      [['orderBook', { market: '0', depth: '9999' }], 'depth'],
      [['orderBook', { market: -1 }], 'market'],
      [['fills', { account: '0x12' }], 'account'],
      [['fills', { side: 'buy' }], 'side'],
      [['account', { subaccount: 1 }], 'address'],
      [['account', { address: '0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266', subaccount: 2 ** 32 }], 'subaccount'],
      [['newHeads', []], 'params'],
    ]
    for (const [params, field] of cases) {
      const a = await c.request('perp_subscribe', params)
      expect(a.error?.code, JSON.stringify(params)).toBe(-32602)
      expect(a.error?.data?.field, JSON.stringify(params)).toBe(field)
    }
    const unknown = await c.request('perp_subscribe', ['orderBook', { market: 99 }])
    expect(unknown.error).toMatchObject({ code: 1020, data: { reason: 'UNKNOWN_MARKET' } })
    const unknownFills = await c.request('perp_subscribe', ['fills', { market: 99 }])
    expect(unknownFills.error?.code).toBe(1020)
    expect((await c.request('perp_unsubscribe', ['nope'])).error?.data?.field).toBe('subscription')
  })

  it('answers a batch that mixes subscriptions and ordinary calls', async () => {
    const c = await open()
    c.socket.send(
      JSON.stringify([
        { jsonrpc: '2.0', id: 'a', method: 'perp_subscribe', params: ['newHeads'] },
        { jsonrpc: '2.0', id: 'b', method: 'eth_chainId' },
        { jsonrpc: '2.0', id: 'c', method: 'perp_subscribe', params: ['nope'] },
      ]),
    )
    const batch = await c.until('the batch answer', () => c.frames.find((f) => Array.isArray(f)) as WsAnswerList)
    const byId = new Map(batch.map((a) => [a.id, a]))
    expect(byId.get('a')?.result).toMatch(/^0x[0-9a-f]+$/)
    expect(byId.get('b')?.result).toBe('0x67932')
    expect(byId.get('c')?.error?.code).toBe(-32602)
    await c.until('a head', () => c.notifications(byId.get('a')?.result as string)[0])
  })

  it('answers a subscription batch whose other call nests deeper than JSON.stringify can write back', async () => {
    const c = await open()
    // 10,000 nested arrays parse fine but overflow the stack of JSON.stringify: the batch is not re-serialized
    const deep = `${'['.repeat(10_000)}${']'.repeat(10_000)}`
    c.socket.send(
      `[{"jsonrpc":"2.0","id":"s","method":"perp_subscribe","params":["newHeads"]},` +
        `{"jsonrpc":"2.0","id":"d","method":"perp_block","params":${deep}}]`,
    )
    const batch = await c.until('the batch answer', () => c.frames.find((f) => Array.isArray(f)) as WsAnswerList)
    const byId = new Map(batch.map((a) => [a.id, a]))
    expect(byId.get('s')?.result).toMatch(/^0x[0-9a-f]+$/)
    expect(byId.get('d')?.error?.code).toBe(-32602)
    c.close() // the tests share a small per-IP connection cap
    clients.splice(clients.indexOf(c), 1)
    await c.closed
  })

  it('caps subscriptions per connection with 1101', async () => {
    const c = await open()
    for (let i = 0; i < 3; i++) await c.subscribe('newHeads')
    const over = await c.request('perp_subscribe', ['newHeads'])
    expect(over.error).toMatchObject({ code: 1101, data: { reason: 'TOO_MANY_SUBSCRIPTIONS' } })
    // unsubscribing makes room again
    const ids = c.frames.flatMap((f) => {
      const r = (f as { result?: unknown }).result
      return typeof r === 'string' && r.startsWith('0x') ? [r] : []
    })
    expect(await c.call('perp_unsubscribe', [ids[0]])).toBe(true)
    expect(await c.subscribe('newHeads')).toMatch(/^0x/)
  })

  it('caps connections per IP with 1100 and a 1008 close', async () => {
    // from a clean slate: the earlier tests' connections are closed first
    for (const c of clients.splice(0)) {
      c.close()
      await c.closed
    }
    await new Promise((r) => setTimeout(r, 100))
    const held: WsClient[] = []
    for (let i = 0; i < 6; i++) held.push(await WsClient.open(node.rpcUrl))
    const extra = new WebSocket(wsUrl(node.rpcUrl))
    const first = new Promise<string>((resolve) => extra.addEventListener('message', (e) => resolve(String(e.data))))
    const closed = new Promise<number>((resolve) => extra.addEventListener('close', (e) => resolve(e.code)))
    expect(JSON.parse(await first)).toMatchObject({
      id: null,
      error: { code: 1100, data: { reason: 'TOO_MANY_CONNECTIONS' } },
    })
    expect(await closed).toBe(1008)
    // closing one makes room for one
    const leaving = held.pop() as WsClient
    leaving.close()
    await leaving.closed
    await new Promise((r) => setTimeout(r, 100))
    held.push(await WsClient.open(node.rpcUrl))
    expect(await (held.at(-1) as WsClient).call('eth_chainId')).toBe('0x67932')
    for (const c of held) {
      c.close()
      await c.closed
    }
    await new Promise((r) => setTimeout(r, 100))
  })

  it('answers malformed frames with errors and keeps the socket', async () => {
    const c = await open()
    let n = c.frames.length
    c.socket.send(new Uint8Array([1, 2, 3]))
    expect((await c.nextAnswerAfter(n)).error?.code).toBe(-32600)
    n = c.frames.length
    c.socket.send('{"jsonrpc":"2.0","id":1,')
    expect((await c.nextAnswerAfter(n)).error?.code).toBe(-32700)
    n = c.frames.length
    c.socket.send('[]')
    expect((await c.nextAnswerAfter(n)).error?.code).toBe(-32600)
    n = c.frames.length
    c.socket.send(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_chainId', params: ['x'.repeat(BODY_LIMIT)] }))
    expect((await c.nextAnswerAfter(n)).error).toMatchObject({ code: 1082, data: { reason: 'REQUEST_TOO_LARGE' } })
    n = c.frames.length
    c.socket.send(JSON.stringify({ jsonrpc: '1.0', id: 1, method: 'perp_subscribe', params: ['newHeads'] }))
    expect((await c.nextAnswerAfter(n)).error?.code).toBe(-32600)
    // still usable
    expect(await c.call('eth_chainId')).toBe('0x67932')
  })

  it('closes with 1009 a frame over the hard frame limit, and the node carries on', async () => {
    const c = await open()
    c.socket.send('x'.repeat(600 * 1024))
    expect((await c.closed).code).toBe(1009)
    expect((await rpc(node.rpcUrl, 'eth_blockNumber')).body.result).toMatch(/^0x/)
  })

  it('answers a plain HTTP GET of /ws with 426, and perp_subscribe over HTTP with -32601', async () => {
    const res = await fetch(`${node.rpcUrl}/ws`)
    expect(res.status).toBe(426)
    expect((await rpc(node.rpcUrl, 'perp_subscribe', ['newHeads'])).body.error?.code).toBe(-32601)
  })

  it('cuts off a consumer that does not read, and serves the others', async () => {
    const raw = await rawWebSocket(node.rpcUrl)
    let closed = false
    raw.socket.on('close', () => {
      closed = true
    })
    // each perp_markets answer is kilobytes; nothing is read, so the kernel's buffers fill, then the server's
    const requests = 20_000
    const frame = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'perp_markets' })
    for (let i = 0; i < requests; i++) raw.sendText(frame)
    const c = await open()
    await new Promise((r) => setTimeout(r, 2000))
    expect(await c.call('eth_chainId')).toBe('0x67932')
    // read what reached us: far fewer answers than requests, then the close
    let received = ''
    raw.socket.on('data', (chunk: Buffer) => {
      received += chunk.toString('latin1')
    })
    raw.socket.resume()
    await new Promise<void>((resolve) => {
      if (closed) resolve()
      else raw.socket.on('close', () => resolve())
    })
    const answers = received.split('"jsonrpc"').length - 1
    expect(answers).toBeLessThan(requests)
    expect(closed).toBe(true)
  })

  it('stops the node promptly with clients that never read', async () => {
    const stalled = await rawWebSocket(node.rpcUrl)
    stalled.sendText(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'perp_subscribe', params: ['newHeads'] }))
    const c = await open()
    await c.subscribe('newHeads')
    await node.stop()
    expect((await c.closed).code).toBe(1001)
    stalled.socket.destroy()
  })
})

type WsAnswerList = { id: string; result?: unknown; error?: { code: number } }[]
