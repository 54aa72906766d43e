/**
 * @module A pool of worker threads that recovers secp256k1 signers in batches (DESIGN §3: "batched, on worker
 * threads where it pays"). `recoverMany` answers exactly what `recoverSigner` answers on the main thread, item
 * by item and in order: the signer's address, or the SignatureError it would throw (same message).
 *
 * A batch is cut into one chunk per worker; each chunk travels as one transferred buffer of fixed records
 * (node/signaturePacking.ts). A round trip to a worker costs tens of microseconds and a recovery ~70 µs, so a
 * batch below `inlineBelow` items is recovered on the calling thread (bench/signaturePool.ts measures where the
 * pool starts to pay). With 0 workers, or once stopped, everything runs inline: a stopped pool still answers.
 *
 * Idle workers are unref'd, so a pool nobody stopped does not keep a process alive; a worker with work in hand
 * is ref'd, so an awaited batch is never cut short by the process exiting. A worker that dies has its chunks
 * recovered inline and leaves the pool.
 */
import { availableParallelism } from 'node:os'
import { Worker } from 'node:worker_threads'
import type { Address } from '../engine/index.ts'
import type { RecoveryItem } from './signaturePacking.ts'
import { addressAt, packable, packRecords } from './signaturePacking.ts'
import { recoverSigner, SignatureError } from './signatures.ts'
import type { ChunkAnswer, StopRequest, WorkerStart } from './signatureWorker.ts'

export type { RecoveryItem } from './signaturePacking.ts'
export type RecoveryResult = Address | SignatureError

export interface SignaturePoolOptions {
  /** worker threads; default os.availableParallelism(); 0 recovers everything on the calling thread */
  workers?: number
  /** batches with fewer items than this run on the calling thread (default INLINE_BELOW) */
  inlineBelow?: number
  /** the workers' nice value, 0–19 (default WORKER_NICE; applied on Linux only, see there) */
  nice?: number
}

export interface SignaturePool {
  readonly workers: number
  recoverMany(items: readonly RecoveryItem[]): Promise<RecoveryResult[]>
  /**
   * Ends the workers: each finishes the chunks it holds and exits by itself; one that has not within
   * STOP_GRACE_MS is terminated. Resolves with how many had to be terminated.
   */
  stop(): Promise<{ forced: number }>
}

/**
 * How long stop() lets a worker finish its chunks (a full chunk is ~1,000 recoveries, ~0.1 s) before terminating
 * it. terminate() cuts a thread wherever it is; a native addon interrupted while it loads can abort the process
 * (seen once in a test that restarts a node before every block: "terminate called after throwing Napi::Error").
 */
export const STOP_GRACE_MS = 5_000

/**
 * Below this many items a batch is recovered inline. A chunk's round trip measured ~60–120 µs here (post,
 * wake, clone the answer back), about one recovery; with 2 workers a batch of 8 saves ~4 recoveries of wall
 * time at best, and less on a machine whose cores are busy (bench/NOTES.md, signature pool).
 */
export const INLINE_BELOW = 8

/**
 * The workers' scheduling priority: nice 10, below the main thread's 0. On a machine whose cores are all busy the
 * event loop (RPC, admission, block production) is the node's one serial path, and it lost a third of its time
 * waiting for a core behind the workers, whose queued recoveries can wait without harm. At nice 10 the kernel
 * gives a busy main thread ~90% of a core it shares with one worker. End to end it took 8,000–8,800 included
 * orders/s to 9,300–9,400/s (bench/NOTES.md). Linux only: there a nice value belongs to the thread; elsewhere it
 * would lower the whole process, so it is not set.
 */
export const WORKER_NICE = 10

/** One item on the calling thread, as recoverSigner decides it. */
export function recoverOne(item: RecoveryItem): RecoveryResult {
  try {
    return recoverSigner(item.digest, item.signature)
  } catch (e) {
    if (e instanceof SignatureError) return e
    return new SignatureError(e instanceof Error ? e.message : String(e))
  }
}

/** a chunk in a worker's hands: resolved with its answer, or undefined when the worker died or stopped */
type Job = (answer: ChunkAnswer | undefined) => void

interface Slot {
  worker: Worker
  jobs: Map<number, Job>
  dead: boolean
}

