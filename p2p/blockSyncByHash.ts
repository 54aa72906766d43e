/**
 * @module Blocks by hash: request/response protocol `/perpd/<chainId>/sync-by-hash/1`. A node asks one peer for
 * specific blocks it knows only by header hash: the parent of a gossiped block it cannot place, or a block that
 * another signed block points at (evidence). The range form (blockSync.ts, `/sync/1`) is unchanged.
 *
 * Wire format (all integers big-endian):
 *   request  = count:u16 | hash:32 bytes × count        (2 + 32·count bytes, then the client closes its write side)
 *   response = item × count, one per requested hash, in request order, then the server closes the stream
 *   item     = 0x00                                      the peer does not hold a block with that hash
 *            | 0x01 | len:u32 | block:len bytes          the encoded block it holds under that hash
 * count is at most MAX_HASHES_PER_REQUEST; a missing hash is *marked* (0x00), never skipped, so answers line up
 * with the request. A server resets the stream on a request that is truncated, claims more than
 * MAX_HASHES_PER_REQUEST hashes or has bytes after its last hash, and instead of sending a block larger than its
 * maxBlockBytes. The client resets and rejects on an unknown item marker, a length over its maxBlockBytes (read
 * before the body is buffered), fewer or more items than hashes, or after SYNC_TIMEOUT_MS; it sends requests
 * only over open connections. Both protocols share one per-peer rate limit and the same deadlines.
 *
 * The bytes are opaque here: the caller checks that each block hashes to what it asked for.
 */

import type { Stream } from '@libp2p/interface'
import type { RateLimiter, SyncClientOptions } from './blockSync.ts'
import { LENGTH_BYTES, lengthPrefix, readLength, serveSyncStream, withSyncStream } from './blockSync.ts'

/** Upper bound on hashes per request, enforced by client and server. */
export const MAX_HASHES_PER_REQUEST = 64
/** Bytes of a block (header) hash. */
export const HASH_BYTES = 32

const COUNT_BYTES = 2
const ITEM_MISSING = 0x00
const ITEM_BLOCK = 0x01

export function syncByHashProtocol(chainId: number): string {
  return `/perpd/${chainId}/sync-by-hash/1`
}

export function encodeHashRequest(hashes: readonly Uint8Array[]): Uint8Array {
  if (hashes.length > MAX_HASHES_PER_REQUEST)
    throw new RangeError(`at most ${MAX_HASHES_PER_REQUEST} hashes per request, got ${hashes.length}`)
  const out = new Uint8Array(COUNT_BYTES + HASH_BYTES * hashes.length)
  new DataView(out.buffer).setUint16(0, hashes.length, false)
  hashes.forEach((hash, i) => {
    if (hash.length !== HASH_BYTES) throw new RangeError(`hash ${i} is ${hash.length} bytes, not ${HASH_BYTES}`)
    out.set(hash, COUNT_BYTES + i * HASH_BYTES)
  })
  return out
}

/** The whole request's length in bytes from its first COUNT_BYTES; throws RangeError on an oversized count. */
export function hashRequestLength(prefix: Uint8Array): number {
  if (prefix.length < COUNT_BYTES) throw new RangeError(`hash request shorter than its ${COUNT_BYTES}-byte count`)
  const count = new DataView(prefix.buffer, prefix.byteOffset, prefix.byteLength).getUint16(0, false)
  if (count > MAX_HASHES_PER_REQUEST)
    throw new RangeError(`hash request asks for ${count} blocks, over ${MAX_HASHES_PER_REQUEST}`)
  return COUNT_BYTES + HASH_BYTES * count
}

/** Parses a complete request; throws RangeError unless it is exactly count:u16 then count hashes. */
export function decodeHashRequest(bytes: Uint8Array): Uint8Array[] {
  const length = hashRequestLength(bytes)
  if (bytes.length !== length) throw new RangeError(`hash request is ${bytes.length} bytes, its count says ${length}`)
  const hashes: Uint8Array[] = []
  for (let at = COUNT_BYTES; at < length; at += HASH_BYTES) hashes.push(bytes.slice(at, at + HASH_BYTES))
  return hashes
}

/** The bytes that precede an item's block: the marker, and for a held block its u32 length. */
export function hashItemHeader(block: Uint8Array | null): Uint8Array {
  if (block === null) return Uint8Array.of(ITEM_MISSING)
  const out = new Uint8Array(1 + LENGTH_BYTES)
  out[0] = ITEM_BLOCK
  out.set(lengthPrefix(block.length), 1)
  return out
}

