/**
 * @module Signature recovery for RPC admission, shared across requests: so that ingest is not bound to one core,
 * the signatures of transactions that arrive together are recovered in one signature-pool batch
 * (node/signaturePool.ts) instead of one by one on the event loop.
 *
 * Two ways in:
 * - `verify`: a micro-batcher. Recoveries asked for in the same turn of the event loop (concurrent requests,
 *   whose bodies are read in one poll phase) go to the pool together when that turn ends (setImmediate), or at
 *   once when MAX_GATHER are waiting. A lone request waits one turn, not a timer: a fixed window would add its
 *   length to every request on a quiet node.
 * - `prefetch`: a JSON-RPC batch runs its calls one after another (rpc/dispatch.ts), so the batcher would see
 *   them one at a time. The dispatcher hands the batch over before it runs; every well-formed
 *   perp_sendTransaction in it is decoded, hashed and queued at once, the window as one group (one promise for
 *   the group, none per transaction). Each call later `take`s its own record and `settle`s it: at once when
 *   the group is back, else after it. Admission itself (state checks, mempool) still runs call by call, in the
 *   batch's order.
 *
 * Only the signer is computed ahead, a pure function of the request: errors and their order are unchanged.
 */
import type { SignedTx, TxKind } from '../engine/index.ts'
import { decodeMessage, isTxKind, SIGNATURE_BYTES, SYSTEM_KINDS, typedDataDigest } from '../engine/index.ts'
import { hexInto } from '../state/index.ts'
import type { RecoveryItem } from './signaturePacking.ts'
import type { RecoveryResult, SignaturePool } from './signaturePool.ts'
import { recoverOne } from './signaturePool.ts'
import type { VerifiedSignedTx } from './verify.ts'
import { withSigner } from './verify.ts'

/** Recoveries gathered before a flush even within one turn: one pool batch of this many is ~9 ms of work on 2 cores. */
export const MAX_GATHER = 256

/**
 * A transaction decoded, hashed and queued for recovery ahead of its call. Its signer is `group.results[index]`
 * once the group's recovery is back: one promise per prefetched window, not one per transaction, so what an
 * order holds while it waits for the workers is this record and not a chain of promises and async frames
 * (bench/NOTES.md, eighth pass).
 */
export interface Prefetched {
  signed: SignedTx
  /** the EIP-712 digest: the transaction's hash */
  digest: Uint8Array
  group: RecoveryGroup
  index: number
}

/** The recovery of one prefetched window: `results` is set (in item order) when `done` resolves. */
export interface RecoveryGroup {
  results: RecoveryResult[] | undefined
  done: Promise<void>
}

export interface AdmissionSignatures {
  /** a JSON-RPC batch's requests, before its calls run: recovery of every transaction in it starts now */
  prefetch(requests: readonly unknown[]): void
  /** the prefetched transaction for exactly these params (once), or undefined */
  take(kind: string, message: unknown, signature: string): Prefetched | undefined
  /** a decoded user transaction, verified as verifySignedTx does (SignatureError on a bad signature) */
  verify(signed: SignedTx): Promise<VerifiedSignedTx>
  /** a prefetched transaction, verified as verify() does, without waiting when its group is back already */
  settle(p: Prefetched): VerifiedSignedTx | Promise<VerifiedSignedTx>
}

interface Waiting {
  items: readonly RecoveryItem[]
  resolve: (r: RecoveryResult[]) => void
}

