/**
 * @module Rate limits of the RPC: token buckets per client IP address (every request, each batch element
 * counted) and per account on perp_sendTransaction (keyed by the message's `account`, or `signer` for oracle
 * reports). A request body is charged whole before any element runs: either every token it needs is taken, or
 * none is and it is refused RATE_LIMITED with `data.retryAfterMs`.
 *
 * The account is the one the message claims, before its signature is checked, so a forger could spend a
 * victim's tokens: the dispatcher refunds a transaction whose signature or message turned out not to be the
 * account's (rpc/dispatch.ts). The per-IP limit bounds what such forgeries cost the node.
 *
 * Memory is bounded: a bucket refilled to its burst is the same as no bucket and is dropped when the table is
 * swept; past `maxKeys` the oldest buckets go (so a flood from very many addresses cannot grow the table).
 * IPv6 clients are keyed by their /64, the block one subscriber usually holds.
 */
import { appError, type RpcError } from './errors.ts'

export interface RateLimit {
  /** tokens added per second; 0 turns the limit off */
  perSecond: number
  /** bucket size: the most requests accepted at once after a quiet period (≥ the batch limit to admit a full batch) */
  burst: number
}

export interface LimitsConfig {
  perIp: RateLimit
  perAccount: RateLimit
}

/**
 * Defaults: far above what a wallet, a market maker or the devnet simulation sends (the simulation peaks at a few
 * dozen requests a second from 127.0.0.1; the crash-loop load polls a batch of 100 every 30 ms, ~3,500 a second;
 * the engine itself allows an account 2,000 orders per 40 blocks). A public node sets its own (docs/rpc.md).
 */
export const DEFAULT_LIMITS: LimitsConfig = {
  perIp: { perSecond: 10_000, burst: 20_000 },
  perAccount: { perSecond: 200, burst: 1_000 },
}

interface Bucket {
  tokens: number
  /** ms of the last refill */
  at: number
}

export class KeyedBuckets {
  readonly limit: RateLimit
  readonly maxKeys: number
  readonly #buckets = new Map<string, Bucket>()

  constructor(limit: RateLimit, maxKeys = 100_000) {
    this.limit = limit
    this.maxKeys = maxKeys
  }

  get size(): number {
    return this.#buckets.size
  }

  #refilled(key: string, now: number): Bucket {
    const b = this.#buckets.get(key)
    if (b === undefined) return { tokens: this.limit.burst, at: now }
    const tokens = Math.min(this.limit.burst, b.tokens + ((now - b.at) * this.limit.perSecond) / 1000)
    return { tokens, at: now }
  }

  /**
   * ms until `n` tokens are there (0: now). A body larger than the burst passes only with a full bucket and
   * leaves it in debt (negative), repaid at perSecond before the next request passes.
   */
  waitMs(key: string, n: number, now: number): number {
    if (this.limit.perSecond <= 0) return 0
    const { tokens } = this.#refilled(key, now)
    const need = Math.min(n, this.limit.burst)
    // rounded up: a client that waits this long is not refused again for the same request
    if (tokens >= need) return 0
    // less a hair of float error: 0.01 token at 10/s is 1 ms, not 1.0000000000000009 → 2
    return Math.ceil(((need - tokens) * 1000) / this.limit.perSecond - 1e-9)
  }

  take(key: string, n: number, now: number): void {
    if (this.limit.perSecond <= 0) return
    const b = this.#refilled(key, now)
    b.tokens -= n
    this.#buckets.delete(key) // re-inserted last: the table's order is least recently used first
    this.#buckets.set(key, b)
    if (this.#buckets.size > this.maxKeys) this.#sweep(now)
  }

  refund(key: string, n: number, now: number): void {
    if (this.limit.perSecond <= 0 || !this.#buckets.has(key)) return
    const b = this.#refilled(key, now)
    b.tokens = Math.min(this.limit.burst, b.tokens + n)
    this.#buckets.set(key, b)
  }

  #sweep(now: number): void {
    for (const key of [...this.#buckets.keys()])
      if (this.#refilled(key, now).tokens >= this.limit.burst) this.#buckets.delete(key)
    const excess = this.#buckets.size - Math.floor(this.maxKeys / 2)
    if (this.#buckets.size <= this.maxKeys || excess <= 0) return
    let dropped = 0
    for (const key of this.#buckets.keys()) {
      if (dropped++ >= excess) break
      this.#buckets.delete(key)
    }
  }
}

/** The IP limit's key: an IPv4 address (also IPv4-mapped IPv6) as is, an IPv6 address by its first 64 bits. */
export function ipKey(ip: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip)
  if (mapped !== null) return mapped[1] as string
  if (!ip.includes(':')) return ip
  const [head = '', tail = ''] = ip.toLowerCase().split('::')
  const left = head === '' ? [] : head.split(':')
  const right = tail === '' ? [] : tail.split(':')
  const groups = ip.includes('::') ? [...left, ...Array(8 - left.length - right.length).fill('0'), ...right] : left
  return `${groups
    .slice(0, 4)
    .map((g) => g.replace(/^0+(?=.)/, ''))
    .join(':')}::/64`
}

/** What one request body asks of the limits. */
export interface LimitCharge {
  ip: string
  /** requests in the body (a batch's elements) */
  requests: number
  /** transactions per claimed account (lowercase address) */
  accounts: ReadonlyMap<string, number>
}

export interface RpcLimiter {
  /** Takes every token the body needs, or none and returns the RATE_LIMITED error to answer. */
  charge(c: LimitCharge): { error: RpcError; scope: 'ip' | 'account' } | undefined
  /** Gives back an account's token for a transaction that turned out not to be the account's own. */
  refundAccount(account: string, n: number): void
}

export function createLimiter(config: LimitsConfig, now: () => number = Date.now): RpcLimiter {
  const ips = new KeyedBuckets(config.perIp)
  const accounts = new KeyedBuckets(config.perAccount)
  const limited = (scope: 'ip' | 'account', retryAfterMs: number, what: string) => {
    const error = appError('RATE_LIMITED', `rate limited: ${what}; retry in ${retryAfterMs} ms`)
    Object.assign(error.data as object, { scope, retryAfterMs })
    return { error, scope }
  }
  return {
    charge(c) {
      const t = now()
      const ip = ipKey(c.ip)
      const ipWait = ips.waitMs(ip, c.requests, t)
      if (ipWait > 0) {
        const { perSecond, burst } = config.perIp
        return limited('ip', ipWait, `over ${perSecond} requests/s (burst ${burst}) from this address`)
      }
      for (const [account, n] of c.accounts) {
        const wait = accounts.waitMs(account, n, t)
        if (wait > 0) {
          const { perSecond, burst } = config.perAccount
          return limited('account', wait, `over ${perSecond} transactions/s (burst ${burst}) for ${account}`)
        }
      }
      ips.take(ip, c.requests, t)
      for (const [account, n] of c.accounts) accounts.take(account, n, t)
      return undefined
    },
    refundAccount(account, n) {
      accounts.refund(account, n, now())
    },
  }
}
