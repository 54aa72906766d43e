/**
 * @module Canonical binary encoding. Every value that is hashed (state leaves, block headers, transactions)
 * is written with these primitives, never with JSON.stringify: one value has exactly one encoding.
 *
 * - fixed-width unsigned integers are big-endian;
 * - a signed bigint is a sign byte (0 non-negative, 1 negative) then its magnitude as a u256;
 * - variable data is a u32 length prefix then the bytes.
 * The Reader rejects truncated input and trailing bytes (`end()`), so a decoded value re-encodes to the
 * same bytes.
 */

import type { ByteArena } from './byteArena.ts'
import { hexInto } from './hash.ts'

export class CodecError extends Error {
  override name = 'CodecError'
}

const U64_MAX = (1n << 64n) - 1n
const U256_MAX = (1n << 256n) - 1n

/**
 * Scratch for the bigint writes: a u64 is set here and read back as two 32-bit halves, so a writer's own buffer
 * needs no DataView. A DataView over a small typed array moves it out of V8's heap (a malloc'd backing store,
 * ~1 µs and ~200 B of bookkeeping); without one, a key or an index entry of up to 64 bytes stays an ordinary
 * young-generation object and can be handed out without a copy.
 */
const u64Scratch = new DataView(new ArrayBuffer(8))

export class Writer {
  #buf: Uint8Array
  #at = 0
  /** #buf itself was returned by finish(): the next finish() must copy, so two callers never share one array */
  #handedOut = false

  /** where the bytes go when given: views of its buffers instead of an array per value (state/byteArena.ts) */
  readonly #arena: ByteArena | undefined

  /**
   * `initial`: bytes to reserve; a caller that knows the encoded size passes it, and nothing is copied.
   * `arena`: write into it, and finish() hands out a view of its buffer.
   */
  constructor(initial = 256, arena?: ByteArena) {
    this.#arena = arena
    this.#buf = arena === undefined ? new Uint8Array(initial) : arena.reserve(initial)
  }

  #ensure(n: number): void {
    if (this.#at + n <= this.#buf.length) return
    let size = Math.max(1, this.#buf.length) * 2 // from an empty reservation (a hint of 0) too
    while (size < this.#at + n) size *= 2
    const next = this.#arena === undefined ? new Uint8Array(size) : this.#arena.reserve(size)
    next.set(this.#buf.subarray(0, this.#at))
    this.#buf = next
    this.#handedOut = false
  }

  /** The 32-bit big-endian `v` (0 ≤ v < 2^32) at `at`; room already ensured. */
  #word(at: number, v: number): void {
    const buf = this.#buf
    buf[at] = v >>> 24
    buf[at + 1] = (v >>> 16) & 0xff
    buf[at + 2] = (v >>> 8) & 0xff
    buf[at + 3] = v & 0xff
  }

  /** The 64-bit big-endian `v` (0 ≤ v < 2^64) at `at`; room already ensured. */
  #doubleWord(at: number, v: bigint): void {
    u64Scratch.setBigUint64(0, v)
    this.#word(at, u64Scratch.getUint32(0))
    this.#word(at + 4, u64Scratch.getUint32(4))
  }

  u8(v: number): this {
    if (!Number.isInteger(v) || v < 0 || v > 0xff) throw new CodecError(`u8 out of range: ${v}`)
    this.#ensure(1)
    this.#buf[this.#at] = v
    this.#at += 1
    return this
  }

  u32(v: number): this {
    if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) throw new CodecError(`u32 out of range: ${v}`)
    this.#ensure(4)
    this.#word(this.#at, v)
    this.#at += 4
    return this
  }

  u64(v: bigint): this {
    if (v < 0n || v > U64_MAX) throw new CodecError(`u64 out of range: ${v}`)
    this.#ensure(8)
    this.#doubleWord(this.#at, v)
    this.#at += 8
    return this
  }

  /** Unsigned 256-bit, big-endian, 32 bytes. */
  u256(v: bigint): this {
    if (v < 0n || v > U256_MAX) throw new CodecError(`u256 out of range: ${v}`)
    this.#ensure(32)
    const at = this.#at
    // most values (prices, sizes, amounts) fit in the low word: no shifts, no bigints made (~4× faster), and the
    // upper 24 bytes stay as they are: zero, since no byte at or past #at has been written (a new buffer is zeroed
    // and a grown one copies only the bytes before #at)
    if (v > U64_MAX) {
      this.#doubleWord(at, v >> 192n)
      this.#doubleWord(at + 8, BigInt.asUintN(64, v >> 128n))
      this.#doubleWord(at + 16, BigInt.asUintN(64, v >> 64n))
    }
    this.#doubleWord(at + 24, BigInt.asUintN(64, v))
    this.#at += 32
    return this
  }

