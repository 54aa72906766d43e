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
 *   perp_sendTransaction in it is decoded, hashed and its recovery queued at once. Each call later `take`s its
 *   own result. Admission itself (state checks, mempool) still runs call by call, in the batch's order.
 *
 * Only the signer is computed ahead, a pure function of the request: errors and their order are unchanged.
 */
import type { SignedTx, TxKind, VerifiedTx } from '../engine/index.ts'
import { decodeMessage, isTxKind, SYSTEM_KINDS, typedDataDigest } from '../engine/index.ts'
import { fromHex } from '../state/index.ts'
import type { RecoveryItem } from './signaturePacking.ts'
import type { RecoveryResult, SignaturePool } from './signaturePool.ts'
import { recoverOne } from './signaturePool.ts'
import type { VerifiedSignedTx } from './verify.ts'

/** Recoveries gathered before a flush even within one turn: one pool batch of this many is ~9 ms of work on 2 cores. */
export const MAX_GATHER = 256

export interface Prefetched {
  signed: SignedTx
  /** rejects with the SignatureError that verifySignedTx would throw */
  verified: Promise<VerifiedSignedTx>
}

export interface AdmissionSignatures {
  /** a JSON-RPC batch's requests, before its calls run: recovery of every transaction in it starts now */
  prefetch(requests: readonly unknown[]): void
  /** the prefetched transaction for exactly these params (once), or undefined */
  take(kind: string, message: unknown, signature: string): Prefetched | undefined
  /** a decoded user transaction, verified as verifySignedTx does (SignatureError on a bad signature) */
  verify(signed: SignedTx): Promise<VerifiedSignedTx>
}

interface Waiting {
  item: RecoveryItem
  resolve: (r: RecoveryResult) => void
}

export function createAdmissionSignatures(pool: SignaturePool, domainSep: Uint8Array): AdmissionSignatures {
  let waiting: Waiting[] = []
  let scheduled = false
  /** the last flush's delivery: results are handed out in the order recoveries were asked for, across flushes */
  let delivered: Promise<void> = Promise.resolve()
  /** keyed by the request's message object (the very object the call later receives from the dispatcher) */
  const ahead = new WeakMap<object, { kind: string; signature: string; prefetched: Prefetched }>()

  function flush(): void {
    scheduled = false
    const batch = waiting
    waiting = []
    if (batch.length === 0) return
    // a small batch recovered inline must not overtake a large one still in the workers
    const recovered = pool.recoverMany(batch.map((w) => w.item)).catch(() => batch.map((w) => recoverOne(w.item)))
    delivered = Promise.all([recovered, delivered]).then(([results]) => {
      for (const [i, w] of batch.entries()) w.resolve(results[i] as RecoveryResult)
    })
  }

  function recover(item: RecoveryItem): Promise<RecoveryResult> {
    return new Promise((resolve) => {
      waiting.push({ item, resolve })
      if (waiting.length >= MAX_GATHER) flush()
      else if (!scheduled) {
        scheduled = true
        setImmediate(flush)
      }
    })
  }

  async function verify(signed: SignedTx): Promise<VerifiedSignedTx> {
    const hash = typedDataDigest(domainSep, signed.kind, signed.message as never)
    const signer = await recover({ digest: hash, signature: signed.signature })
    if (signer instanceof Error) throw signer
    return { tx: { ...signed, hash, signer } as VerifiedTx, signed }
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
      for (const request of requests) {
        const p = decodable(request)
        if (p === undefined || ahead.has(p.message)) continue
        let signed: SignedTx
        try {
          signed = { ...decodeMessage(p.kind, p.message), signature: fromHex(p.signature) } as SignedTx
        } catch {
          continue // the call itself will meet this error and answer it
        }
        const verified = verify(signed)
        verified.catch(() => {}) // answered when the call takes it; a call that never runs drops it
        ahead.set(p.message, { kind: p.kind, signature: p.signature, prefetched: { signed, verified } })
      }
    },
    take(kind, message, signature) {
      if (typeof message !== 'object' || message === null) return undefined
      const entry = ahead.get(message)
      if (entry === undefined || entry.kind !== kind || entry.signature !== signature) return undefined
      ahead.delete(message)
      return entry.prefetched
    },
    verify,
  }
}
