/**
 * @module keccak256 for everything outside the tree's own node hashing: transaction roots, block hashes, keys,
 * EIP-712 type hashes. It runs on the WebAssembly keccak of state/keccakWasm.ts, which gives noble's output for
 * every input (tested on every length 0–600 and random inputs to 5,000 bytes) at several times its speed; noble
 * remains the tree's comparison backend (state/treeHash.ts `initHashing('noble')`).
 */
import { wasmKeccak } from './keccakWasm.ts'

export const HASH_BYTES = 32

export function keccak256(data: Uint8Array): Uint8Array {
  return wasmKeccak(data)
}

export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  let length = 0
  for (const p of parts) length += p.length
  const out = new Uint8Array(length)
  let at = 0
  for (const p of parts) {
    out.set(p, at)
    at += p.length
  }
  return out
}

/** Char codes of each byte's two lowercase hex digits. */
const HIGH_DIGIT: number[] = []
const LOW_DIGIT: number[] = []
for (let b = 0; b < 256; b++) {
  const digits = b.toString(16).padStart(2, '0')
  HIGH_DIGIT.push(digits.charCodeAt(0))
  LOW_DIGIT.push(digits.charCodeAt(1))
}

/** fromCharCode.apply passes each char code as an argument on the stack: longer inputs go in pieces. */
const APPLY_BYTES = 4096

/** Lengths (bytes) up to which toHex keeps its array of char codes for the next call of the same length. */
const KEPT_CODES_BYTES = 128

/** CODES_BY_LENGTH[n]: the char codes of a hex string of n bytes, '0x' in place, rewritten by each call. */
const CODES_BY_LENGTH: number[][] = []

/**
 * Lowercase 0x-hex. Built from char codes in one call rather than by `+=`: concatenation leaves a rope of ~n
 * pieces that V8 must flatten when the string is hashed (a Map key) or serialized, which cost more than building
 * it (measured ~1.8× faster for 20–65 bytes, flattening included). For up to KEPT_CODES_BYTES bytes the codes go
 * into an array kept for that length, so the string is the only allocation: a new array for a 32-byte hash was
 * ~540 bytes of garbage, and the sequencer makes a few hex strings per order (bench/NOTES.md, twelfth pass).
 * Nothing runs between filling the array and reading it, so sharing it is safe.
 */
export function toHex(bytes: Uint8Array): `0x${string}` {
  if (bytes.length > APPLY_BYTES) return toHexInPieces(bytes)
  let codes = bytes.length <= KEPT_CODES_BYTES ? CODES_BY_LENGTH[bytes.length] : undefined
  if (codes === undefined) {
    codes = new Array<number>(2 + 2 * bytes.length).fill(0)
    codes[0] = 48 // '0'
    codes[1] = 120 // 'x'
    if (bytes.length <= KEPT_CODES_BYTES) CODES_BY_LENGTH[bytes.length] = codes
  }
  for (let i = 0, j = 2; i < bytes.length; i++, j += 2) {
    const b = bytes[i] as number
    codes[j] = HIGH_DIGIT[b] as number
    codes[j + 1] = LOW_DIGIT[b] as number
  }
  return String.fromCharCode.apply(null, codes) as `0x${string}`
}

function toHexInPieces(bytes: Uint8Array): `0x${string}` {
  const parts = ['0x']
  for (let at = 0; at < bytes.length; at += APPLY_BYTES)
    parts.push(toHex(bytes.subarray(at, at + APPLY_BYTES)).slice(2))
  return parts.join('') as `0x${string}`
}

/** A char code below 128 → its hex digit's value, or -1 (not a hex digit). */
const DIGIT_VALUE = new Int8Array(128).fill(-1)
for (let d = 0; d < 10; d++) DIGIT_VALUE[48 + d] = d // 0-9
for (let d = 0; d < 6; d++) {
  DIGIT_VALUE[65 + d] = 10 + d // A-F
  DIGIT_VALUE[97 + d] = 10 + d // a-f
}

/**
 * Parses 0x- or 0X-prefixed (or bare) even-length hex; throws on anything else. Reads char codes through a table:
 * the regex and a parseInt per byte it replaces were ~4× slower. To decode into a buffer of one's own: hexInto.
 */
export function fromHex(hex: string): Uint8Array {
  const start = hexStart(hex)
  if ((hex.length - start) % 2 !== 0) throw invalidHex(hex)
  const out = new Uint8Array((hex.length - start) / 2)
  decodeHex(hex, start, out, 0, out.length)
  return out
}

/**
 * Writes the `length` bytes that `hex` (0x-prefixed or bare) spells into `out` from `at`, with fromHex's rules and
 * no array of its own: a writer putting an address into its buffer (state/codec.ts Writer.hex), a batch's
 * signatures side by side (node/admissionSignatures.ts). Another length or a non-digit throws and leaves zeros.
 */
export function hexInto(hex: string, length: number, out: Uint8Array, at: number): void {
  const start = hexStart(hex)
  if (hex.length - start !== 2 * length) throw invalidHex(hex)
  try {
    decodeHex(hex, start, out, at, length)
  } catch (e) {
    // a refused string leaves no bytes behind (a Writer counts on the bytes past its end being zero)
    out.fill(0, at, at + length)
    throw e
  }
}

/** 2 when `hex` starts with '0x' or '0X', else 0 */
function hexStart(hex: string): number {
  // '0' then 'x' or 'X' (the two differ only in bit 0x20)
  return hex.length >= 2 && hex.charCodeAt(0) === 48 && (hex.charCodeAt(1) | 0x20) === 120 ? 2 : 0
}

function decodeHex(hex: string, start: number, out: Uint8Array, at: number, length: number): void {
  for (let i = 0, j = start; i < length; i++, j += 2) {
    const a = hex.charCodeAt(j)
    const b = hex.charCodeAt(j + 1)
    const high = DIGIT_VALUE[a & 0x7f] as number
    const low = DIGIT_VALUE[b & 0x7f] as number
    // a code of 128 or more is no hex digit: masked above only to stay inside the table
    if (((a | b) & ~0x7f) !== 0 || (high | low) < 0) throw invalidHex(hex)
    out[at + i] = (high << 4) | low
  }
}

/**
 * True when `s` is '0x' then exactly `digits` hex digits of either case: what /^0x[0-9a-fA-F]{digits}$/ tests, by
 * the table fromHex reads. V8 ran that expression at 0.3–0.9 µs for a 65-byte signature (slower with the
 * 'u' flag a schema pattern carries); every transaction checks a signature and a few addresses this way.
 */
export function isHex(s: string, digits: number): boolean {
  if (s.length !== digits + 2 || s.charCodeAt(0) !== 48 || s.charCodeAt(1) !== 120) return false
  for (let i = 2; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (c > 0x7f || (DIGIT_VALUE[c] as number) < 0) return false
  }
  return true
}

function invalidHex(hex: string): Error {
  return new Error(`invalid hex: ${hex.slice(0, 20)}`)
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}
