/**
 * @module Replay protection: each account keeps the NONCE_WINDOW highest nonces it has used. A nonce is
 * accepted if it is not in the window and, once the window is full, above its lowest entry. Every nonce ever
 * used is therefore either in the window or below it: exactly-once, with bounded state per account.
 */
import { REJECT, reject } from './errors.ts'
import type { NonceWindow } from './types.ts'

export const NONCE_WINDOW = 64

export function checkNonce(window: Pick<NonceWindow, 'used'> | undefined, nonce: bigint): void {
  if (window === undefined) return
  const used = window.used
  if (used.includes(nonce)) reject(REJECT.nonceReused, `nonce ${nonce} was already used`)
  const lowest = used[0]
  if (used.length >= NONCE_WINDOW && lowest !== undefined && nonce < lowest)
    reject(REJECT.nonceTooLow, `nonce ${nonce} is below the account's window (lowest kept: ${lowest})`)
}

/** Records a nonce that passed checkNonce; keeps the window ascending and bounded. */
export function useNonce(window: Pick<NonceWindow, 'used'>, nonce: bigint): void {
  const used = window.used
  let i = used.length
  while (i > 0 && (used[i - 1] as bigint) > nonce) i--
  used.splice(i, 0, nonce)
  if (used.length > NONCE_WINDOW) used.shift()
}
