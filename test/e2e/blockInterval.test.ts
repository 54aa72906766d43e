/**
 * With the RPC saturated, the sequencer keeps its block interval: a real `perpd start` process (rate limits off,
 * so every request does its full work) is flooded for 8 s by concurrent keep-alive clients — valid signed orders
 * in batches and singly, batched reads, transactions with flipped signature bytes (each costs a recovery),
 * malformed and oversized bodies — while it produces 100 ms blocks. The committed blocks' header times (read back
 * over RPC afterwards) must show a p99 interval of at most twice the target.
 *
 * Timed by nature (the issue asks for it); the bound is 2×, with ~80 intervals measured.
 */
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { devnetKey } from '../../node/index.ts'
import { presignedOrders, type SignedWire } from '../../scripts/rpc-fuzz-payloads.ts'
import type { CliNode } from '../support/cliNode.ts'
import { spawnCli, withTimeout, writeSequencerKeyFile } from '../support/cliNode.ts'
import { freePort, tempDir } from '../support/nodes.ts'
import { feedOracle } from '../support/oracle.ts'
import { call } from '../support/rpcClient.ts'

const BLOCK_TIME_MS = 100
const FLOOD_MS = 8_000

interface Tally {
  requests: number
  failures: number
}

async function post(url: string, body: string, tally: Tally): Promise<string> {
  try {
    const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body })
    tally.requests++
    return await res.text()
  } catch {
    tally.failures++
    return ''
  }
}

const req = (id: number, method: string, params: unknown[] = []) => ({ jsonrpc: '2.0', id, method, params })

/** Runs `next()` bodies in a loop until `until`. */
async function hammer(url: string, until: number, tally: Tally, next: () => string): Promise<void> {
  while (Date.now() < until) await post(url, next(), tally)
}

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
      count: 12_000,
      market: 0,
      price,
      size: m.minOrderSize,
      nonceBase: BigInt(Date.now()) * 1000n,
    })
    let o = 0
    const nextOrder = (): SignedWire => orders[o++ % orders.length] as SignedWire
    const flipped = (): unknown => {
      const tx = nextOrder()
      return {
        ...tx,
        signature: `${tx.signature.slice(0, 10)}${tx.signature[10] === 'a' ? 'b' : 'a'}${tx.signature.slice(11)}`,
      }
    }
    const start = await call<{ height: string }>(url, 'perp_chainInfo')
    const until = Date.now() + FLOOD_MS
    const tally: Tally = { requests: 0, failures: 0 }
    const reads = () =>
      JSON.stringify([
        req(1, 'perp_chainInfo'),
        req(2, 'perp_orderBook', [0, 50]),
        req(3, 'perp_account', ['0x90f79bf6eb2c4f870365e785982e1f101e93b906']),
        req(4, 'perp_markets'),
        req(5, 'perp_block', ['latest']),
        req(6, 'perp_proof', ['0x90f79bf6eb2c4f870365e785982e1f101e93b906', 0, 'latest']),
        ...Array.from({ length: 14 }, (_, i) => req(7 + i, 'eth_blockNumber')),
      ])
    const invalid = [
      () => JSON.stringify(Array.from({ length: 50 }, (_, i) => req(i, 'perp_sendTransaction', [flipped()]))),
      () => '{"jsonrpc":"2.0","id":1,"method":',
      () => JSON.stringify(req(1, 'perp_noSuchMethod')),
      () => JSON.stringify(Array.from({ length: 101 }, (_, i) => req(i, 'eth_chainId'))),
      () => `{"pad":"${'x'.repeat(300 * 1024)}"}`,
    ]
    let v = 0
    await Promise.all([
      // valid writes: two clients in batches of 50, one singly
      ...[0, 1].map(() =>
        hammer(url, until, tally, () =>
          JSON.stringify(Array.from({ length: 50 }, (_, i) => req(i, 'perp_sendTransaction', [nextOrder()]))),
        ),
      ),
      hammer(url, until, tally, () => JSON.stringify(req(1, 'perp_sendTransaction', [nextOrder()]))),
      // reads: three clients
      ...[0, 1, 2].map(() => hammer(url, until, tally, reads)),
      // invalid input: two clients
      ...[0, 1].map(() => hammer(url, until, tally, () => (invalid[v++ % invalid.length] as () => string)())),
    ])
    const end = await call<{ height: string }>(url, 'perp_chainInfo')

    const times: number[] = []
    let included = 0
    for (let h = BigInt(start.height) + 1n; h <= BigInt(end.height); h++) {
      const b = await call<{ time: string; transactions: string[] }>(url, 'perp_block', [h.toString()])
      times.push(Number(b.time))
      included += b.transactions.length
    }
    const intervals = times.slice(1).map((t, i) => t - (times[i] as number))
    const sorted = [...intervals].sort((a, b) => a - b)
    const p50 = percentile(sorted, 50)
    const p99 = percentile(sorted, 99)
    console.log(
      `flood: ${tally.requests} requests in ${FLOOD_MS} ms (${tally.failures} failed), ${intervals.length} intervals, ` +
        `p50 ${p50} ms, p99 ${p99} ms, max ${sorted.at(-1)} ms; ${included} transactions included`,
    )
    // the flood was real: requests answered, valid orders included, blocks produced throughout
    expect(tally.failures).toBe(0)
    expect(included).toBeGreaterThan(1000)
    expect(intervals.length).toBeGreaterThan((FLOOD_MS / BLOCK_TIME_MS) * 0.6)
    expect(p99).toBeLessThanOrEqual(2 * BLOCK_TIME_MS)
  }, 90_000)
})