  /** Signed integer, |v| < 2^256: sign byte then the magnitude as a u256. */
  i256(v: bigint): this {
    this.u8(v < 0n ? 1 : 0)
    return this.u256(v < 0n ? -v : v)
  }

  bool(v: boolean): this {
    return this.u8(v ? 1 : 0)
  }

  /** Raw bytes of a length both sides know (hashes, addresses, signatures). */
  fixed(bytes: Uint8Array, length: number): this {
    if (bytes.length !== length) throw new CodecError(`expected ${length} bytes, got ${bytes.length}`)
    this.#ensure(length)
    this.#buf.set(bytes, this.#at)
    this.#at += length
    return this
  }

  /** The `length` bytes spelled by 0x-hex `hex` (an address, a hash), decoded straight into the buffer. */
  hex(hex: string, length: number): this {
    this.#ensure(length)
    try {
      hexInto(hex, length, this.#buf, this.#at)
    } catch {
      throw new CodecError(`expected ${length} bytes of hex, got ${hex.slice(0, 24)}`)
    }
    this.#at += length
    return this
  }

  bytes(bytes: Uint8Array): this {
    this.u32(bytes.length)
    return this.fixed(bytes, bytes.length)
  }

  string(s: string): this {
    return this.bytes(new TextEncoder().encode(s))
  }

  /**
   * The bytes written. A buffer filled exactly (a caller's size hint that was right) is returned as it is rather
   * than copied: a later write cannot change it, since it finds no room and moves to a new buffer first. (Up to
   * 64 bytes that buffer is in V8's heap, since no DataView ever moved it out: a small leaf value handed out
   * costs no more memory than a copy would.)
   */
  finish(): Uint8Array {
    if (this.#arena !== undefined && !this.#handedOut) {
      // the unused tail goes back to the arena; later writes find no room and move to a new reservation first
      this.#buf = this.#arena.trim(this.#buf, this.#at)
      this.#handedOut = true
      return this.#buf
    }
    if (this.#at === this.#buf.length && !this.#handedOut) {
      this.#handedOut = true
      return this.#buf
    }
    if (this.#arena !== undefined) {
      const copy = this.#arena.reserve(this.#at)
      copy.set(this.#buf.subarray(0, this.#at))
      return copy
    }
    return this.#buf.slice(0, this.#at)
  }
}

export class Reader {
  readonly #buf: Uint8Array
  readonly #view: DataView
  #at = 0

  constructor(buf: Uint8Array) {
    this.#buf = buf
    this.#view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength)
  }

  #need(n: number): void {
    if (this.#at + n > this.#buf.length) throw new CodecError(`truncated input at byte ${this.#at}`)
  }

  u8(): number {
    this.#need(1)
    return this.#view.getUint8(this.#at++)
  }

  u32(): number {
    this.#need(4)
    const v = this.#view.getUint32(this.#at)
    this.#at += 4
    return v
  }

  u64(): bigint {
    this.#need(8)
    const v = this.#view.getBigUint64(this.#at)
    this.#at += 8
    return v
  }

  u256(): bigint {
    this.#need(32)
    let v = 0n
    for (let i = 0; i < 4; i++) v = (v << 64n) | this.#view.getBigUint64(this.#at + i * 8)
    this.#at += 32
    return v
  }

  i256(): bigint {
    const sign = this.u8()
    if (sign > 1) throw new CodecError(`bad sign byte ${sign}`)
    const magnitude = this.u256()
    if (sign === 1 && magnitude === 0n) throw new CodecError('negative zero is not canonical')
    return sign === 1 ? -magnitude : magnitude
  }

  bool(): boolean {
    const v = this.u8()
    if (v > 1) throw new CodecError(`bad bool byte ${v}`)
    return v === 1
  }

  fixed(length: number): Uint8Array {
    this.#need(length)
    const out = this.#buf.slice(this.#at, this.#at + length)
    this.#at += length
    return out
  }

  bytes(maxLength = this.#buf.length): Uint8Array {
    const length = this.u32()
    if (length > maxLength) throw new CodecError(`length ${length} over limit ${maxLength}`)
    return this.fixed(length)
  }

  string(maxLength?: number): string {
    return new TextDecoder('utf-8', { fatal: true }).decode(this.bytes(maxLength))
  }

  get remaining(): number {
    return this.#buf.length - this.#at
  }

  /** Asserts the whole input was consumed: trailing bytes are not canonical. */
  end(): void {
    if (this.#at !== this.#buf.length) throw new CodecError(`${this.#buf.length - this.#at} trailing bytes`)
  }
}
