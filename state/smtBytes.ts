/**
 * @module Byte helpers of the sparse Merkle tree (state/smt.ts, smtStore.ts, smtRead.ts): big-endian u64 for
 * heights and versions, path bits, 32-byte compares, the sort of a block's paths and a growable byte sink.
 */
import { CodecError } from './codec.ts'

const TWO32 = 4294967296

/** v (an integer 0 ≤ v < 2^53) as 8 big-endian bytes at buf[off]. */
export function putU64(buf: Uint8Array, off: number, v: number): void {
  const hi = v < TWO32 ? 0 : Math.floor(v / TWO32)
  const lo = v >>> 0
  buf[off] = hi >>> 24
  buf[off + 1] = (hi >>> 16) & 0xff
  buf[off + 2] = (hi >>> 8) & 0xff
  buf[off + 3] = hi & 0xff
  buf[off + 4] = lo >>> 24
  buf[off + 5] = (lo >>> 16) & 0xff
  buf[off + 6] = (lo >>> 8) & 0xff
  buf[off + 7] = lo & 0xff
}

/** The big-endian u64 at buf[off]; throws past 2^53 (heights never get there). */
export function getU64(buf: Uint8Array, off: number): number {
  let hi = 0
  let lo = 0
  for (let i = 0; i < 4; i++) {
    hi = hi * 256 + (buf[off + i] as number)
    lo = lo * 256 + (buf[off + 4 + i] as number)
  }
  const v = hi * TWO32 + lo
  if (!Number.isSafeInteger(v)) throw new CodecError('height or version past 2^53')
  return v
}

/** Bit d (0 = most significant bit of byte 0) of the 32-byte path at buf[off]. */
export function bitOf(buf: Uint8Array, off: number, d: number): number {
  return ((buf[off + (d >> 3)] as number) >> (7 - (d & 7))) & 1
}

/** Byte order of two 32-byte strings: negative, 0 or positive. */
export function compare32(a: Uint8Array, aOff: number, b: Uint8Array, bOff: number): number {
  for (let i = 0; i < 32; i++) {
    const d = (a[aOff + i] as number) - (b[bOff + i] as number)
    if (d !== 0) return d
  }
  return 0
}

export function isZero32(a: Uint8Array, off: number): boolean {
  for (let i = 0; i < 32; i++) if (a[off + i] !== 0) return false
  return true
}

export function copy32(src: Uint8Array, srcOff: number, dst: Uint8Array, dstOff: number): void {
  for (let i = 0; i < 32; i++) dst[dstOff + i] = src[srcOff + i] as number
}

/**
 * The permutation that sorts n 32-byte paths, stable (equal paths keep their input order). Large inputs: LSD
 * radix sort on the first 32 bits (two 16-bit passes), then runs sharing those bits are ordered by full path.
 */
export function sortByPath(paths: Uint8Array, n: number): Int32Array {
  if (n < 2048) {
    const order = Array.from({ length: n }, (_, i) => i)
    order.sort((a, b) => compare32(paths, a * 32, paths, b * 32) || a - b)
    return Int32Array.from(order)
  }
  const head = new Uint32Array(n)
  for (let i = 0; i < n; i++) {
    const o = i * 32
    head[i] =
      (((paths[o] as number) << 24) |
        ((paths[o + 1] as number) << 16) |
        ((paths[o + 2] as number) << 8) |
        (paths[o + 3] as number)) >>>
      0
  }
  let src = new Int32Array(n)
  for (let i = 0; i < n; i++) src[i] = i
  let dst = new Int32Array(n)
  const count = new Int32Array(65537)
  for (const shift of [0, 16]) {
    count.fill(0)
    for (let i = 0; i < n; i++) {
      const d = (((head[i] as number) >>> shift) & 0xffff) + 1
      count[d] = (count[d] as number) + 1
    }
    for (let d = 1; d <= 65536; d++) count[d] = (count[d] as number) + (count[d - 1] as number)
    for (let j = 0; j < n; j++) {
      const i = src[j] as number
      const d = ((head[i] as number) >>> shift) & 0xffff
      dst[count[d] as number] = i
      count[d] = (count[d] as number) + 1
    }
    const t = src
    src = dst
    dst = t
  }
  // insertion sort inside runs of equal first-32-bit heads (rare), by full path then input order
  for (let j = 1; j < n; j++) {
    const i = src[j] as number
    let k = j - 1
    while (k >= 0 && head[src[k] as number] === head[i]) {
      const c = compare32(paths, (src[k] as number) * 32, paths, i * 32) || (src[k] as number) - i
      if (c <= 0) break
      src[k + 1] = src[k] as number
      k--
    }
    src[k + 1] = i
  }
  return src
}

/**
 * A growable byte buffer with a word view (its length stays a multiple of 4); callers keep offsets, and views
 * are cut once the buffer stops growing.
 */
export class Sink {
  buf: Uint8Array
  words: Int32Array
  at = 0

  constructor(bytes = 4096) {
    this.buf = new Uint8Array((bytes + 3) & ~3)
    this.words = new Int32Array(this.buf.buffer)
  }

  /** Makes room for n more bytes at `at` (the caller advances `at`). */
  ensure(n: number): void {
    if (this.at + n <= this.buf.length) return
    let size = this.buf.length * 2
    while (size < this.at + n) size *= 2
    const next = new Uint8Array(size)
    next.set(this.buf.subarray(0, this.at))
    this.buf = next
    this.words = new Int32Array(next.buffer)
  }

  /** Room for n bytes; returns their offset. */
  reserve(n: number): number {
    this.ensure(n)
    const off = this.at
    this.at += n
    return off
  }
}
