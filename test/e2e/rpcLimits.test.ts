/**
 * The RPC under abuse, over real HTTP against running sequencers: per-IP and per-account rate limits (batch
 * elements counted, a body refused whole before anything runs, refunds for forged accounts), the 413 before
 * parsing, MEMPOOL_FULL, `rpc.discover` with live answers checked against its result schemas, and `GET /metrics`
 * from each node's own registry.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { decodeMessage, domainSeparator, typedDataDigest } from '../../engine/index.ts'
import type { NodeConfig, PerpNode } from '../../node/index.ts'
import { addressOfPrivateKey, devnetKey, signDigest } from '../../node/index.ts'
import type { JsonSchema } from '../../rpc/index.ts'
import { validate } from '../../rpc/index.ts'
import { toHex } from '../../state/index.ts'
import { startSequencer, tempDir } from '../support/nodes.ts'
import { rpcRaw, waitFor } from '../support/rpcClient.ts'

const CHAIN_ID = 424242
let nonce = BigInt(Date.now()) * 1000n

/** A transfer of 1 USDC unit from subaccount 0 to 1 of devnet account `index`, signed by `signer` (default: it). */
function transfer(index: number, signer = index) {
  const account = addressOfPrivateKey(devnetKey(index).privateKey)
  const message = { account, fromSubaccount: 0, toSubaccount: 1, amount: '1', nonce: String(nonce++) }
  const digest = typedDataDigest(
    domainSeparator(CHAIN_ID),
    'transfer',
    decodeMessage('transfer', message).message as never,
  )
  return { kind: 'transfer', message, signature: toHex(signDigest(devnetKey(signer).privateKey, digest)) }
}

const req = (id: number, method: string, params: unknown[] = []) => ({ jsonrpc: '2.0', id, method, params })

interface Answer {
  id: unknown
  result?: unknown
  error?: { code: number; message: string; data?: Record<string, unknown> }
}
async function send(url: string, body: unknown): Promise<{ status: number; answer: Answer & Answer[] }> {
  const r = await rpcRaw(url, JSON.stringify(body))
  return { status: r.status, answer: r.text === '' ? ([] as never) : JSON.parse(r.text) }
}

async function start(dir: string, extra: Partial<NodeConfig>): Promise<PerpNode> {
  return startSequencer({ dataDir: dir, config: extra })
}

async function metric(url: string, line: RegExp): Promise<number | undefined> {
  const text = await (await fetch(`${url}/metrics`)).text()
  const m = text.split('\n').find((l) => line.test(l))
  return m === undefined ? undefined : Number(m.split(' ').at(-1))
}

