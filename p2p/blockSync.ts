/**
 * @module Block-sync request/response protocol `/perpd/<chainId>/sync/1`, used by a node that is behind (or
 * just started) to fetch a range of blocks from one peer.
 *
 * Wire format (all integers big-endian):
 *   request  = from:u64 | count:u32                       (12 bytes, then the client closes its write side)
 *   response = (len:u32 | block:len bytes)*                (ends when the server closes the stream)
 * Both sides cap count at MAX_SYNC_BLOCKS. The server resets the stream instead of sending an item larger than
 * its maxBlockBytes; the client resets and rejects on an item larger than its own maxBlockBytes (checked on
 * the length prefix, before the body is buffered), on more items than it asked for, or after 10 s.
 *
 * Blocks by hash are a second protocol (blockSyncByHash.ts) with the same limits, deadlines and per-peer rate
 * limit (one budget shared by both protocols). A request is only ever sent over a connection that is already
 * open: sync never dials. Connecting is the bootstrapper's job; a dial here would go to whatever addresses the
 * peer announced over identify, which may not be reachable, or not be the path the operator configured.
 */

import type { Libp2p, Stream } from '@libp2p/interface'
import { peerIdFromString } from '@libp2p/peer-id'
import { StreamReader } from './streamReader.ts'

/** Upper bound on blocks per request, enforced by client and server. */
export const MAX_SYNC_BLOCKS = 256
/** ms: whole-request deadline on the client (dial + request + all items). */
export const SYNC_TIMEOUT_MS = 10_000
/** ms: deadline for the server to read the request and write the whole response. */
export const SERVE_TIMEOUT_MS = 30_000
/**
 * Server rate limit: at most SYNC_RATE_LIMIT requests per peer per SYNC_RATE_WINDOW_MS (a fixed window
 * keyed by peer id). Beyond that the stream is reset without reading it, so the client's request rejects.
 * 20/s is far above what a catching-up node needs (256 blocks per request) and bounds serveBlocks load.
 */
export const SYNC_RATE_LIMIT = 20
export const SYNC_RATE_WINDOW_MS = 1_000

const REQUEST_BYTES = 12
/** Bytes of the u32 length prefix before each block in a response. */
export const LENGTH_BYTES = 4
const U64_MAX = (1n << 64n) - 1n

export function syncProtocol(chainId: number): string {
  return `/perpd/${chainId}/sync/1`
}

export function encodeSyncRequest(from: bigint, count: number): Uint8Array {
  const out = new Uint8Array(REQUEST_BYTES)
  const view = new DataView(out.buffer)
  view.setBigUint64(0, from, false)
  view.setUint32(8, count, false)
  return out
}

export function decodeSyncRequest(bytes: Uint8Array): { from: bigint; count: number } {
  if (bytes.length !== REQUEST_BYTES) throw new RangeError(`sync request must be ${REQUEST_BYTES} bytes`)
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  return { from: view.getBigUint64(0, false), count: view.getUint32(8, false) }
}

export function lengthPrefix(n: number): Uint8Array {
  const out = new Uint8Array(LENGTH_BYTES)
  new DataView(out.buffer).setUint32(0, n, false)
  return out
}

export function readLength(bytes: Uint8Array): number {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(0, false)
}

/** Fixed-window per-peer request counter. Entries of idle peers are dropped lazily to bound memory. */
export class RateLimiter {
  readonly #windows = new Map<string, { start: number; count: number }>()
  readonly #limit: number
  readonly #windowMs: number

  constructor(limit: number, windowMs: number) {
    this.#limit = limit
    this.#windowMs = windowMs
  }