export function createSignaturePool(options: SignaturePoolOptions = {}): SignaturePool {
  const size = Math.max(0, Math.floor(options.workers ?? availableParallelism()))
  const inlineBelow = options.inlineBelow ?? INLINE_BELOW
  const nice = options.nice ?? WORKER_NICE
  if (!(Number.isInteger(nice) && nice >= 0 && nice <= 19)) throw new RangeError(`nice ${nice} is not 0 to 19`)
  let nextId = 0
  let stopped = false
  const slots: Slot[] = []

  function settleAll(slot: Slot): void {
    slot.dead = true
    const i = slots.indexOf(slot)
    if (i >= 0) slots.splice(i, 1)
    // a chunk whose worker is gone is answered inline by the caller (undefined answer)
    for (const job of slot.jobs.values()) job(undefined)
    slot.jobs.clear()
  }

  for (let i = 0; i < size; i++) {
    const workerData: WorkerStart = { nice: process.platform === 'linux' ? nice : 0 }
    const worker = new Worker(new URL('./signatureWorker.ts', import.meta.url), { workerData })
    const slot: Slot = { worker, jobs: new Map(), dead: false }
    worker.unref()
    worker.on('message', (answer: ChunkAnswer) => {
      const job = slot.jobs.get(answer.id)
      if (job === undefined) return
      slot.jobs.delete(answer.id)
      if (slot.jobs.size === 0) worker.unref()
      job(answer)
    })
    worker.on('error', () => settleAll(slot))
    worker.on('exit', () => settleAll(slot))
    slots.push(slot)
  }

  /** Asks the worker to end after its chunks; true when it had to be terminated instead. */
  function endWorker(slot: Slot): Promise<boolean> {
    return new Promise((resolve) => {
      if (slot.dead) return resolve(false)
      const timer = setTimeout(() => {
        resolve(true)
        void slot.worker.terminate()
      }, STOP_GRACE_MS)
      slot.worker.once('exit', () => {
        clearTimeout(timer)
        resolve(false)
      })
      slot.worker.ref() // the process waits for a clean end
      const stop: StopRequest = { stop: true }
      slot.worker.postMessage(stop)
    })
  }

  function send(slot: Slot, bytes: ArrayBuffer): Promise<ChunkAnswer | undefined> {
    return new Promise((resolve) => {
      const id = nextId++
      slot.jobs.set(id, resolve)
      if (slot.jobs.size === 1) slot.worker.ref()
      slot.worker.postMessage({ id, bytes }, [bytes])
    })
  }

  async function recoverMany(items: readonly RecoveryItem[]): Promise<RecoveryResult[]> {
    const out: RecoveryResult[] = new Array(items.length)
    const live = slots.filter((s) => !s.dead)
    if (stopped || live.length === 0 || items.length < inlineBelow) {
      for (let i = 0; i < items.length; i++) out[i] = recoverOne(items[i] as RecoveryItem)
      return out
    }
    const travelling: number[] = []
    for (let i = 0; i < items.length; i++) {
      const item = items[i] as RecoveryItem
      if (packable(item)) travelling.push(i)
      else out[i] = recoverOne(item) // malformed lengths fail fast here, with recoverSigner's own message
    }
    const per = Math.ceil(travelling.length / live.length)
    const pending: Promise<void>[] = []
    for (let c = 0; c < live.length; c++) {
      const indexes = travelling.slice(c * per, (c + 1) * per)
      if (indexes.length === 0) continue
      const bytes = packRecords(items, indexes)
      pending.push(
        send(live[c] as Slot, bytes).then((answer) => {
          if (answer === undefined) {
            for (const i of indexes) out[i] = recoverOne(items[i] as RecoveryItem)
            return
          }
          for (let k = 0; k < indexes.length; k++) out[indexes[k] as number] = addressAt(answer.addresses, k)
          for (const [k, message] of answer.errors) out[indexes[k] as number] = new SignatureError(message)
        }),
      )
    }
    await Promise.all(pending)
    return out
  }

  return {
    get workers() {
      return slots.length
    },
    recoverMany,
    async stop() {
      if (stopped) return { forced: 0 }
      stopped = true
      const forced = await Promise.all(slots.map(endWorker))
      for (const s of [...slots]) settleAll(s)
      return { forced: forced.filter(Boolean).length }
    },
  }
}
