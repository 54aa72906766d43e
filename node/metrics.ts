/**
 * @module The node's metrics, Lodestar style: chain, sequencer, follower and RPC code call the typed methods of
 * `NodeMetrics`; only this file knows prom-client (and node/callLatencies.ts the shape of its histograms). Each
 * node owns its own Registry (never the global one), so several nodes in one process (the devnet, tests) keep
 * separate figures. `GET /metrics` serves `text()`.
 *
 * Gauges read their sources when scraped (mempool size, peers, head, insurance fund, alarm), so they cost
 * nothing between scrapes. Names and units are listed in docs/rpc.md, Metrics.
 */
import type { Metric } from 'prom-client'
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client'
import type { BlockResult } from '../engine/index.ts'
import type { RpcMetrics, RpcOutcome } from '../rpc/index.ts'
import { CallLatencies } from './callLatencies.ts'
import type { AlarmKind } from './evidence.ts'
import { ALARM_KINDS } from './evidence.ts'

/** What the block paths report. */
export interface BlockMetrics {
  /** a block built, executed, signed and committed by the sequencer: wall seconds, transactions in it */
  blockProduced(seconds: number, transactions: number): void
  /** a block verified, re-executed and committed by a validator */
  blockImported(seconds: number, transactions: number): void
  /** a committed block's liquidation events, counted by type */
  blockCommitted(result: BlockResult): void
}

export interface NodeMetrics extends BlockMetrics, RpcMetrics {
  /** the Prometheus text exposition of this node's registry */
  text(): Promise<{ contentType: string; body: string }>
  readonly registry: Registry
}

/** Read when scraped. */
export interface MetricSources {
  mempoolSize(): number
  peers(): number
  headHeight(): bigint
  /** USDC base units (6 decimals) */
  insuranceFund(): bigint
  /** the standing alarm's kind, or null */
  alarm(): AlarmKind | null
}

export const LIQUIDATION_EVENTS = [
  'auctionStarted',
  'auctionReset',
  'auctionFill',
  'insuranceTakeover',
  'deleveraged',
] as const

/** seconds: block work is ~1 ms (empty) to ~300 ms (5,000 transactions) on the machines we measured */
const BLOCK_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5]
const TX_BUCKETS = [0, 1, 10, 50, 100, 250, 500, 1000, 2500, 5000]
/** seconds: a read is ~50 µs, a transaction's admission ~100 µs, a proof a few ms */
const RPC_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.1, 0.5]

export function createNodeMetrics(sources: MetricSources): NodeMetrics {
  const registry = new Registry()
  const registers = [registry]
  // the process's own figures (CPU, memory, event-loop delay, GC): a node whose loop lags misses its block ticks
  collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: 10 })
  const blockSeconds = new Histogram({
    name: 'perpd_block_processing_seconds',
    help: 'Wall time to produce (sequencer) or import (validator) a block, execution to commit',
    labelNames: ['kind'] as const,
    buckets: BLOCK_BUCKETS,
    registers,
  })
  const blockTxs = new Histogram({
    name: 'perpd_block_transactions',
    help: 'Transactions per committed block',
    buckets: TX_BUCKETS,
    registers,
  })
  const rpcSeconds = new CallLatencies(
    'perpd_rpc_request_duration_seconds',
    'JSON-RPC call latency by method and outcome (a batch counts each element)',
    RPC_BUCKETS,
  )
  // a histogram of prom-client's shape, not one of its classes (node/callLatencies.ts): the registry reads only
  // its name, type, help and get()
  registry.registerMetric(rpcSeconds as unknown as Metric)
  const limited = new Counter({
    name: 'perpd_rpc_rate_limited_total',
    help: 'JSON-RPC requests refused by a rate limit (scope ip or account; batch elements counted)',
    labelNames: ['scope'] as const,
    registers,
  })
  const liquidations = new Counter({
    name: 'perpd_liquidation_events_total',
    help: 'Liquidation events in committed blocks, by event type',
    labelNames: ['type'] as const,
    registers,
  })
  for (const type of LIQUIDATION_EVENTS) liquidations.inc({ type }, 0)
  new Gauge({
    name: 'perpd_mempool_transactions',
    help: 'Transactions in the mempool',
    registers,
    collect() {
      this.set(sources.mempoolSize())
    },
  })
  new Gauge({
    name: 'perpd_peers',
    help: 'Connected libp2p peers',
    registers,
    collect() {
      this.set(sources.peers())
    },
  })
  new Gauge({
    name: 'perpd_head_height',
    help: 'Height of the head block',
    registers,
    collect() {
      this.set(Number(sources.headHeight()))
    },
  })
  new Gauge({
    name: 'perpd_insurance_fund_usdc',
    help: "Insurance fund balance in USDC (a float for display; the chain's value is exact in base units)",
    registers,
    collect() {
      this.set(Number(sources.insuranceFund()) / 1e6)
    },
  })
  new Gauge({
    name: 'perpd_alarm',
    help: '1 while the node holds fraud evidence of this kind (it has stopped following), else 0',
    labelNames: ['kind'] as const,
    registers,
    collect() {
      const alarm = sources.alarm()
      for (const kind of ALARM_KINDS) this.set({ kind }, alarm === kind ? 1 : 0)
    },
  })

  const block = (kind: 'produce' | 'import') => (seconds: number, transactions: number) => {
    blockSeconds.observe({ kind }, seconds)
    blockTxs.observe(transactions)
  }
  return {
    registry,
    blockProduced: block('produce'),
    blockImported: block('import'),
    blockCommitted(result) {
      // visited where they lie rather than gathered into one array: a block has about one event per order
      const count = (events: readonly { type: string }[]): void => {
        for (const e of events)
          if ((LIQUIDATION_EVENTS as readonly string[]).includes(e.type)) liquidations.inc({ type: e.type })
      }
      count(result.events)
      for (const r of result.receipts) if (r.events !== undefined) count(r.events)
    },
    request(method: string, outcome: RpcOutcome, seconds: number) {
      rpcSeconds.observe(method, outcome, seconds)
    },
    limited(scope, requests) {
      limited.inc({ scope }, requests)
    },
    async text() {
      return { contentType: registry.contentType, body: await registry.metrics() }
    },
  }
}
