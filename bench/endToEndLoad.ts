/**
 * @module The end-to-end load generator: pre-serialized JSON-RPC batches of signed transactions sent over
 * keep-alive HTTP (Node's fetch pools connections per origin), either as fast as the node takes them or paced
 * at an offered rate. Answers are tallied cheaply (a result per admitted transaction; the error reasons are
 * parsed only when a body holds errors) so the generator leaves the cores to the node.
 */
import { setTimeout as sleep } from 'node:timers/promises'
import type { WireTx } from './endToEndMix.ts'
import { batchBody } from './endToEndMix.ts'

export interface Batch {
  body: string
  hashes: string[]
}

export function toBatches(txs: readonly WireTx[], size: number): Batch[] {
  const out: Batch[] = []
  for (let i = 0; i < txs.length; i += size) {
    const part = txs.slice(i, i + size)
    out.push({ body: batchBody(part), hashes: part.map((t) => t.hash) })
  }
  return out
}

export interface SendTally {
  /** admitted into the mempool (a `result`) */
  accepted: number
  /** refused, by the error's `data.reason` (or its code) */
  refused: Map<string, number>
}

/** Posts one batch; returns the hashes admitted (answers carry the batch position as id). */
async function post(url: string, batch: Batch, tally: SendTally): Promise<string[]> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: batch.body })
  const text = await res.text()
  if (!text.includes('"error"')) {
    tally.accepted += batch.hashes.length
    return batch.hashes
  }
  const answers = JSON.parse(text) as {
    id: number
    result?: unknown
    error?: { code: number; data?: { reason?: string } }
  }[]
  const admitted: string[] = []
  for (const a of Array.isArray(answers) ? answers : [answers]) {
    if (a.error === undefined) {
      admitted.push(batch.hashes[a.id] as string)
      continue
    }
    const reason = a.error.data?.reason ?? String(a.error.code)
    tally.refused.set(reason, (tally.refused.get(reason) ?? 0) + 1)
  }
  tally.accepted += admitted.length
  return admitted
}

export interface SustainOptions {
  clients: number
  /** ms sent before the measured window opens */
  warmupMs: number
  windowMs: number
  /** clients pause while more than this many admitted transactions are not yet in a block */
  backlog: number
  /** transactions in blocks since the run began (from the heads) */
  includedSoFar: () => number
}

export interface SustainResult extends SendTally {
  /** performance.now() of the measured window */
  from: number
  to: number
  /** the pre-signed batches ran out before the window ended (the window is cut there) */
  ranOut: boolean
}

/**
 * `clients` loops each send the next unsent batch and wait for its answer, until the window ends or the batches
 * run out; a loop holds back while the node has `backlog` admitted transactions still waiting for a block, so
 * the mempool never fills and no signed order is wasted on MEMPOOL_FULL.
 */
export async function sustain(url: string, batches: readonly Batch[], o: SustainOptions): Promise<SustainResult> {
  const tally: SendTally = { accepted: 0, refused: new Map() }
  let next = 0
  const start = performance.now()
  const from = start + o.warmupMs
  let to = from + o.windowMs
  let ranOut = false
  const loop = async (): Promise<void> => {
    while (performance.now() < to) {
      if (tally.accepted - o.includedSoFar() > o.backlog) {
        await sleep(2)
        continue
      }
      const batch = batches[next++]
      if (batch === undefined) {
        if (!ranOut) to = Math.max(from, performance.now())
        ranOut = true
        return
      }
      await post(url, batch, tally)
    }
  }
  await Promise.all(Array.from({ length: o.clients }, loop))
  return { ...tally, from, to, ranOut }
}

export interface PacedResult extends SendTally {
  /** performance.now() at which each transaction's batch was sent, by hash (noted before the send) */
  submittedAt: Map<string, number>
  /** performance.now() at which each admitted transaction's batch was answered, by hash */
  answeredAt: Map<string, number>
  admitted: Set<string>
  /** ms the sender fell behind its schedule at worst (the generator's own lag) */
  maxLagMs: number
  /** ms from the first send to one tick after the last */
  sendMs: number
}

/**
 * One batch every `tickMs` on an absolute schedule (a late tick is sent at once, not skipped), without waiting
 * for answers: the offered rate is batch size / tickMs whatever the node does.
 */
export async function paced(url: string, batches: readonly Batch[], tickMs: number): Promise<PacedResult> {
  const tally: SendTally = { accepted: 0, refused: new Map() }
  const submittedAt = new Map<string, number>()
  const answeredAt = new Map<string, number>()
  const admitted = new Set<string>()
  const inFlight: Promise<void>[] = []
  const start = performance.now()
  let maxLagMs = 0
  for (const [k, batch] of batches.entries()) {
    const due = start + k * tickMs
    const wait = due - performance.now()
    if (wait > 0) await sleep(wait)
    const sentAt = performance.now()
    maxLagMs = Math.max(maxLagMs, sentAt - due)
    for (const hash of batch.hashes) submittedAt.set(hash, sentAt)
    inFlight.push(
      post(url, batch, tally).then((hashes) => {
        const answered = performance.now()
        for (const hash of hashes) {
          admitted.add(hash)
          answeredAt.set(hash, answered)
        }
      }),
    )
  }
  // the schedule's span: batches.length ticks, the last one sent at its start
  const sendMs = performance.now() - start + tickMs
  await Promise.all(inFlight)
  return { ...tally, submittedAt, answeredAt, admitted, maxLagMs, sendMs }
}