/** A whole response as bytes (the server streams the same bytes item by item). */
export function encodeHashResponse(items: readonly (Uint8Array | null)[]): Uint8Array {
  const parts = items.flatMap((b) => (b === null ? [hashItemHeader(b)] : [hashItemHeader(b), b]))
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
  let at = 0
  for (const p of parts) {
    out.set(p, at)
    at += p.length
  }
  return out
}

/** What the response reader needs from a stream: StreamReader's exact-length read. */
export interface ByteSource {
  read(n: number, eofOk?: boolean): Promise<Uint8Array | null>
}

/**
 * Reads a response to a request for `count` hashes: one entry per hash, null where the peer holds none.
 * Throws on a truncated item, an unknown marker, a block over `maxBlockBytes`, or more or fewer than `count` items.
 */
export async function readHashResponse(
  source: ByteSource,
  count: number,
  maxBlockBytes: number,
): Promise<(Uint8Array | null)[]> {
  const items: (Uint8Array | null)[] = []
  while (items.length < count) {
    const marker = await source.read(1, true)
    if (marker === null) throw new Error(`sync by hash: peer answered ${items.length} of ${count} hashes`)
    if (marker[0] === ITEM_MISSING) {
      items.push(null)
      continue
    }
    if (marker[0] !== ITEM_BLOCK) throw new Error(`sync by hash: unknown item marker ${marker[0]}`)
    const len = readLength((await source.read(LENGTH_BYTES)) as Uint8Array)
    if (len > maxBlockBytes) throw new Error(`sync: block of ${len} bytes exceeds maxBlockBytes ${maxBlockBytes}`)
    items.push((await source.read(len)) as Uint8Array)
  }
  if ((await source.read(1, true)) !== null) throw new Error(`sync by hash: peer sent more than ${count} items`)
  return items
}

export interface HashServerOptions {
  maxBlockBytes: number
  /** the encoded block held under each hash, in order; null (or a short answer) where none is held */
  serveBlocksByHash: (hashes: Uint8Array[]) => Promise<(Uint8Array | null)[]>
  log: (msg: string) => void
  /** the per-peer budget shared with the range protocol */
  limiter: RateLimiter
}

/** Stream handler for blocks by hash (register with libp2p.handle). */
export function createHashSyncHandler(opts: HashServerOptions): (stream: Stream, remotePeer: string) => Promise<void> {
  return (stream, remotePeer) => {
    const guard = { limiter: opts.limiter, log: opts.log, what: `blocks by hash to ${remotePeer}` }
    return serveSyncStream(stream, remotePeer, guard, async (reader) => {
      const prefix = await reader.read(COUNT_BYTES, true)
      if (prefix === null) return
      const rest = await reader.read(hashRequestLength(prefix) - COUNT_BYTES)
      if ((await reader.read(1, true)) !== null) throw new RangeError('hash request has bytes after its last hash')
      const request = new Uint8Array(prefix.length + (rest?.length ?? 0))
      request.set(prefix)
      if (rest !== null) request.set(rest, prefix.length)
      const hashes = decodeHashRequest(request)
      const answers = hashes.length === 0 ? [] : await opts.serveBlocksByHash(hashes)
      for (let i = 0; i < hashes.length; i++) {
        const block = answers[i] ?? null
        if (block !== null && block.length > opts.maxBlockBytes)
          throw new Error(`sync: block of ${block.length} bytes exceeds maxBlockBytes ${opts.maxBlockBytes}`)
        // send() returning false means the muxer buffer is full: wait for 'drain' to bound memory.
        if (!stream.send(hashItemHeader(block))) await stream.onDrain()
        if (block !== null && !stream.send(block)) await stream.onDrain()
      }
      await stream.close()
    })
  }
}

/**
 * Asks `peer` for the blocks with these header hashes (at most MAX_HASHES_PER_REQUEST): one entry per hash, in
 * order, null where the peer holds none. Rejects like the range request (blockSync.ts), and when not connected.
 */
export async function requestBlocksByHash(
  opts: SyncClientOptions,
  peer: string,
  hashes: readonly Uint8Array[],
): Promise<(Uint8Array | null)[]> {
  const request = encodeHashRequest(hashes) // throws RangeError on a bad hash or too many
  if (hashes.length === 0) return []
  return withSyncStream(opts, peer, async (s, reader, signal) => {
    s.send(request)
    await s.close({ signal })
    return readHashResponse(reader, hashes.length, opts.maxBlockBytes)
  })
}
