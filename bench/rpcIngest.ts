/**
 * @module Signed-order ingest over JSON-RPC: pre-signed orders (IOC buys under the market: admitted, included,
 * never filled) sent by several concurrent keep-alive clients into a sequencer's mempool, singly and in batches
 * of 50. Reference, measured in the same run with the same client and the same bodies: a bare fastify JSON-RPC
 * echo server (parses the body, answers each request with a constant result). Both servers run in a worker
 * thread of this process, the clients in the main thread, so each side has a core.
 *
 * The sequencer runs the real path: JSON parse, params schema, message decode, EIP-712 digest, signature
 * recovery, the engine's admission checks, the mempool, and its own block production meanwhile. Its genesis
 * funds 200 accounts and lifts the engine's per-account order limit, and the RPC rate limits are off: this
 * measures capacity, not policy.
 */
import { readFileSync } from 'node:fs'
import { isMainThread, parentPort, workerData } from 'node:worker_threads'
import type { Genesis } from '../engine/index.ts'
import { parseGenesis } from '../engine/index.ts'
import { DEVNET_GENESIS_PATH, devnetKey, SEQUENCER_KEY_INDEX, startNode } from '../node/index.ts'
import { presignedOrders, type SignedWire } from '../scripts/rpc-fuzz-payloads.ts'
import type { Measurement, Row } from './harness.ts'
import { row, workerServer } from './harness.ts'
import { tempDirs } from './propagationSupport.ts'

const ACCOUNTS = 200
const CLIENTS = 8
const BATCH = 50
const WARMUP_MS = 500
const MEASURE_MS = 3_000

function accountKeys(): Uint8Array[] {
  return Array.from({ length: ACCOUNTS }, (_, i) => {
    const key = new Uint8Array(32)
    key[0] = 0x22
    new DataView(key.buffer).setUint32(28, i + 1)
    return key
  })
}

function genesisJson(addresses: string[]): string {
  const json = JSON.parse(readFileSync(DEVNET_GENESIS_PATH, 'utf8')) as Record<string, unknown>
  json.genesisTime = String(Date.now() - 1000)
  json.accounts = addresses.map((address) => ({ address, subaccount: 0, collateral: '1000000000000' }))
  Object.assign(json.rateLimits as object, { maxOrders: 1_000_000, maxCancels: 1_000_000 })
  // the genesis prices stay fresh for the whole run: no oracle traffic
  Object.assign(json.oracle as object, { maxPriceAgeMs: String(3_600_000) })
  return JSON.stringify(json)
}

/** In the worker: the server under test, answering on a free port; posts its URL, stops on any message. */
async function serve(kind: 'node' | 'echo', genesis: string, dir: string): Promise<void> {
  if (kind === 'node') {
    const node = await startNode({
      role: 'sequencer',
      genesis: parseGenesis(JSON.parse(genesis)) as Genesis,
      dataDir: dir,
      rpcHost: '127.0.0.1',
      rpcPort: 0,
      p2pListen: ['/ip4/127.0.0.1/tcp/0'],
      bootstrap: [],
      signingKey: devnetKey(SEQUENCER_KEY_INDEX).privateKey,
      rpcLimits: 'off',
    })
    parentPort?.once('message', () => void node.stop().then(() => process.exit(0)))
    parentPort?.postMessage(node.rpcUrl)
    return
  }
  const { default: Fastify } = await import('fastify')
  const app = Fastify({ logger: false, bodyLimit: 256 * 1024 })
  app.removeAllContentTypeParsers()
  app.addContentTypeParser('*', { parseAs: 'string' }, (_req, body, done) => done(null, body))
  const result = { hash: `0x${'ab'.repeat(32)}` }
  app.post('/', async (req, reply) => {
    const parsed = JSON.parse(req.body as string) as { id: unknown } | { id: unknown }[]
    const answer = (r: { id: unknown }) => ({ jsonrpc: '2.0', id: r.id, result })
    const out = Array.isArray(parsed) ? parsed.map(answer) : answer(parsed)
    return reply.header('content-type', 'application/json').send(JSON.stringify(out))
  })
  const url = await app.listen({ host: '127.0.0.1', port: 0 })
  parentPort?.once('message', () => void app.close().then(() => process.exit(0)))
  parentPort?.postMessage(url)
}

function startServer(kind: 'node' | 'echo', genesis: string, dir: string) {
  return workerServer(new URL(import.meta.url), { rpcIngestServer: kind, genesis, dir })
}