describe('rate limits', () => {
  const dir = tempDir('rpc-limits')
  let node: PerpNode
  beforeAll(async () => {
    // long blocks: admitted transfers stay pending, so "pending or not" tells whether an element ran
    node = await start(dir.path, {
      blockTimeMs: 60_000,
      rpcLimits: { perIp: { perSecond: 4, burst: 40 }, perAccount: { perSecond: 0.2, burst: 3 } },
    })
  })
  afterAll(async () => {
    await node?.stop()
    dir.remove()
  })

  it('counts batch elements per IP and refuses a body whole, each request answered with its id', async () => {
    const first = await send(
      node.rpcUrl,
      Array.from({ length: 30 }, (_, i) => req(i, 'eth_chainId')),
    )
    expect(first.answer.every((a) => a.result === '0x67932')).toBe(true)
    // 10 tokens left (plus 4 a second): a batch of 15 holding a valid transfer is refused whole
    const tx = transfer(4)
    const batch = [
      req(100, 'perp_sendTransaction', [tx]),
      ...Array.from({ length: 14 }, (_, i) => req(i, 'eth_chainId')),
    ]
    const refused = await send(node.rpcUrl, batch)
    expect(refused.answer.map((a) => a.id)).toEqual(batch.map((r) => r.id))
    for (const a of refused.answer) {
      expect(a.error?.code).toBe(1081)
      expect(a.error?.data).toMatchObject({ reason: 'RATE_LIMITED', scope: 'ip' })
      expect(a.error?.data?.retryAfterMs).toBeGreaterThan(0)
    }
    // the transfer did not run: not pending, and the same signed transfer is accepted later
    const after = await send(node.rpcUrl, req(1, 'perp_sendTransaction', [tx]))
    expect(after.answer.result).toMatchObject({ hash: expect.stringMatching(/^0x/) })
    const limited = await metric(node.rpcUrl, /^perpd_rpc_rate_limited_total\{scope="ip"\}/)
    expect(limited).toBe(15)
  })

  it('waiting retryAfterMs is enough', async () => {
    let refusal: Answer | undefined
    for (let i = 0; i < 60 && refusal === undefined; i++) {
      const { answer } = await send(node.rpcUrl, req(i, 'eth_chainId'))
      if (answer.error !== undefined) refusal = answer
    }
    const wait = refusal?.error?.data?.retryAfterMs as number
    // one token at 4 per second: at most 250 ms
    expect(wait).toBeGreaterThan(0)
    expect(wait).toBeLessThanOrEqual(250)
    await new Promise((r) => setTimeout(r, wait))
    expect((await send(node.rpcUrl, req(1, 'eth_chainId'))).answer.result).toBe('0x67932')
  })

  it('limits an account’s transactions, and refunds tokens claimed by forged transactions', async () => {
    await new Promise((r) => setTimeout(r, 4_000)) // the address bucket refills (16 tokens; 12 are used below)
    // account 5 uses its burst of 3
    const three = await send(
      node.rpcUrl,
      [0, 1, 2].map((i) => req(i, 'perp_sendTransaction', [transfer(5)])),
    )
    expect(three.answer.every((a) => a.result !== undefined)).toBe(true)
    // a fourth, in a body with a transfer of account 6: the body is refused whole
    const mixed = [req(0, 'perp_sendTransaction', [transfer(5)]), req(1, 'perp_sendTransaction', [transfer(6)])]
    const refused = await send(node.rpcUrl, mixed)
    for (const a of refused.answer) {
      expect(a.error?.data).toMatchObject({ reason: 'RATE_LIMITED', scope: 'account' })
      // 1 token at 0.2 a second
      expect(a.error?.data?.retryAfterMs).toBeGreaterThan(4000)
    }
    // two transfers claiming account 6 but signed by account 7: refused as unauthorized, and refunded
    const forged = await send(
      node.rpcUrl,
      [0, 1].map((i) => req(i, 'perp_sendTransaction', [transfer(6, 7)])),
    )
    for (const a of forged.answer) expect(a.error?.code).toBe(1003)
    // so account 6 still has all three tokens: neither the refused body nor the forgeries spent them
    const six = await send(
      node.rpcUrl,
      [0, 1, 2].map((i) => req(i, 'perp_sendTransaction', [transfer(6)])),
    )
    expect(six.answer.every((a) => a.result !== undefined)).toBe(true)
    expect(await metric(node.rpcUrl, /^perpd_rpc_rate_limited_total\{scope="account"\}/)).toBe(2)
  })
})

