/**
 * @module Matching against nodejs-order-book on one seeded order stream (bench/matchingStream.ts: ~70% limit
 * orders that rest or cross, ~25% cancels of live orders, ~5% market orders, 1,000 accounts, BTC-USD ticks and
 * lots). Two rows, both against the same reference run:
 *
 * - perpd's matching core (engine book.ts + matching.ts on bigint, no margin): the like-for-like comparison,
 *   since nodejs-order-book has no margin. Target ≥ 2× the reference.
 * - perpd's full engine path (applyBlock in blocks of 1,000: authorization, nonces, margin, settlement, every
 *   index, liquidation detection), for context only: more work than the reference does per order.
 *
 * Before timing: all three produce the same trades (taker, maker, price, size, in order), perpd's core twice
 * with the same hash (determinism). Rates are operations (orders and cancels) per second, each the median of
 * RUNS runs on a fresh book, the core and the reference alternating so that a slow minute hits both.
 * Stream length: PERPD_BENCH_MATCHING_OPS (default 200,000).
 */
import { createHash } from 'node:crypto'
import type { State } from '../engine/index.ts'
import { benchGenesis } from './engineReplay.ts'
import type { Measurement, Row } from './harness.ts'
import { row } from './harness.ts'
import type { ReferenceOp } from './matchingSides.ts'
import { runEngine, runReference, toBlocks, toReferenceOp } from './matchingSides.ts'
import type { CoreOp, StreamOp, Trade } from './matchingStream.ts'
import { CoreBook, LOT, makeStream, planTrades, TICK, toCoreOp } from './matchingStream.ts'

const RUNS = 7
const ENGINE_RUNS = 3
const ACCOUNTS = 1000

function runCore(ops: readonly CoreOp[], trades?: Trade[]): CoreBook {
  const core = new CoreBook()
  for (let seq = 0; seq < ops.length; seq++) {
    const plan = core.apply(ops[seq] as CoreOp)
    if (trades !== undefined && plan !== undefined) trades.push(...planTrades(seq, plan))
  }
  return core
}

/** Both books' levels at the end, as "side price size" lines sorted (ticks and lots). */
function bookLevels(core: CoreBook): string {
  const side = (name: string, levels: typeof core.book.bids): string[] =>
    levels.map((l) => `${name} ${l.price / TICK} ${l.size / LOT}`)
  return [...side('bid', core.book.bids), ...side('ask', core.book.asks)].sort().join('\n')
}

function referenceLevels(ob: ReturnType<typeof runReference>): string {
  const [asks, bids] = ob.depth()
  const side = (name: string, levels: number[][]): string[] => levels.map(([p, v]) => `${name} ${p} ${v}`)
  return [...side('bid', bids), ...side('ask', asks)].sort().join('\n')
}

const hashTrades = (trades: Trade[]): string =>
  createHash('sha256').update(JSON.stringify(trades)).digest('hex').slice(0, 16)

function sameTrades(label: string, a: Trade[], b: Trade[]): void {
  const at = a.findIndex((t, i) => t.join() !== b[i]?.join())
  if (at >= 0 || a.length !== b.length)
    throw new Error(
      `${label}: trades differ at ${at < 0 ? Math.min(a.length, b.length) : at} (${a.length} vs ${b.length})`,
    )
}

const time = (fn: () => unknown): number => {
  const start = performance.now()
  fn()
  return performance.now() - start
}

const median = (xs: number[]): number => xs.slice().sort((a, b) => a - b)[xs.length >> 1] as number

function measurement(name: string, ops: number, times: number[]): Measurement {
  return { name, opsPerSec: (ops * 1000) / median(times), ops: ops * times.length, ms: times.reduce((a, b) => a + b) }
}

const spread = (ops: number, times: number[]): string => {
  const rate = (ms: number): string => Math.round((ops * 1000) / ms).toLocaleString('en-US')
  return `${rate(Math.max(...times))}–${rate(Math.min(...times))}/s`
}

export function matchingRows(count = Number(process.env.PERPD_BENCH_MATCHING_OPS ?? 200_000)): Row[] {
  const stream: StreamOp[] = makeStream({ ops: count, accounts: ACCOUNTS, seed: 11 })
  const coreOps = (): CoreOp[] => stream.map(toCoreOp) // fresh orders each run: the core mutates their sizes
  const refOps: ReferenceOp[] = stream.map(toReferenceOp)
  const blocks = toBlocks(stream)

  // agreement and determinism, untimed
  const coreTrades: Trade[] = []
  const coreAgain: Trade[] = []
  const refTrades: Trade[] = []
  const engineTrades: Trade[] = []
  const core = runCore(coreOps(), coreTrades)
  runCore(coreOps(), coreAgain)
  const ref = runReference(refOps, refTrades)
  const { rejected } = runEngine(benchGenesis(), blocks, engineTrades)
  const hash = hashTrades(coreTrades)
  if (hashTrades(coreAgain) !== hash) throw new Error('perpd matching core: two runs gave different trades')
  sameTrades('core vs nodejs-order-book', coreTrades, refTrades)
  if (rejected > 0) throw new Error(`engine path: ${rejected} transactions rejected`)
  sameTrades('core vs engine path', coreTrades, engineTrades)
  const resting = core.orders.size
  if (bookLevels(core) !== referenceLevels(ref)) throw new Error('the books differ at the end of the stream')

  const coreTimes: number[] = []
  const refTimes: number[] = []
  for (let i = 0; i < RUNS; i++) {
    const ops = coreOps()
    coreTimes.push(time(() => runCore(ops)))
    refTimes.push(time(() => runReference(refOps)))
  }
  const states: State[] = Array.from({ length: ENGINE_RUNS + 1 }, benchGenesis)
  runEngine(states.pop() as State, blocks) // warm-up
  const engineTimes = states.map((s) => time(() => runEngine(s, blocks)))

  const counts = { limit: 0, market: 0, cancel: 0 }
  for (const op of stream) counts[op.kind]++
  const shape =
    `${count.toLocaleString('en-US')} ops (${counts.limit} limit, ${counts.cancel} cancel, ${counts.market} market), ` +
    `${coreTrades.length} trades, ${resting} orders resting at the end; same trades on all three sides, ` +
    `core trade hash ${hash} on two runs`
  const reference = measurement('nodejs-order-book 10.1.1', count, refTimes)
  const machine = 'a shared 2-core machine'
  return [
    row(
      'matching core vs nodejs-order-book, ops/s',
      measurement('perpd book+matching (bigint)', count, coreTimes),
      reference,
      {
        target: '≥ 2×',
        note:
          `${shape}. Medians of ${RUNS} alternating runs on ${machine}: perpd ${spread(count, coreTimes)}, ` +
          `reference ${spread(count, refTimes)}. No margin on either side.`,
      },
    ),
    row(
      'full engine path vs nodejs-order-book, ops/s',
      measurement('perpd applyBlock (margin)', count, engineTimes),
      reference,
      {
        target: 'context (not like-for-like)',
        note:
          `applyBlock in blocks of 1,000 on 1,000 funded accounts, median of ${ENGINE_RUNS} replays ` +
          `(${spread(count, engineTimes)}); adds authorization, nonces, margin, settlement and indexes per order.`,
      },
    ),
  ]
}

if (import.meta.main) {
  const { printTable } = await import('./harness.ts')
  printTable(matchingRows())
}
