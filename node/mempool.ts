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
  /** the account whose nonce it uses (its key in #pendingNonces), or null for a kind without a nonce */
  account: string | null
  /** the nonce, when `account` is not null */
  nonce: bigint
}

export class Mempool {
  readonly capacity: number
  /** by toHex(hash), in arrival order: one map for the entry and its arrival time, so a removal deletes once */
  readonly #pending = new Map<string, Pending>()
  /**
   * each account's pending nonces. By account, then nonce: no `account:nonce` string is built and hashed per
   * transaction, and the account is the engine's one string for it (internAddress), whose hash is kept
   */
  readonly #pendingNonces = new Map<string, Set<bigint>>()

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
    return this.#pendingNonces.get(account)?.has(nonce) === true
  }

  /**
   * `at`: when it arrived (ms, the node's clock), for expire(). `key`: toHex of its hash, when the caller has made
   * it already (admission has, to look for a duplicate first). Refuses another transaction with a nonce its account
   * already has pending (NonceTaken), then any past the capacity (MempoolFull); either way nothing is added.
   */
  add(entry: VerifiedSignedTx, at = 0, key = toHex(entry.tx.hash)): void {
    const nonce = messageNonce(entry.tx)
    const account = nonce === null ? null : messageAccount(entry.tx)
    const nonces = account === null ? undefined : this.#pendingNonces.get(account)
    // the same transaction again is not a second use of its nonce (it keeps its place: see below)
    if (nonce !== null && nonces?.has(nonce) === true && !this.#pending.has(key))
      throw new NonceTaken(`nonce ${nonce} is already used by a pending transaction`)
    if (this.#pending.size >= this.capacity) throw new MempoolFull(`mempool holds ${this.capacity} transactions`)
    this.#pending.set(key, { entry, key, at, account, nonce: nonce ?? 0n })
    if (account === null || nonce === null) return
    if (nonces === undefined) this.#pendingNonces.set(account, new Set([nonce]))
    else nonces.add(nonce)
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

  /** Keys kept from add(): no hex string is rebuilt to take a transaction out. An account with none left goes. */
  #drop(p: Pending): void {
    this.#pending.delete(p.key)
    if (p.account === null) return
    const nonces = this.#pendingNonces.get(p.account)
    if (nonces === undefined) return
    nonces.delete(p.nonce)
    if (nonces.size === 0) this.#pendingNonces.delete(p.account)
  }
}
