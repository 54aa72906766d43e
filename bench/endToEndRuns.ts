/**
 * @module The two end-to-end runs against a running sequencer, both judged by inclusion as a client sees it
 * (bench/endToEndHeads.ts):
 * - sustained: keep-alive clients send batches as fast as the node takes them; the rate is the bench's
 *   transactions in blocks whose heads arrived inside the window, per second;
 * - paced: batches on a fixed schedule (an offered rate); each admitted transaction's latency is the arrival of
 *   the head of the block that holds it minus the moment its batch was sent.
 */
import { setTimeout as sleep } from 'node:timers/promises'
import type { HeadWatcher } from './endToEndHeads.ts'
import type { Batch, SendTally, SustainOptions } from './endToEndLoad.ts'
import { paced, sustain } from './endToEndLoad.ts'

/** Arrival times (performance.now(), ms) of the heads whose blocks hold each included hash. */
export function inclusionTimes(watcher: HeadWatcher): Map<string, number> {
  const at = new Map<string, number>()
  watcher.onIncluded((hash, arrivedAt) => at.set(hash, arrivedAt))
  return at
}

/** Transactions in all blocks seen so far (from the heads, at once; includes the oracle's reports). */
export function includedSoFar(watcher: HeadWatcher): () => number {
  return () => {
    let n = 0
    for (const h of watcher.heads) n += h.transactionCount
    return n
  }
}

/**
 * Waits until the node's mempool has drained: two successive heads holding at most `idle` transactions (the
 * oracle's), or `timeoutMs`. Returns false on the timeout.
 */
export async function drained(watcher: HeadWatcher, idle: number, timeoutMs: number): Promise<boolean> {
  const deadline = performance.now() + timeoutMs
  const from = watcher.heads.length
  while (performance.now() < deadline) {
    const recent = watcher.heads.slice(Math.max(from, watcher.heads.length - 2))
    if (recent.length === 2 && recent.every((h) => h.transactionCount <= idle)) {
      await watcher.settled()
      return true
    }
    await sleep(50)
  }
  await watcher.settled()
  return false
}

export interface SustainedRun extends SendTally {
  /** bench transactions in blocks whose heads arrived in the window */
  included: number
  ms: number
  blocks: number
  ranOut: boolean
}

export async function sustainedRun(
  url: string,
  batches: readonly Batch[],
  watcher: HeadWatcher,
  at: Map<string, number>,
  o: Omit<SustainOptions, 'includedSoFar'>,
): Promise<SustainedRun> {
  const counted = includedSoFar(watcher)
  const ours = new Set(batches.flatMap((b) => b.hashes))
  const r = await sustain(url, batches, { ...o, includedSoFar: counted })
  await sleep(50) // a head that arrived at the window's end is noted before its transactions are read
  await watcher.settled()
  let included = 0
  for (const [hash, t] of at) if (t >= r.from && t <= r.to && ours.has(hash)) included++
  const blocks = watcher.heads.filter((h) => h.arrivedAt >= r.from && h.arrivedAt <= r.to).length
  return { accepted: r.accepted, refused: r.refused, included, ms: r.to - r.from, blocks, ranOut: r.ranOut }
}

export interface LatencyRun extends SendTally {
  offered: number
  /** submit → head arrival of each admitted and included transaction, ms, ascending */
  latencies: number[]
  /**
   * submit → the batch's answer (admission: HTTP, parsing, signature recovery, the engine's checks), ms, ascending,
   * of the same transactions: the part of `latencies` spent before the mempool
   */
  admission: number[]
  /** admitted but not in a block by the end of the drain */
  missing: number
  sendMs: number
  maxLagMs: number
  /** included transactions per second from the first send to the last inclusion: what the node took */
  includedRate: number
}

export async function latencyRun(
  url: string,
  batches: readonly Batch[],
  tickMs: number,
  watcher: HeadWatcher,
  at: Map<string, number>,
  drainMs: number,
): Promise<LatencyRun> {
  const offered = batches.reduce((n, b) => n + b.hashes.length, 0)
  const start = performance.now()
  const r = await paced(url, batches, tickMs)
  await drained(watcher, 3, drainMs)
  const latencies: number[] = []
  const admission: number[] = []
  let missing = 0
  let last = start
  for (const hash of r.admitted) {
    const included = at.get(hash)
    if (included === undefined) missing++
    else {
      const submitted = r.submittedAt.get(hash) as number
      latencies.push(included - submitted)
      admission.push((r.answeredAt.get(hash) as number) - submitted)
      last = Math.max(last, included)
    }
  }
  latencies.sort((a, b) => a - b)
  admission.sort((a, b) => a - b)
  return {
    accepted: r.accepted,
    refused: r.refused,
    offered,
    latencies,
    admission,
    missing,
    sendMs: r.sendMs,
    maxLagMs: r.maxLagMs,
    includedRate: (latencies.length * 1000) / Math.max(1, last - start),
  }
}

/** "NONCE_TOO_LOW 12, ORDER_NOT_FOUND 340" */
export function refusals(refused: Map<string, number>): string {
  if (refused.size === 0) return 'none refused'
  return [...refused].map(([reason, n]) => `${reason} ${n.toLocaleString('en-US')}`).join(', ')
}
