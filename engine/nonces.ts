/**
 * @module Replay protection: each account keeps the NONCE_WINDOW highest nonces it has used. A nonce is
 * accepted if it is not in the window and, once the window is full, above its lowest entry. Every nonce ever
 * used is therefore either in the window or below it: exactly-once, with bounded state per account.
 */
import { REJECT, reject } from './errors.ts'
import type { NonceWindow } from './types.ts'

export const NONCE_WINDOW = 64

/** Index of the first entry ≥ nonce in the ascending window (binary search). */
function slot(used: readonly bigint[], nonce: bigint): number {
  let hi = used.length
  // clients count up, so a new nonce is nearly always above the highest: one comparison instead of ~6
  if (hi === 0 || (used[hi - 1] as bigint) < nonce) return hi
  let lo = 0
  while (lo < hi) {
    const mid = (lo + hi) >> 1
    if ((used[mid] as bigint) < nonce) lo = mid + 1
    else hi = mid
  }
  return lo
}

export function checkNonce(window: Pick<NonceWindow, 'used'> | undefined, nonce: bigint): void {
  if (window === undefined) return
  const used = window.used
  if (used[slot(used, nonce)] === nonce) reject(REJECT.nonceReused, `nonce ${nonce} was already used`)
  const lowest = used[0]
  if (used.length >= NONCE_WINDOW && lowest !== undefined && nonce < lowest)
    reject(REJECT.nonceTooLow, `nonce ${nonce} is below the account's window (lowest kept: ${lowest})`)
}

/** Records a nonce that passed checkNonce; keeps the window ascending and bounded. */
export function useNonce(window: Pick<NonceWindow, 'used'>, nonce: bigint): void {
  const used = window.used
  // a first nonce gets an array of its size: splice would reserve ~17 slots (~130 B more per idle account)
  if (used.length === 0) {
    window.used = [nonce]
    return
  }
  // push then move the larger entries up: splice allocated the array of removed items, empty, on every call
  const at = slot(used, nonce)
  used.push(nonce)
  for (let i = used.length - 1; i > at; i--) used[i] = used[i - 1] as bigint
  used[at] = nonce
  if (used.length > NONCE_WINDOW) used.shift()
}
