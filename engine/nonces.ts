/**
 * @module Replay protection: each account keeps the NONCE_WINDOW highest nonces it has used. A nonce is
 * accepted if it is not in the window and, once the window is full, above its lowest entry. Every nonce ever
 * used is therefore either in the window or below it: exactly-once, with bounded state per account.
 *
 * The window holds each u64 nonce as two numbers, its high and low 32 bits (types.ts NonceWindow.words). A number
 * array keeps its values inline; a bigint array points at one heap object per nonce, each allocated when its
 * order arrived and scattered through the old generation, so reading a full window (the leaf's encoding, every
 * block the account trades in) paid a cache miss per nonce: ~8 µs a window in the node against ~1.5 µs with the
 * same window in cache (bench/NOTES.md, eleventh pass).
 */
import { REJECT, reject } from './errors.ts'
import type { NonceWindow } from './types.ts'

export const NONCE_WINDOW = 64

const TWO_32 = 4294967296
/** Below this a nonce converts to a double exactly, and its words come without making a bigint. */
const EXACT_DOUBLE = 1n << 53n

/** The high 32 bits of a u64 nonce, as a number. */
function high(nonce: bigint): number {
  return nonce < EXACT_DOUBLE ? Math.floor(Number(nonce) / TWO_32) : Number(nonce >> 32n)
}

/** The low 32 bits of a u64 nonce, as a number. */
function low(nonce: bigint): number {
  return nonce < EXACT_DOUBLE ? Number(nonce) % TWO_32 : Number(nonce & 0xffffffffn)
}

/** Entry i of the window as a u64. */
function nonceAt(words: readonly number[], i: number): bigint {
  return (BigInt(words[2 * i] as number) << 32n) | BigInt(words[2 * i + 1] as number)
}

/** The window's nonces, ascending (for tests and messages; the engine reads the words). */
export function usedNonces(window: Pick<NonceWindow, 'words'>): bigint[] {
  return Array.from({ length: window.words.length >> 1 }, (_, i) => nonceAt(window.words, i))
}

/** The words of ascending nonces (0 ≤ n < 2^64): a window built from its nonces (tests). */
export function nonceWords(nonces: readonly bigint[]): number[] {
  const out: number[] = []
  for (const n of nonces) out.push(high(n), low(n))
  return out
}

/** Entry i (hi, lo) < (h, l), comparing the high words first: exact for the whole u64 range. */
function below(words: readonly number[], i: number, h: number, l: number): boolean {
  const eh = words[2 * i] as number
  return eh < h || (eh === h && (words[2 * i + 1] as number) < l)
}

/** Index of the first entry ≥ (h, l) in the ascending window (binary search). */
function slot(words: readonly number[], h: number, l: number): number {
  let hi = words.length >> 1
  // clients count up, so a new nonce is nearly always above the highest: one comparison instead of ~6
  if (hi === 0 || below(words, hi - 1, h, l)) return hi
  let lo = 0
  while (lo < hi) {
    const mid = (lo + hi) >> 1
    if (below(words, mid, h, l)) lo = mid + 1
    else hi = mid
  }
  return lo
}

export function checkNonce(window: Pick<NonceWindow, 'words'> | undefined, nonce: bigint): void {
  if (window === undefined) return
  const words = window.words
  const h = high(nonce)
  const l = low(nonce)
  const at = slot(words, h, l)
  if (words[2 * at] === h && words[2 * at + 1] === l) reject(REJECT.nonceReused, `nonce ${nonce} was already used`)
  if (words.length >> 1 >= NONCE_WINDOW && at === 0)
    reject(REJECT.nonceTooLow, `nonce ${nonce} is below the account's window (lowest kept: ${nonceAt(words, 0)})`)
}

/** Records a nonce that passed checkNonce; keeps the window ascending and bounded. */
export function useNonce(window: Pick<NonceWindow, 'words'>, nonce: bigint): void {
  const words = window.words
  const h = high(nonce)
  const l = low(nonce)
  // a first nonce gets an array of its size: a literal reserves no spare slots (~130 B less per idle account)
  if (words.length === 0) {
    window.words = [h, l]
    return
  }
  // push then move the larger entries up (splice allocated the array of removed items on every call)
  const at = 2 * slot(words, h, l)
  words.push(h, l)
  for (let i = words.length - 1; i > at + 1; i--) words[i] = words[i - 2] as number
  words[at] = h
  words[at + 1] = l
  if (words.length > 2 * NONCE_WINDOW) {
    words.shift()
    words.shift()
  }
}
