/**
 * With the RPC saturated, the sequencer keeps its block interval: a real `perpd start` process (rate limits off,
 * so every request does its full work) is flooded for 20 s by concurrent keep-alive clients — valid signed orders
 * in batches and singly, batched reads, transactions with flipped signature bytes (each costs a recovery),
 * malformed and oversized bodies — while it produces 100 ms blocks for 20 s. The committed blocks' header times (read back
 * over RPC afterwards) must show a p99 interval of at most twice the target.
 *
 * Timed by nature (the issue asks for it): ~200 intervals, so the p99 (nearest rank) is the third-largest and one
 * stall of the shared machine's scheduler does not decide the outcome alone.
 */
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { Worker } from 'node:worker_threads'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { devnetKey } from '../../node/index.ts'
import { presignedOrders } from '../../scripts/rpc-fuzz-payloads.ts'
import type { CliNode } from '../support/cliNode.ts'
import { spawnCli, withTimeout, writeSequencerKeyFile } from '../support/cliNode.ts'
import { freePort, tempDir } from '../support/nodes.ts'
import { feedOracle } from '../support/oracle.ts'
import { call } from '../support/rpcClient.ts'

const BLOCK_TIME_MS = 100
const FLOOD_MS = 20_000

/**
 * The load runs in worker threads (plain JS, bodies built beforehand), so the clients are not starved by the
 * test's own thread and the node's process gets a core of its own to defend.
 */
const CLIENT = `
const { workerData, parentPort } = require('node:worker_threads')
const { url, until, loops } = workerData
let requests = 0
let failures = 0
async function loop(bodies, offset) {
  for (let i = offset; Date.now() < until; i++) {
    try {
      const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: bodies[i % bodies.length] })
      await res.text()
      requests++
    } catch {
      failures++
    }
  }
}
Promise.all(loops.map((bodies, k) => loop(bodies, k * 7))).then(() => parentPort.postMessage({ requests, failures }))
`

/** Runs one worker with a client loop per body list until `until`; resolves its counts. */
function flood(url: string, until: number, loops: string[][]): Promise<{ requests: number; failures: number }> {
  const worker = new Worker(CLIENT, { eval: true, workerData: { url, until, loops } })
  return new Promise((resolve, reject) => {
    worker.once('message', (m: { requests: number; failures: number }) => {
      void worker.terminate()
      resolve(m)
    })
    worker.once('error', reject)
  })
}

const req = (id: number, method: string, params: unknown[] = []) => ({ jsonrpc: '2.0', id, method, params })

/** p-th percentile by nearest rank. */
function percentile(sorted: number[], p: number): number {
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)] as number
}

