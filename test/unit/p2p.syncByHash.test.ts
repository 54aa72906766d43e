/**
 * The blocks-by-hash codec (p2p/blockSyncByHash.ts) on its own, against hostile bytes: truncated requests and
 * responses, oversized counts, trailing bytes, unknown markers, lengths over the limit, and random garbage.
 * Expected bytes come from the wire format in the module comment, written out by hand.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import type { ByteSource } from '../../p2p/blockSyncByHash.ts'
import {
  decodeHashRequest,
  encodeHashRequest,
  encodeHashResponse,
  hashRequestLength,
  MAX_HASHES_PER_REQUEST,
  readHashResponse,
} from '../../p2p/blockSyncByHash.ts'

/** StreamReader's contract over a fixed byte array; records the largest read asked for. */
class Bytes implements ByteSource {
  #at = 0
  largestRead = 0
  readonly #bytes: Uint8Array
  constructor(bytes: Uint8Array) {
    this.#bytes = bytes
  }
  async read(n: number, eofOk = false): Promise<Uint8Array | null> {
    this.largestRead = Math.max(this.largestRead, n)
    const left = this.#bytes.length - this.#at
    if (left === 0 && eofOk) return null
    if (left < n) throw new Error(`stream ended after ${left} of ${n} bytes`)
    this.#at += n
    return this.#bytes.slice(this.#at - n, this.#at)
  }
}

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex')
const filled = (byte: number, n = 32): Uint8Array => new Uint8Array(n).fill(byte)
const hashArb = fc.uint8Array({ minLength: 32, maxLength: 32 })
const MAX_BLOCK = 1024

describe('blocks by hash: request codec', () => {
  it('encodes count:u16 then the hashes (a known answer)', () => {
    const bytes = encodeHashRequest([filled(0x11), filled(0x22)])
    expect(hex(bytes)).toBe(`0002${'11'.repeat(32)}${'22'.repeat(32)}`)
    expect(hex(encodeHashRequest([]))).toBe('0000')
  })

  it('decode inverts encode for every list of up to 64 hashes', () => {
    fc.assert(
      fc.property(fc.array(hashArb, { maxLength: MAX_HASHES_PER_REQUEST }), (hashes) => {
        expect(decodeHashRequest(encodeHashRequest(hashes)).map(hex)).toEqual(hashes.map(hex))
      }),
    )
  })

  it('refuses to encode more than 64 hashes or a hash that is not 32 bytes', () => {
    expect(() => encodeHashRequest(Array.from({ length: 65 }, () => filled(1)))).toThrow(RangeError)
    expect(() => encodeHashRequest([filled(1, 31)])).toThrow(RangeError)
    expect(() => encodeHashRequest([filled(1, 33)])).toThrow(RangeError)
  })

  it('rejects every truncation of a valid request', () => {
    const full = encodeHashRequest([filled(0xaa), filled(0xbb), filled(0xcc)])
    for (let cut = 0; cut < full.length; cut++)
      expect(() => decodeHashRequest(full.subarray(0, cut)), `cut at ${cut}`).toThrow(RangeError)
  })

  it('rejects a count over 64 from the first two bytes, before any hash is read', () => {
    expect(() => hashRequestLength(Uint8Array.of(0x00, 65))).toThrow(RangeError)
    expect(() => hashRequestLength(Uint8Array.of(0xff, 0xff))).toThrow(RangeError)
    expect(hashRequestLength(Uint8Array.of(0x00, 64))).toBe(2 + 64 * 32)
    // 65 hashes present in full: still refused
    const oversized = new Uint8Array(2 + 65 * 32)
    oversized[1] = 65
    expect(() => decodeHashRequest(oversized)).toThrow(RangeError)
  })

  it('rejects bytes after the last hash', () => {
    const full = encodeHashRequest([filled(0xaa)])
    const longer = new Uint8Array(full.length + 1)
    longer.set(full)
    expect(() => decodeHashRequest(longer)).toThrow(RangeError)
  })

  it('on garbage, either decodes to a request that re-encodes to the same bytes or throws RangeError', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        let hashes: Uint8Array[]
        try {
          hashes = decodeHashRequest(bytes)
        } catch (e) {
          expect(e).toBeInstanceOf(RangeError)
          return
        }
        expect(hex(encodeHashRequest(hashes))).toBe(hex(bytes))
      }),
    )
  })
})

