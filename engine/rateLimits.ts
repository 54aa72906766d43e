/**
 * @module Per-account rate limits over a window of blocks, in the engine so that every node enforces the same
 * ones. Windows are aligned to heights: window = floor((height − 1) / windowBlocks). Every Order (and every
 * Cancel/CancelAll) that passes authorization counts, also when it is then rejected; one over the limit is
 * rejected RATE_LIMITED and still uses its nonce, like any other rejection by the engine.
 */
import { REJECT, reject } from './errors.ts'
import type { Address } from './messages.ts'
import type { TxKind } from './typedData.ts'
import type { NonceWindow, State } from './types.ts'

type Counter = 'orders' | 'cancels'

function counterOf(kind: TxKind): Counter | undefined {
  if (kind === 'order') return 'orders'
  if (kind === 'cancel' || kind === 'cancelAll') return 'cancels'
  return undefined
}

function windowStart(state: State, height: bigint): bigint {
  const w = state.rateLimits.windowBlocks
  return ((height - 1n) / w) * w + 1n
}

function used(window: NonceWindow | undefined, start: bigint, counter: Counter): number {
  return window === undefined || window.windowStart !== start ? 0 : window[counter]
}

function limitOf(state: State, counter: Counter): number {
  return counter === 'orders' ? state.rateLimits.maxOrders : state.rateLimits.maxCancels
}

/** Throws RATE_LIMITED if one more transaction of `kind` would exceed the account's window. Reads only. */
export function checkRate(state: State, account: Address, kind: TxKind, height: bigint): void {
  const counter = counterOf(kind)
  if (counter === undefined) return
  const limit = limitOf(state, counter)
  if (used(state.nonces.get(account), windowStart(state, height), counter) >= limit)
    reject(REJECT.rateLimited, `at most ${limit} ${counter} per ${state.rateLimits.windowBlocks} blocks`)
}

/** Counts one transaction of `kind` in the account's window (call after checkRate passed). */
export function countRate(window: NonceWindow, kind: TxKind, state: State, height: bigint): void {
  const counter = counterOf(kind)
  if (counter === undefined) return
  const start = windowStart(state, height)
  if (window.windowStart !== start) {
    window.windowStart = start
    window.orders = 0
    window.cancels = 0
  }
  window[counter] += 1
}