  /** Counts one request for `key`; false if it exceeds the limit for the current window. */
  allow(key: string, now = Date.now()): boolean {
    if (this.#windows.size > 1024) {
      for (const [k, w] of this.#windows) if (now - w.start >= this.#windowMs) this.#windows.delete(k)
    }
    const w = this.#windows.get(key)
    if (w === undefined || now - w.start >= this.#windowMs) {
      this.#windows.set(key, { start: now, count: 1 })
      return true
    }
    w.count++
    return w.count <= this.#limit
  }
}

export interface SyncServerOptions {
  maxBlockBytes: number
  serveBlocks: (from: bigint, count: number) => Promise<Uint8Array[]>
  log: (msg: string) => void
  /** per-peer request budget; pass one limiter to every sync handler so they share it (default: its own) */
  limiter?: RateLimiter
}

/**
 * What every sync protocol's server does around its own answer: a peer past its request budget has the stream
 * reset at once; an answer not done in SERVE_TIMEOUT_MS is aborted; an answer that throws is logged (`what`
 * names it) and aborts the stream. `answer` reads the request and writes and closes the stream itself.
 */
export async function serveSyncStream(
  stream: Stream,
  remotePeer: string,
  guard: { limiter: RateLimiter; log: (msg: string) => void; what: string },
  answer: (reader: StreamReader) => Promise<void>,
): Promise<void> {
  if (!guard.limiter.allow(remotePeer)) {
    guard.log(`sync: rate limit exceeded by ${remotePeer}, resetting stream`)
    stream.abort(new Error('rate limited'))
    return
  }
  const timer = setTimeout(() => stream.abort(new Error('sync serve timeout')), SERVE_TIMEOUT_MS)
  try {
    await answer(new StreamReader(stream))
  } catch (err) {
    guard.log(`sync: serving ${guard.what} failed: ${(err as Error).message}`)
    stream.abort(err as Error)
  } finally {
    clearTimeout(timer)
  }
}

/** Stream handler for the sync protocol (register with libp2p.handle). */
export function createSyncHandler(opts: SyncServerOptions): (stream: Stream, remotePeer: string) => Promise<void> {
  const limiter = opts.limiter ?? new RateLimiter(SYNC_RATE_LIMIT, SYNC_RATE_WINDOW_MS)
  return (stream, remotePeer) =>
    serveSyncStream(stream, remotePeer, { limiter, log: opts.log, what: remotePeer }, async (reader) => {
      const request = await reader.read(REQUEST_BYTES)
      if (request === null) return
      const { from, count: asked } = decodeSyncRequest(request)
      const count = Math.min(asked, MAX_SYNC_BLOCKS)
      const blocks = count === 0 ? [] : (await opts.serveBlocks(from, count)).slice(0, count)
      for (const block of blocks) {
        if (block.length > opts.maxBlockBytes) {
          throw new Error(`sync: block of ${block.length} bytes exceeds maxBlockBytes ${opts.maxBlockBytes}`)
        }
        // send() returning false means the muxer buffer is full: wait for 'drain' to bound memory.
        stream.send(lengthPrefix(block.length))
        if (!stream.send(block)) await stream.onDrain()
      }
      await stream.close()
    })
}

export interface SyncClientOptions {
  libp2p: Libp2p
  protocol: string
  maxBlockBytes: number
}

/** Requests blocks [from, from+count) from `peer`; see the module comment for the failure cases. */
export async function requestBlocks(
  opts: SyncClientOptions,
  peer: string,
  from: bigint,
  count: number,
): Promise<Uint8Array[]> {
  if (!Number.isInteger(count) || count < 0) throw new RangeError(`count must be a non-negative integer, got ${count}`)
  if (from < 0n || from > U64_MAX) throw new RangeError(`from out of u64 range: ${from}`)
  const capped = Math.min(count, MAX_SYNC_BLOCKS)
  if (capped === 0) return []
  return withSyncStream(opts, peer, async (s, reader, signal) => {
    s.send(encodeSyncRequest(from, capped))
    await s.close({ signal })
    const blocks: Uint8Array[] = []
    for (;;) {
      const header = await reader.read(LENGTH_BYTES, true)
      if (header === null) break
      if (blocks.length >= capped) throw new Error(`sync: peer sent more than the ${capped} blocks requested`)
      const len = readLength(header)
      if (len > opts.maxBlockBytes)
        throw new Error(`sync: block of ${len} bytes exceeds maxBlockBytes ${opts.maxBlockBytes}`)
      const block = await reader.read(len)
      if (block === null) throw new Error('sync: unexpected end of stream')
      blocks.push(block)
    }
    return blocks
  })
}

/**
 * Opens `opts.protocol` to `peer` over an open connection (never dials; rejects with "not connected") and runs
 * `exchange` under the SYNC_TIMEOUT_MS deadline. Any failure resets the stream; a timeout rejects with its own
 * reason rather than the reset it caused.
 */
export async function withSyncStream<T>(
  opts: SyncClientOptions,
  peer: string,
  exchange: (stream: Stream, reader: StreamReader, signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const peerId = peerIdFromString(peer)
  const connection = opts.libp2p.getConnections(peerId).find((c) => c.status === 'open')
  if (connection === undefined) throw new Error(`sync: not connected to ${peer}`)
  const controller = new AbortController()
  const timer = setTimeout(
    () => controller.abort(new Error(`sync request to ${peer} timed out after ${SYNC_TIMEOUT_MS} ms`)),
    SYNC_TIMEOUT_MS,
  )
  let stream: Stream | undefined
  try {
    stream = await connection.newStream(opts.protocol, { signal: controller.signal })
    const s = stream
    const onAbort = (): void => s.abort(controller.signal.reason as Error)
    controller.signal.addEventListener('abort', onAbort, { once: true })
    try {
      return await exchange(s, new StreamReader(s), controller.signal)
    } finally {
      controller.signal.removeEventListener('abort', onAbort)
    }
  } catch (err) {
    stream?.abort(err as Error)
    if (controller.signal.aborted) throw controller.signal.reason as Error
    throw err
  } finally {
    clearTimeout(timer)
  }
}