describe('blocks by hash: response codec', () => {
  it('marks a missing hash with 0x00 and a held block with 0x01, its u32 length and its bytes (a known answer)', async () => {
    const bytes = encodeHashResponse([null, Uint8Array.of(0xaa, 0xbb), null])
    expect(hex(bytes)).toBe('00' + '01' + '00000002' + 'aabb' + '00')
    const items = await readHashResponse(new Bytes(bytes), 3, MAX_BLOCK)
    expect(items.map((b) => (b === null ? null : hex(b)))).toEqual([null, 'aabb', null])
  })

  const itemsArb = fc.array(fc.option(fc.uint8Array({ maxLength: 64 }), { nil: null }), {
    maxLength: MAX_HASHES_PER_REQUEST,
  })

  it('reads back every response it encodes, one entry per hash, in order', async () => {
    await fc.assert(
      fc.asyncProperty(itemsArb, async (items) => {
        const got = await readHashResponse(new Bytes(encodeHashResponse(items)), items.length, MAX_BLOCK)
        expect(got.map((b) => (b === null ? null : hex(b)))).toEqual(items.map((b) => (b === null ? null : hex(b))))
      }),
    )
  })

  it('rejects every truncation of a valid response (fewer items than hashes, or an item cut short)', async () => {
    const full = encodeHashResponse([Uint8Array.of(1, 2, 3), null, Uint8Array.of(4)])
    for (let cut = 0; cut < full.length; cut++)
      await expect(readHashResponse(new Bytes(full.subarray(0, cut)), 3, MAX_BLOCK), `cut at ${cut}`).rejects.toThrow()
  })

  it('rejects more items than hashes asked for', async () => {
    const bytes = encodeHashResponse([null, null])
    await expect(readHashResponse(new Bytes(bytes), 1, MAX_BLOCK)).rejects.toThrow(/more than 1 items/)
  })

  it('rejects an unknown item marker', async () => {
    await expect(readHashResponse(new Bytes(Uint8Array.of(0x02)), 1, MAX_BLOCK)).rejects.toThrow(/marker 2/)
    await expect(readHashResponse(new Bytes(Uint8Array.of(0xff, 0, 0, 0, 0)), 1, MAX_BLOCK)).rejects.toThrow(/marker/)
  })

  it('rejects a length over maxBlockBytes from the prefix alone, without asking for the body', async () => {
    // claims 4 GiB - 1 bytes and sends none of them
    const source = new Bytes(Uint8Array.of(0x01, 0xff, 0xff, 0xff, 0xff))
    await expect(readHashResponse(source, 1, MAX_BLOCK)).rejects.toThrow(/exceeds maxBlockBytes/)
    expect(source.largestRead).toBe(4)
    // exactly the limit is fine
    const ok = encodeHashResponse([new Uint8Array(MAX_BLOCK)])
    expect((await readHashResponse(new Bytes(ok), 1, MAX_BLOCK))[0]).toHaveLength(MAX_BLOCK)
    await expect(readHashResponse(new Bytes(ok), 1, MAX_BLOCK - 1)).rejects.toThrow(/exceeds maxBlockBytes/)
  })

  it('on garbage, either reads a response that re-encodes to the same bytes or rejects', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 64 }), fc.integer({ min: 0, max: 8 }), async (bytes, count) => {
        let items: (Uint8Array | null)[]
        try {
          items = await readHashResponse(new Bytes(bytes), count, MAX_BLOCK)
        } catch {
          return
        }
        expect(items).toHaveLength(count)
        expect(hex(encodeHashResponse(items))).toBe(hex(bytes))
      }),
    )
  })
})
