/**
 * RPC fuzzer (`npm run fuzz:rpc`): sends seeded random and mutated JSON-RPC payloads to a running sequencer over
 * HTTP (and WebSocket, when the node serves /ws) and checks every answer against the JSON-RPC 2.0 rules
 * (scripts/rpc-fuzz-check.ts): a result or error object with the request's id, 413 over the body limit, nothing
 * for notifications. No payload can be admitted (scripts/rpc-fuzz-payloads.ts), so the node must end on the
 * state root it started with, still healthy. Prints counts per mutation and per answer, and the throughput.
 *
 *   node scripts/rpc-fuzz.ts [--count 100000] [--seed N] [--concurrency 8] [--url http://HOST:PORT]
 *                            [--ws 10] [--dump FILE]
 *
 * Without --url it starts its own sequencer in a worker thread (devnet genesis, temporary directory, RPC rate
 * limits off so that every payload reaches the methods). `--ws N` sends every N-th payload over WebSocket (0:
 * none); `--dump FILE` writes the bodies behind problems, one a line. Exits 1 on problems (it stops at 20), a
 * transaction included, a root moved by anything but a funding tick, or a node that is no longer healthy.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { isMainThread, parentPort, workerData } from 'node:worker_threads'
import { workerServer } from '../bench/harness.ts'
import { seededRandom } from '../engine/index.ts'
import {
  DEVNET_GENESIS_PATH,
  devnetKey,
  loadGenesis,
  type PerpNode,
  SEQUENCER_KEY_INDEX,
  startNode,
} from '../node/index.ts'
import { checkReply, type Limits } from './rpc-fuzz-check.ts'
import { type FuzzContext, nextPayload } from './rpc-fuzz-mutations.ts'
import { signedPool, validParams } from './rpc-fuzz-payloads.ts'

export interface FuzzOptions {
  url: string
  count: number
  seed: number
  /** concurrent HTTP clients (keep-alive) */
  concurrency: number
  /** every `wsEvery`-th payload goes over WebSocket when /ws answers (0: never) */
  wsEvery?: number
  limits?: Limits
}

export interface FuzzReport {
  sent: number
  overWebSocket: number
  byMutation: Record<string, number>
  /** answer kinds: HTTP status, and error codes seen in answers */
  byAnswer: Record<string, number>
  problems: string[]
  /** the whole bodies behind the problems, for replaying them */
  problemBodies: string[]
  ms: number
  rootBefore: string
  rootAfter: string
  /** blocks committed during the run, and how many transactions they held (must be 0) */
  blocks: number
  includedTransactions: number
  /** blocks with a funding tick (it moves the root without any transaction) */
  fundingBlocks: number
  healthyAfter: boolean
}

const DEFAULT_LIMITS: Limits = { bodyLimit: 256 * 1024, maxBatch: 100 }

async function post(url: string, body: string): Promise<{ status: number; text: string }> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body })
  return { status: res.status, text: await res.text() }
}

async function call<T>(url: string, method: string, params: unknown[] = []): Promise<T> {
  const { text } = await post(url, JSON.stringify({ jsonrpc: '2.0', id: 0, method, params }))
  return (JSON.parse(text) as { result: T }).result
}

interface Head {
  height: string
  stateRoot: string
}

/** The head once the chain is past height 1 (block 1 settles the first funding tick, moving the root). */
async function settledHead(url: string): Promise<Head> {
  for (;;) {
    const head = await call<Head>(url, 'perp_chainInfo')
    if (BigInt(head.height) >= 2n) return head
    await new Promise((r) => setTimeout(r, 50))
  }
}

/** Transactions and funding ticks in blocks (from, to], read in batches of 100. */
async function blocksBetween(url: string, from: bigint, to: bigint): Promise<{ txs: number; funding: number }> {
  let txs = 0
  let funding = 0
  for (let h = from + 1n; h <= to; h += 100n) {
    const batch = []
    for (let k = h; k < h + 100n && k <= to; k++)
      batch.push({ jsonrpc: '2.0', id: batch.length, method: 'perp_block', params: [k.toString()] })
    const { text } = await post(url, JSON.stringify(batch))
    for (const r of JSON.parse(text) as { result: { transactions: unknown[]; events: { type: string }[] } }[]) {
      txs += r.result.transactions.length
      if (r.result.events.some((e) => e.type === 'funding')) funding++
    }
  }
  return { txs, funding }
}

function tally(into: Record<string, number>, key: string): void {
  into[key] = (into[key] ?? 0) + 1
}