describe('block interval under RPC saturation', () => {
  const dir = tempDir('block-interval')
  let node: CliNode
  let url: string

  beforeAll(async () => {
    mkdirSync(join(dir.path, 'data'))
    const key = writeSequencerKeyFile(join(dir.path, 'sequencer.key'))
    const port = await freePort()
    node = spawnCli([
      'start',
      '--role=sequencer',
      `--data=${join(dir.path, 'data')}`,
      `--key-file=${key}`,
      `--rpc=127.0.0.1:${port}`,
      `--block-time=${BLOCK_TIME_MS}`,
      '--rpc-ip-rate=0',
      '--rpc-account-rate=0',
    ])
    url = (await withTimeout(node.ready, 20_000, 'perpd start')).rpcUrl
    await feedOracle(url)
  })
  afterAll(async () => {
    node?.kill('SIGTERM')
    await node?.exited
    dir.remove()
  })

  it(`keeps the p99 block interval within ${2 * BLOCK_TIME_MS} ms`, async () => {
    const chainId = Number(await call<string>(url, 'eth_chainId'))
    const markets = await call<{ oraclePrice: string; tickSize: string; lotSize: string; minOrderSize: string }[]>(
      url,
      'perp_markets',
    )
    const m = markets[0] as (typeof markets)[number]
    const tick = BigInt(m.tickSize)
    // 5% under the oracle on the tick: an IOC buy there rests on no ask and never fills
    const price = (((BigInt(m.oraclePrice) * 95n) / 100n / tick) * tick).toString()
    // devnet accounts 4–9: funded and unused by other traffic
    const keys = [4, 5, 6, 7, 8, 9].map((i) => devnetKey(i).privateKey)
    const orders = presignedOrders({
      keys,
      chainId,
      count: 30_000,
      market: 0,
      price,
      size: m.minOrderSize,
      nonceBase: BigInt(Date.now()) * 1000n,
    })
    const batches = (txs: unknown[], size: number): string[] =>
      Array.from({ length: Math.ceil(txs.length / size) }, (_, b) =>
        JSON.stringify(txs.slice(b * size, (b + 1) * size).map((tx, i) => req(i, 'perp_sendTransaction', [tx]))),
      )
    // a flipped hex digit in the signature: it still costs the node a recovery, then fails
    const flipped = orders.slice(0, 2000).map((tx) => ({
      ...tx,
      signature: `${tx.signature.slice(0, 10)}${tx.signature[10] === 'a' ? 'b' : 'a'}${tx.signature.slice(11)}`,
    }))
    const account = '0x90f79bf6eb2c4f870365e785982e1f101e93b906'
    const reads = [
      JSON.stringify([
        req(1, 'perp_chainInfo'),
        req(2, 'perp_orderBook', [0, 50]),
        req(3, 'perp_account', [account]),
        req(4, 'perp_markets'),
        req(5, 'perp_block', ['latest']),
        req(6, 'perp_proof', [account, 0, 'latest']),
        ...Array.from({ length: 14 }, (_, i) => req(7 + i, 'eth_blockNumber')),
      ]),
    ]
    const invalid = [
      ...batches(flipped, 50),
      '{"jsonrpc":"2.0","id":1,"method":',
      JSON.stringify(req(1, 'perp_noSuchMethod')),
      JSON.stringify(Array.from({ length: 101 }, (_, i) => req(i, 'eth_chainId'))),
      `{"pad":"${'x'.repeat(300 * 1024)}"}`,
    ]
    const half = orders.length / 2
    const start = await call<{ height: string }>(url, 'perp_chainInfo')
    const until = Date.now() + FLOOD_MS
    const counts = await Promise.all([
      // valid writes: two clients in batches of 50, one singly (the batches' orders are admitted once; a
      // repeat still costs a recovery and is refused as already known)
      flood(url, until, [batches(orders.slice(0, half), 50), batches(orders.slice(half), 50)]),
      flood(url, until, [
        orders.slice(half).map((tx) => JSON.stringify(req(1, 'perp_sendTransaction', [tx]))),
        invalid,
      ]),
      // reads: three clients; invalid input: one more
      flood(url, until, [reads, reads, reads, invalid]),
    ])
    const tally = {
      requests: counts.reduce((n, c) => n + c.requests, 0),
      failures: counts.reduce((n, c) => n + c.failures, 0),
    }
    const end = await call<{ height: string }>(url, 'perp_chainInfo')

    const times: number[] = []
    let included = 0
    for (let h = BigInt(start.height) + 1n; h <= BigInt(end.height); h++) {
      const b = await call<{ time: string; transactions: string[] }>(url, 'perp_block', [h.toString()])
      times.push(Number(b.time))
      included += b.transactions.length
    }
    const metrics = await (await fetch(`${url}/metrics`)).text()
    const shown =
      /^(perpd_block_processing_seconds_(bucket|sum|count)\{.*kind="produce"|nodejs_eventloop_lag_(p50|p99|max)_seconds|nodejs_gc_duration_seconds_(sum|count|bucket\{le="(0.1|1)")|process_cpu_seconds_total|perpd_block_transactions_(sum|count))/
    console.log(
      metrics
        .split('\n')
        .filter((l) => shown.test(l))
        .join('\n'),
    )
    const intervals = times.slice(1).map((t, i) => t - (times[i] as number))
    const sorted = [...intervals].sort((a, b) => a - b)
    const p50 = percentile(sorted, 50)
    const p99 = percentile(sorted, 99)
    console.log(
      `flood: ${tally.requests} requests in ${FLOOD_MS} ms (${tally.failures} failed), ${intervals.length} intervals, ` +
        `p50 ${p50} ms, p99 ${p99} ms, top ${sorted.slice(-5).join(' ')} ms; ${included} transactions included`,
    )
    // the flood was real: requests answered, valid orders included, blocks produced throughout
    expect(tally.failures).toBe(0)
    expect(included).toBeGreaterThan(1000)
    expect(intervals.length).toBeGreaterThan((FLOOD_MS / BLOCK_TIME_MS) * 0.6)
    expect(p99).toBeLessThanOrEqual(2 * BLOCK_TIME_MS)
  }, 120_000)
})