/**
 * CLIENTS loops send `bodies` in order for WARMUP_MS + MEASURE_MS; counts the orders whose answer is a result
 * inside the measured window. The sequencer needs each signed order once (a repeat is refused as known), so
 * for it the bodies must not run out; the echo server cycles through them.
 */
async function drive(
  url: string,
  bodies: string[],
  perBody: number,
  name: string,
  cycle: boolean,
): Promise<Measurement> {
  let next = 0
  let ok = 0
  let refused = 0
  const t0 = performance.now()
  const measureFrom = t0 + WARMUP_MS
  const end = measureFrom + MEASURE_MS
  const loop = async (): Promise<void> => {
    while (performance.now() < end) {
      const body = bodies[cycle ? next++ % bodies.length : next++]
      if (body === undefined) throw new Error(`${name}: out of signed orders after ${next - 1} bodies`)
      const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body })
      const text = await res.text()
      if (performance.now() < measureFrom) continue
      const results = text.split('"result"').length - 1
      ok += results
      refused += perBody - results
    }
  }
  await Promise.all(Array.from({ length: CLIENTS }, loop))
  const ms = performance.now() - measureFrom
  if (refused > 0) console.log(`  ${name}: ${refused} orders refused`)
  return { name, opsPerSec: (ok * 1000) / ms, ops: ok, ms }
}

const req = (id: number, tx: SignedWire) => ({ jsonrpc: '2.0', id, method: 'perp_sendTransaction', params: [tx] })

export async function rpcIngestRows(): Promise<Row[]> {
  const keys = accountKeys()
  const { addressOfPrivateKey } = await import('../node/index.ts')
  const genesis = genesisJson(keys.map((k) => addressOfPrivateKey(k)))
  const chainId = (JSON.parse(genesis) as { chainId: number }).chainId
  const market = (JSON.parse(genesis) as { markets: { tickSize: string; minOrderSize: string }[] }).markets[0]
  // $50,000 on BTC-USD (8 price decimals), under the genesis $60,000: the IOC buys never trade
  const plan = { keys, chainId, market: 0, price: '5000000000000', size: market?.minOrderSize ?? '1000' }
  const started = performance.now()
  const singles = presignedOrders({ ...plan, count: 25_000, nonceBase: 1n })
  const batched = presignedOrders({ ...plan, count: 60_000, nonceBase: 10_000_000n })
  console.log(
    `rpc ingest: signed ${singles.length + batched.length} orders in ${Math.round(performance.now() - started)} ms`,
  )
  const singleBodies = singles.map((tx, i) => JSON.stringify(req(i, tx)))
  const batchBodies = Array.from({ length: batched.length / BATCH }, (_, b) =>
    JSON.stringify(batched.slice(b * BATCH, (b + 1) * BATCH).map((tx, i) => req(i, tx))),
  )
  const dirs = tempDirs('rpc-ingest')
  const results: Record<string, Measurement> = {}
  try {
    for (const kind of ['echo', 'node'] as const) {
      const server = await startServer(kind, genesis, dirs.make(kind))
      try {
        const cycle = kind === 'echo'
        results[`${kind} singles`] = await drive(server.url, singleBodies, 1, `${kind} singles`, cycle)
        results[`${kind} batches`] = await drive(server.url, batchBodies, BATCH, `${kind} batches`, cycle)
      } finally {
        await server.stop()
      }
    }
  } finally {
    dirs.remove()
  }
  const m = (k: string) => results[k] as Measurement
  const note =
    `${CLIENTS} keep-alive clients, pre-signed orders from ${ACCOUNTS} accounts, ${MEASURE_MS / 1000} s after ` +
    `${WARMUP_MS} ms warm-up; orders/s admitted into the sequencer's mempool (RPC rate limits off) against a ` +
    'bare fastify JSON-RPC echo server answering the same bodies; both servers in worker threads.'
  return [
    row(
      'RPC ingest, single orders',
      { ...m('node singles'), name: 'sequencer' },
      { ...m('echo singles'), name: 'fastify echo' },
      {
        target: '≥ 0.50× echo',
        note,
      },
    ),
    row(
      `RPC ingest, batches of ${BATCH}`,
      { ...m('node batches'), name: 'sequencer' },
      { ...m('echo batches'), name: 'fastify echo' },
      {
        target: '≥ 0.50× echo',
      },
    ),
  ]
}

const server = (workerData as { rpcIngestServer?: 'node' | 'echo'; genesis: string; dir: string } | null) ?? null
if (!isMainThread && server?.rpcIngestServer !== undefined)
  await serve(server.rpcIngestServer, server.genesis, server.dir)
else if (import.meta.main) {
  const { printTable } = await import('./harness.ts')
  printTable(await rpcIngestRows())
}