/** Counts the error codes (or results) in an answer text. */
function countAnswer(into: Record<string, number>, status: number, text: string): void {
  tally(into, `HTTP ${status}`)
  for (const m of text.matchAll(/"error":\{"code":(-?\d+)/g)) tally(into, `error ${m[1]}`)
  for (const _ of text.matchAll(/"result":/g)) tally(into, 'result')
}

/** One WebSocket connection that sends a payload and waits for its frame (or, for notifications, a sentinel's). */
async function openWs(url: string): Promise<((body: string, expectAnswer: boolean) => Promise<string>) | undefined> {
  const socket = new WebSocket(`${url.replace(/^http/, 'ws').replace(/\/$/, '')}/ws`)
  const opened = await new Promise<boolean>((resolve) => {
    socket.addEventListener('open', () => resolve(true))
    socket.addEventListener('error', () => resolve(false))
  })
  if (!opened) return undefined
  const frames: string[] = []
  let wake: (() => void) | undefined
  socket.addEventListener('message', (e) => {
    const text = String(e.data)
    if (text.includes('"method":"perp_subscription"')) return // a subscription a valid payload made
    frames.push(text)
    wake?.()
  })
  const next = async (): Promise<string> => {
    while (frames.length === 0) {
      const woke = new Promise<void>((r) => {
        wake = r
      })
      const timeout = new Promise<void>((r) => setTimeout(r, 5000).unref())
      await Promise.race([woke, timeout])
      if (frames.length === 0 && socket.readyState !== WebSocket.OPEN) return '<closed>'
      if (frames.length === 0) return '<no answer in 5 s>'
    }
    return frames.shift() as string
  }
  return async (body, expectAnswer) => {
    socket.send(body)
    if (expectAnswer) return next()
    socket.send('{"jsonrpc":"2.0","id":"sentinel","method":"eth_chainId"}')
    const frame = await next()
    return frame.includes('"id":"sentinel"') ? '' : frame
  }
}

export async function runFuzz(o: FuzzOptions): Promise<FuzzReport> {
  const limits = o.limits ?? DEFAULT_LIMITS
  const doc = await call<{ methods: { name: string; servers?: unknown[] }[] }>(o.url, 'rpc.discover')
  const httpMethods = doc.methods.filter((m) => m.servers === undefined).map((m) => m.name)
  const rand = seededRandom(o.seed)
  const missing = doc.methods.filter(
    (m) => validParams(m.name, rand, []) === undefined && m.name !== 'perp_sendTransaction',
  )
  // a method added without a template here is still fuzzed, with junk params only
  if (missing.length > 0) console.log(`warning: no valid request known for ${missing.map((m) => m.name).join(', ')}`)
  const chainId = Number(await call<string>(o.url, 'eth_chainId'))
  const ctx: FuzzContext = { rand, methods: httpMethods, pool: signedPool(o.seed, chainId, 16), ...limits }
  const before = await settledHead(o.url)
  const ws = (o.wsEvery ?? 10) > 0 ? await openWs(o.url) : undefined
  const wsCtx: FuzzContext = { ...ctx, methods: doc.methods.map((m) => m.name) }
  const report: FuzzReport = {
    sent: 0,
    overWebSocket: 0,
    byMutation: {},
    byAnswer: {},
    problems: [],
    problemBodies: [],
    ms: 0,
    rootBefore: before.stateRoot,
    rootAfter: '',
    blocks: 0,
    includedTransactions: 0,
    fundingBlocks: 0,
    healthyAfter: false,
  }
  const started = performance.now()
  let issued = 0
  const problem = (what: string, mutation: string, body: string): void => {
    if (report.problems.length < 20)
      report.problems.push(`${mutation}: ${what}; body ${JSON.stringify(body.slice(0, 200))}`)
  }
  const wsCount = ws === undefined ? 0 : Math.floor(o.count / (o.wsEvery ?? 10))
  const httpLoop = async (): Promise<void> => {
    while (issued < o.count - wsCount && report.problems.length < 20) {
      issued++
      const { mutation, body } = nextPayload(ctx)
      tally(report.byMutation, mutation)
      report.sent++
      const { status, text } = await post(o.url, body).catch((e: unknown) => ({ status: 0, text: String(e) }))
      countAnswer(report.byAnswer, status, text)
      const bad = checkReply(body, status, text, limits)
      if (bad !== undefined) {
        problem(bad, mutation, body)
        if (report.problemBodies.length < 20) report.problemBodies.push(body)
      }
    }
  }
  await Promise.all(Array.from({ length: o.concurrency }, httpLoop))
  if (ws !== undefined) report.overWebSocket = await wsRun(ws, wsCtx, wsCount, report, limits)
  report.ms = performance.now() - started
  // let the blocks that were being produced land, then compare
  await new Promise((r) => setTimeout(r, 500))
  const after = await call<Head>(o.url, 'perp_chainInfo')
  report.rootAfter = after.stateRoot
  const inBlocks = await blocksBetween(o.url, BigInt(before.height), BigInt(after.height))
  report.blocks = Number(BigInt(after.height) - BigInt(before.height))
  report.includedTransactions = inBlocks.txs
  report.fundingBlocks = inBlocks.funding
  report.healthyAfter = (await fetch(`${o.url.replace(/\/$/, '')}/health`)).status === 200
  return report
}

async function wsRun(
  send: (body: string, expectAnswer: boolean) => Promise<string>,
  ctx: FuzzContext,
  count: number,
  report: FuzzReport,
  limits: Limits,
): Promise<number> {
  let sent = 0
  while (sent < count && report.problems.length < 20) {
    const { mutation, body } = nextPayload(ctx)
    // over WebSocket an oversized body is a frame-size matter (tested apart): another payload takes its place
    if (Buffer.byteLength(body) > limits.bodyLimit) continue
    tally(report.byMutation, mutation)
    report.sent++
    sent++
    const frame = await send(body, checkReply(body, 204, '', limits) !== undefined)
    const bad = frame === '' ? checkReply(body, 204, '', limits) : checkReply(body, 200, frame, limits)
    if (bad !== undefined && report.problemBodies.length < 20) report.problemBodies.push(body)
    if (bad !== undefined && report.problems.length < 20)
      report.problems.push(`ws ${mutation}: ${bad}; body ${JSON.stringify(body.slice(0, 200))}`)
    countAnswer(report.byAnswer, 0, frame)
  }
  return sent
}

/** No problem, no transaction included, the root unchanged (unless a funding tick moved it), the node healthy. */
export function fuzzPassed(r: FuzzReport): boolean {
  const rootHeld = r.rootBefore === r.rootAfter || r.fundingBlocks > 0
  return r.problems.length === 0 && r.includedTransactions === 0 && rootHeld && r.healthyAfter
}

export function printReport(r: FuzzReport): void {
  const rate = (r.sent * 1000) / r.ms
  console.log(
    `sent ${r.sent} payloads (${r.overWebSocket} over WebSocket) in ${(r.ms / 1000).toFixed(1)} s: ${Math.round(rate)}/s`,
  )
  console.log(
    `mutations: ${Object.entries(r.byMutation)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}`,
  )
  console.log(
    `answers: ${Object.entries(r.byAnswer)
      .sort()
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}`,
  )
  console.log(
    `state root before ${r.rootBefore}, after ${r.rootAfter}; ${r.blocks} blocks meanwhile holding ` +
      `${r.includedTransactions} transactions (${r.fundingBlocks} with a funding tick); healthy after: ${r.healthyAfter}`,
  )
  for (const p of r.problems) console.log(`PROBLEM ${p}`)
}

/**
 * The sequencer under test runs in a worker thread of this script, so the payloads are made and checked on one
 * core while the node answers on the other.
 */
function startNodeWorker(dir: string): Promise<{ url: string; stop: () => Promise<void> }> {
  return workerServer(new URL(import.meta.url), { fuzzNodeDir: dir })
}

async function serveNodeInWorker(dir: string): Promise<void> {
  const node = await startOwnSequencer(dir)
  parentPort?.once('message', () => {
    void node.stop().then(() => process.exit(0))
  })
  parentPort?.postMessage(node.rpcUrl)
}

async function startOwnSequencer(dir: string): Promise<PerpNode> {
  return startNode({
    role: 'sequencer',
    genesis: loadGenesis(DEVNET_GENESIS_PATH),
    dataDir: dir,
    rpcHost: '127.0.0.1',
    rpcPort: 0,
    p2pListen: ['/ip4/127.0.0.1/tcp/0'],
    bootstrap: [],
    signingKey: devnetKey(SEQUENCER_KEY_INDEX).privateKey,
    blockTimeMs: 100,
    rpcLimits: 'off',
  })
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      count: { type: 'string', default: '100000' },
      seed: { type: 'string', default: String(Date.now() % 1_000_000) },
      concurrency: { type: 'string', default: '8' },
      url: { type: 'string' },
      ws: { type: 'string', default: '10' },
      dump: { type: 'string' },
    },
  })
  const dir = values.url === undefined ? mkdtempSync(join(tmpdir(), 'perpd-fuzz-')) : undefined
  const node = dir === undefined ? undefined : await startNodeWorker(dir)
  const url = values.url ?? (node as { url: string }).url
  console.log(`fuzzing ${url} with seed ${values.seed}`)
  try {
    const r = await runFuzz({
      url,
      count: Number(values.count),
      seed: Number(values.seed),
      concurrency: Number(values.concurrency),
      wsEvery: Number(values.ws),
    })
    printReport(r)
    if (values.dump !== undefined && r.problemBodies.length > 0) {
      writeFileSync(values.dump, `${r.problemBodies.join('\n')}\n`)
      console.log(`wrote the ${r.problemBodies.length} bodies behind the problems to ${values.dump}, one a line`)
    }
    if (!fuzzPassed(r)) process.exitCode = 1
  } finally {
    await node?.stop()
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true })
  }
}

const fuzzNodeDir = (workerData as { fuzzNodeDir?: string } | null)?.fuzzNodeDir
if (!isMainThread && fuzzNodeDir !== undefined) await serveNodeInWorker(fuzzNodeDir)
else if (import.meta.main) await main()
