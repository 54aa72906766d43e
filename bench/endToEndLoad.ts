/**
 * @module The end-to-end load generator: JSON-RPC batches of signed transactions, serialized and UTF-8 encoded
 * before timing, sent over keep-alive HTTP (node:http, one pooled agent), either as fast as the node takes them
 * or paced at an offered rate. Answers are tallied cheaply (a result per admitted transaction; the error reasons
 * are parsed only when a body holds errors) so the generator leaves the cores to the node: it shares them, and
 * its CPU per order is in the end-to-end row's note.
 */
import { Agent, request } from 'node:http'
import { setTimeout as sleep } from 'node:timers/promises'
import type { WireTx } from './endToEndMix.ts'
import { batchBody } from './endToEndMix.ts'

export interface Batch {
  /** the request body, UTF-8 */
  body: Buffer
  hashes: string[]
}

export function toBatches(txs: readonly WireTx[], size: number): Batch[] {
  const out: Batch[] = []
  for (let i = 0; i < txs.length; i += size) {
    const part = txs.slice(i, i + size)
    out.push({ body: Buffer.from(batchBody(part), 'utf8'), hashes: part.map((t) => t.hash) })
  }
  return out
}

/**
 * Connections are kept and reused, as many as requests in flight (the paced run does not wait for answers).
 * node:http rather than fetch: fetch's streams and the body's encoding at every send cost the generator ~40% more
 * CPU per order on the cores it shares with the node (bench/NOTES.md, sixth pass).
 */
const agent = new Agent({ keepAlive: true })
const ERROR = Buffer.from('"error"')

/** POSTs `body` to `url`; resolves with the answer's bytes (any status: a JSON-RPC error is a 200 or a 4xx). */
function postBytes(url: URL, body: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': body.length } },
      (res) => {
        const chunks: Buffer[] = []
        res.on('data', (c: Buffer) => chunks.push(c))
        res.on('end', () => resolve(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks)))
        res.on('error', reject)
      },
    )
    req.on('error', reject)
    req.end(body)
  })
}

export interface SendTally {
  /** admitted into the mempool (a `result`) */
  accepted: number
  /** refused, by the error's `data.reason` (or its code) */
  refused: Map<string, number>
}

/** Posts one batch; returns the hashes admitted (answers carry the batch position as id). */
async function post(url: URL, batch: Batch, tally: SendTally): Promise<string[]> {
  const bytes = await postBytes(url, batch.body)
  if (!bytes.includes(ERROR)) {
    tally.accepted += batch.hashes.length
    return batch.hashes
  }
  const answers = JSON.parse(bytes.toString('utf8')) as {
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
  const target = new URL(url)
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
      await post(target, batch, tally)
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
  const target = new URL(url)
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
      post(target, batch, tally).then((hashes) => {
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