export function createAdmissionSignatures(pool: SignaturePool, domainSep: Uint8Array): AdmissionSignatures {
  let waiting: Waiting[] = []
  /** items in `waiting`, all groups together */
  let gathered = 0
  let scheduled = false
  /** the last flush's delivery: results are handed out in the order recoveries were asked for, across flushes */
  let delivered: Promise<void> = Promise.resolve()
  /** keyed by the request's message object (the very object the call later receives from the dispatcher) */
  const ahead = new WeakMap<object, { kind: string; signature: string; prefetched: Prefetched }>()

  function flush(): void {
    scheduled = false
    const batch = waiting
    waiting = []
    gathered = 0
    if (batch.length === 0) return
    const items = batch.flatMap((w) => w.items)
    // a small batch recovered inline must not overtake a large one still in the workers
    const recovered = pool.recoverMany(items).catch(() => items.map(recoverOne))
    delivered = Promise.all([recovered, delivered]).then(([results]) => {
      let at = 0
      for (const w of batch) {
        w.resolve(results.slice(at, at + w.items.length))
        at += w.items.length
      }
    })
  }

  /** Recovers `items` with whatever else is asked for in this turn; resolves with their results, in order. */
  function recover(items: readonly RecoveryItem[]): Promise<RecoveryResult[]> {
    return new Promise((resolve) => {
      waiting.push({ items, resolve })
      gathered += items.length
      if (gathered >= MAX_GATHER) flush()
      else if (!scheduled) {
        scheduled = true
        setImmediate(flush)
      }
    })
  }

  function verified(signed: SignedTx, digest: Uint8Array, signer: RecoveryResult): VerifiedSignedTx {
    if (signer instanceof Error) throw signer
    return { tx: withSigner(signed, digest, signer), signed }
  }

  async function verify(signed: SignedTx): Promise<VerifiedSignedTx> {
    const digest = typedDataDigest(domainSep, signed.kind, signed.message as never)
    const [signer] = await recover([{ digest, signature: signed.signature }])
    return verified(signed, digest, signer as RecoveryResult)
  }

  /** The call's params when they would reach signature recovery in sendTransaction, else undefined. */
  function decodable(request: unknown): { kind: TxKind; message: object; signature: string } | undefined {
    if (typeof request !== 'object' || request === null) return undefined
    const r = request as { method?: unknown; params?: unknown }
    if (r.method !== 'perp_sendTransaction' || !Array.isArray(r.params)) return undefined
    const t = r.params[0] as { kind?: unknown; message?: unknown; signature?: unknown } | undefined
    if (typeof t !== 'object' || t === null) return undefined
    const { kind, message, signature } = t
    if (typeof kind !== 'string' || !isTxKind(kind) || SYSTEM_KINDS.has(kind)) return undefined
    if (typeof message !== 'object' || message === null || typeof signature !== 'string') return undefined
    return { kind, message, signature }
  }

  return {
    prefetch(requests) {
      const items: RecoveryItem[] = []
      const group: RecoveryGroup = { results: undefined, done: Promise.resolve() }
      // the window's signatures side by side in one buffer: a 65-byte array of its own gets a malloc'd backing
      // store (over V8's 64-byte in-heap limit), ~0.8 µs each; a view of a shared buffer is one small object.
      // The buffer lives while any of its transactions does (in the mempool, then until its block is written)
      const signatures = new Uint8Array(SIGNATURE_BYTES * requests.length)
      for (const request of requests) {
        const p = decodable(request)
        if (p === undefined || ahead.has(p.message)) continue
        let signed: SignedTx
        try {
          const at = SIGNATURE_BYTES * items.length
          // a signature of another length throws here: the call's params check refuses it before recovery
          const signature = signatures.subarray(at, at + SIGNATURE_BYTES)
          hexInto(p.signature, SIGNATURE_BYTES, signature, 0)
          signed = { ...decodeMessage(p.kind, p.message), signature } as SignedTx
        } catch {
          continue // the call itself will meet this error and answer it
        }
        const digest = typedDataDigest(domainSep, signed.kind, signed.message as never)
        const prefetched: Prefetched = { signed, digest, group, index: items.length }
        items.push({ digest, signature: signed.signature })
        ahead.set(p.message, { kind: p.kind, signature: p.signature, prefetched })
      }
      if (items.length === 0) return
      // never rejects: a pool that fails is answered inline (flush)
      group.done = recover(items).then((results) => {
        group.results = results
      })
    },
    take(kind, message, signature) {
      if (typeof message !== 'object' || message === null) return undefined
      const entry = ahead.get(message)
      if (entry === undefined || entry.kind !== kind || entry.signature !== signature) return undefined
      ahead.delete(message)
      return entry.prefetched
    },
    verify,
    settle(p) {
      const finish = (): VerifiedSignedTx =>
        verified(p.signed, p.digest, (p.group.results as RecoveryResult[])[p.index] as RecoveryResult)
      return p.group.results !== undefined ? finish() : p.group.done.then(finish)
    },
  }
}
