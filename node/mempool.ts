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

/** The account already has a pending transaction with this nonce. */
export class NonceTaken extends Error {
  override name = 'NonceTaken'
}

/** A pending transaction with the keys it is filed under, made once when it arrives. */
interface Pending {
  entry: VerifiedSignedTx
  /** toHex of its hash: its key in #pending */
  key: string
  /** arrival (ms), for expire() */
  at: number
  /** `${account}:${nonce}` in #pendingNonces, or null for a kind without a nonce */
  nonceKey: string | null
}

export class Mempool {
  readonly capacity: number
  /** by toHex(hash), in arrival order: one map for the entry and its arrival time, so a removal deletes once */
  readonly #pending = new Map<string, Pending>()
  readonly #pendingNonces = new Set<string>()

  constructor(capacity: number) {
    this.capacity = capacity
  }

  get size(): number {
    return this.#pending.size
  }

  has(hash: string): boolean {
    return this.#pending.has(hash)
  }

  hasNonce(account: string, nonce: bigint): boolean {
    return this.#pendingNonces.has(`${account}:${nonce}`)
  }

  /**
   * `at`: when it arrived (ms, the node's clock), for expire(). `key`: toHex of its hash, when the caller has made
   * it already (admission has, to look for a duplicate first). Refuses another transaction with a nonce its account
   * already has pending (NonceTaken), then any past the capacity (MempoolFull); either way nothing is added.
   */
  add(entry: VerifiedSignedTx, at = 0, key = toHex(entry.tx.hash)): void {
    const nonce = messageNonce(entry.tx)
    const nonceKey = nonce === null ? null : `${messageAccount(entry.tx)}:${nonce}`
    // the same transaction again is not a second use of its nonce (it keeps its place: see below)
    if (nonceKey !== null && this.#pendingNonces.has(nonceKey) && !this.#pending.has(key))
      throw new NonceTaken(`nonce ${nonce} is already used by a pending transaction`)
    if (this.#pending.size >= this.capacity) throw new MempoolFull(`mempool holds ${this.capacity} transactions`)
    this.#pending.set(key, { entry, key, at, nonceKey })
    if (nonceKey !== null) this.#pendingNonces.add(nonceKey)
  }

  /** Oldest first, at most `max`, left in the pool until `remove`. */
  peek(max: number): VerifiedSignedTx[] {
    const out: VerifiedSignedTx[] = []
    for (const p of this.#pending.values()) {
      if (out.length >= max) break
      out.push(p.entry)
    }
    return out
  }

  remove(hashes: Iterable<Uint8Array>): void {
    for (const h of hashes) {
      const p = this.#pending.get(toHex(h))
      if (p !== undefined) this.#drop(p)
    }
  }

  /** Drops entries added before `before` (ms); returns how many. Entries are in arrival order. */
  expire(before: number): number {
    let dropped = 0
    // deleting the entry just visited does not disturb a Map's iteration
    for (const p of this.#pending.values()) {
      if (p.at >= before) break
      this.#drop(p)
      dropped++
    }
    return dropped
  }

  /** Keys kept from add(): no hex or nonce string is rebuilt to take a transaction out. */
  #drop(p: Pending): void {
    this.#pending.delete(p.key)
    if (p.nonceKey !== null) this.#pendingNonces.delete(p.nonceKey)
  }
}