describe('body size, mempool, discovery and metrics', () => {
  const dirA = tempDir('rpc-a')
  const dirB = tempDir('rpc-b')
  let a: PerpNode
  let b: PerpNode
  beforeAll(async () => {
    a = await start(dirA.path, {})
    // a second node in the same process, its mempool small and its blocks far apart
    b = await start(dirB.path, { blockTimeMs: 60_000, mempoolCapacity: 3, p2pListen: ['/ip4/127.0.0.1/tcp/0'] })
  })
  afterAll(async () => {
    await a?.stop()
    await b?.stop()
    dirA.remove()
    dirB.remove()
  })

  it('a body over 256 KiB is 413 with 1082, before parsing (it is not even JSON)', async () => {
    const r = await rpcRaw(a.rpcUrl, `{not json ${'x'.repeat(256 * 1024)}`)
    expect(r.status).toBe(413)
    expect(JSON.parse(r.text).error).toMatchObject({ code: 1082, data: { reason: 'REQUEST_TOO_LARGE' } })
    // exactly at the limit it is read and parsed
    const at = await rpcRaw(a.rpcUrl, `"${'x'.repeat(256 * 1024 - 2)}"`)
    expect(at.status).toBe(200)
    expect(JSON.parse(at.text).error.code).toBe(-32600)
  })

  it('a full mempool says so: 1080 MEMPOOL_FULL', async () => {
    for (const i of [4, 5, 6])
      expect((await send(b.rpcUrl, req(1, 'perp_sendTransaction', [transfer(i)]))).answer.result).toBeDefined()
    const full = await send(b.rpcUrl, req(1, 'perp_sendTransaction', [transfer(7)]))
    expect(full.answer.error).toMatchObject({ code: 1080, data: { reason: 'MEMPOOL_FULL' } })
    expect(full.answer.error?.message).toMatch(/mempool full: mempool holds 3 transactions/)
    expect(await metric(b.rpcUrl, /^perpd_mempool_transactions /)).toBe(3)
  })

  it('perp_subscribe over HTTP is -32601, naming the WebSocket', async () => {
    const r = await send(a.rpcUrl, req(1, 'perp_subscribe', ['newHeads']))
    expect(r.answer.error).toMatchObject({ code: -32601, message: expect.stringMatching(/WebSocket/) })
  })

  it('rpc.discover answers the document; live answers conform to its result schemas', async () => {
    const doc = (await send(a.rpcUrl, req(1, 'rpc.discover'))).answer.result as {
      openrpc: string
      methods: { name: string; result: { schema: JsonSchema } }[]
      components: { schemas: Record<string, JsonSchema> }
    }
    expect(doc.openrpc).toMatch(/^1\.2\./)
    const address = '0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266'
    const calls: [string, unknown[]][] = [
      ['perp_chainInfo', []],
      ['perp_markets', []],
      ['perp_orderBook', [0, 5]],
      ['perp_account', [address]],
      ['perp_transaction', [`0x${'12'.repeat(32)}`]],
      ['perp_block', ['latest']],
      ['perp_block', [0]],
      ['perp_block', ['999999999']],
      ['perp_proof', [address, 0, 'latest']],
      ['perp_auctions', []],
      ['perp_insuranceFund', []],
      ['eth_chainId', []],
      ['net_version', []],
      ['web3_clientVersion', []],
      ['eth_blockNumber', []],
      ['rpc.discover', []],
    ]
    for (const [method, params] of calls) {
      const { answer } = await send(a.rpcUrl, req(1, method, params))
      expect(answer.error, method).toBeUndefined()
      const schema = doc.methods.find((m) => m.name === method)?.result.schema as JsonSchema
      expect(
        validate(schema, answer.result, doc.components.schemas),
        `${method} ${JSON.stringify(params)}`,
      ).toBeUndefined()
    }
  })

  it('GET /metrics: each node its own figures', async () => {
    await waitFor('a produced block', async () =>
      Number((await send(a.rpcUrl, req(1, 'eth_blockNumber'))).answer.result) >= 1 ? true : undefined,
    )
    for (let i = 0; i < 5; i++) await send(a.rpcUrl, req(1, 'eth_chainId'))
    await send(a.rpcUrl, req(1, 'perp_account', [42]))
    const res = await fetch(`${a.rpcUrl}/metrics`)
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/)
    const text = await res.text()
    for (const name of [
      'perpd_block_processing_seconds',
      'perpd_block_transactions',
      'perpd_mempool_transactions',
      'perpd_rpc_request_duration_seconds',
      'perpd_rpc_rate_limited_total',
      'perpd_peers',
      'perpd_liquidation_events_total',
      'perpd_insurance_fund_usdc',
      'perpd_head_height',
      'perpd_alarm',
    ])
      expect(text, name).toContain(`# TYPE ${name} `)
    expect(
      await metric(a.rpcUrl, /^perpd_rpc_request_duration_seconds_count\{method="eth_chainId",outcome="ok"\}/),
    ).toBeGreaterThanOrEqual(5)
    expect(
      await metric(
        a.rpcUrl,
        /^perpd_rpc_request_duration_seconds_count\{method="perp_account",outcome="invalid_params"\}/,
      ),
    ).toBe(1)
    expect(await metric(a.rpcUrl, /^perpd_block_processing_seconds_count\{kind="produce"\}/)).toBeGreaterThan(0)
    expect(await metric(a.rpcUrl, /^perpd_alarm\{kind="root-mismatch"\}/)).toBe(0)
    expect(await metric(a.rpcUrl, /^perpd_liquidation_events_total\{type="auctionStarted"\}/)).toBe(0)
    const height = Number((await send(a.rpcUrl, req(1, 'eth_blockNumber'))).answer.result)
    expect(await metric(a.rpcUrl, /^perpd_head_height /)).toBeGreaterThanOrEqual(height)
    // node b never saw those calls: separate registries
    expect(
      await metric(
        b.rpcUrl,
        /^perpd_rpc_request_duration_seconds_count\{method="perp_account",outcome="invalid_params"\}/,
      ),
    ).toBeUndefined()
    expect(await metric(a.rpcUrl, /^perpd_mempool_transactions /)).toBe(0)
  })
})
