/**
 * @module Pending transactions, first come first served. Bounded: past `capacity` new transactions are
 * refused (MEMPOOL_FULL) rather than evicting older ones. Tracks each account's pending nonces so a nonce
 * cannot be used twice before its first use is included.
 */
import { messageAccount, messageNonce } from '../engine/index.ts'
import { toHex } from '../state/index.ts'
import type { VerifiedSignedTx } from './verify.ts'

export class MempoolFull extends Error {
  override name = 'MempoolFull'
}

export class Mempool {
  readonly capacity: number
  readonly #byHash = new Map<string, VerifiedSignedTx>()
  readonly #addedAt = new Map<string, number>()
  readonly #pendingNonces = new Set<string>()

  constructor(capacity: number) {
    this.capacity = capacity
  }

  get size(): number {
    return this.#byHash.size
  }

  has(hash: string): boolean {
    return this.#byHash.has(hash)
  }

  hasNonce(account: string, nonce: bigint): boolean {
    return this.#pendingNonces.has(`${account}:${nonce}`)
  }

  /** `at`: when it arrived (ms, the node's clock), for expire(). */
  add(entry: VerifiedSignedTx, at = 0): void {
    if (this.#byHash.size >= this.capacity) throw new MempoolFull(`mempool holds ${this.capacity} transactions`)
    const key = toHex(entry.tx.hash)
    this.#byHash.set(key, entry)
    this.#addedAt.set(key, at)
    const nonce = messageNonce(entry.tx)
    if (nonce !== null) this.#pendingNonces.add(`${messageAccount(entry.tx)}:${nonce}`)
  }

  /** Oldest first, at most `max`, left in the pool until `remove`. */
  peek(max: number): VerifiedSignedTx[] {
    const out: VerifiedSignedTx[] = []
    for (const entry of this.#byHash.values()) {
      if (out.length >= max) break
      out.push(entry)
    }
    return out
  }

  remove(hashes: Iterable<Uint8Array>): void {
    for (const h of hashes) {
      const key = toHex(h)
      const entry = this.#byHash.get(key)
      if (entry === undefined) continue
      this.#byHash.delete(key)
      this.#addedAt.delete(key)
      const nonce = messageNonce(entry.tx)
      if (nonce !== null) this.#pendingNonces.delete(`${messageAccount(entry.tx)}:${nonce}`)
    }
  }

  /** Drops entries added before `before` (ms); returns how many. Entries are in arrival order. */
  expire(before: number): number {
    const old: Uint8Array[] = []
    for (const [key, at] of this.#addedAt) {
      if (at >= before) break
      old.push((this.#byHash.get(key) as VerifiedSignedTx).tx.hash)
    }
    this.remove(old)
    return old.length
  }
}
