/**
 * @module The embedded L1's journal: an append-only file of mined blocks, from which a restart rebuilds the
 * same chain (same block hashes, receipts and state) by re-executing them.
 *
 * Framing: each record is `u32 length (big-endian) ‖ u32 crc32(payload) ‖ payload`, the payload UTF-8 JSON
 * (one `JournalRecord`). The first record is the genesis. Appends are `write(2)` calls, so a record survives a
 * killed process as soon as `append` returns; `append(…, { sync: true })` also fsyncs, so it survives a power
 * loss too (with every record before it). Block records that carry transactions are synced before their result
 * is returned; empty interval blocks are only written, as losing a tail of empty blocks to a power loss loses
 * nothing anyone was promised (see docs/operations.md, "Embedded L1").
 *
 * On open, records are read until the first one that is incomplete or fails its checksum: that one and
 * everything after it is a torn tail from a write that never finished. It is cut off (the file truncated to the
 * last good record) and reported, never fatal.
 */

import { closeSync, fsyncSync, ftruncateSync, mkdirSync, openSync, readFileSync, writeSync } from 'node:fs'
import { join } from 'node:path'
import { crc32 } from 'node:zlib'
import type { Hex } from './rpcParams.ts'

export const JOURNAL_FILE = 'l1-journal.bin'
const HEADER_BYTES = 8
/** bytes; a record is one block's transactions, and a block holds at most 30M gas of calldata (~1.9 MB) */
const MAX_RECORD_BYTES = 64 * 1024 * 1024

export interface GenesisRecord {
  kind: 'genesis'
  chainId: number
  /** seconds */
  timestamp: number
  /** [address, wei as a decimal string] */
  fund: [Hex, string][]
}

export interface BlockRecord {
  kind: 'block'
  number: number
  /** seconds */
  timestamp: number
  /** raw signed transactions in block order; absent for an empty block */
  txs?: Hex[]
  /** the block hash when mined; replay checks it (written for blocks with transactions) */
  hash?: Hex
}

export type JournalRecord = GenesisRecord | BlockRecord

export interface OpenedJournal {
  journal: Journal
  records: JournalRecord[]
  /** bytes cut off a torn tail (0 when the file ended cleanly) */
  droppedBytes: number
}

export class Journal {
  private fd: number
  private bytes: number

  private constructor(fd: number, bytes: number) {
    this.fd = fd
    this.bytes = bytes
  }

  /** Opens (creating if needed) the journal in `dir`, reads its records and cuts off a torn tail. */
  static open(dir: string): OpenedJournal {
    mkdirSync(dir, { recursive: true })
    const path = join(dir, JOURNAL_FILE)
    const fd = openSync(path, 'a+')
    const content = readFileSync(path)
    const { records, goodBytes } = decodeRecords(content)
    if (goodBytes < content.length) {
      ftruncateSync(fd, goodBytes)
      fsyncSync(fd)
    }
    return { journal: new Journal(fd, goodBytes), records, droppedBytes: content.length - goodBytes }
  }

  /** bytes of whole records in the file */
  size(): number {
    return this.bytes
  }

  append(record: JournalRecord, opts: { sync: boolean }): void {
    const framed = encodeRecord(record)
    let written = 0
    while (written < framed.length) written += writeSync(this.fd, framed, written, framed.length - written)
    this.bytes += framed.length
    if (opts.sync) fsyncSync(this.fd)
  }

  /** Cuts the file back to `bytes` (a size returned by `size()` earlier), durably. */
  truncate(bytes: number): void {
    if (bytes > this.bytes) throw new Error(`journal: cannot truncate ${this.bytes} bytes to ${bytes}`)
    ftruncateSync(this.fd, bytes)
    fsyncSync(this.fd)
    this.bytes = bytes
  }

  close(): void {
    if (this.fd < 0) return
    // the tail of unsynced empty blocks is made durable on a clean stop
    fsyncSync(this.fd)
    closeSync(this.fd)
    this.fd = -1
  }
}

export function encodeRecord(record: JournalRecord): Buffer {
  const payload = Buffer.from(JSON.stringify(record), 'utf8')
  const framed = Buffer.alloc(HEADER_BYTES + payload.length)
  framed.writeUInt32BE(payload.length, 0)
  framed.writeUInt32BE(crc32(payload), 4)
  payload.copy(framed, HEADER_BYTES)
  return framed
}

/** Whole, checksummed records from the start of `content`, and how many bytes they span. */
export function decodeRecords(content: Uint8Array): { records: JournalRecord[]; goodBytes: number } {
  const buf = Buffer.from(content.buffer, content.byteOffset, content.byteLength)
  const records: JournalRecord[] = []
  let at = 0
  while (at + HEADER_BYTES <= buf.length) {
    const length = buf.readUInt32BE(at)
    const end = at + HEADER_BYTES + length
    // a zero length is what a tail of zeroed pages looks like after a crash
    if (length === 0 || length > MAX_RECORD_BYTES || end > buf.length) break
    const payload = buf.subarray(at + HEADER_BYTES, end)
    if (crc32(payload) !== buf.readUInt32BE(at + 4)) break
    const record = parseRecord(payload)
    if (record === undefined) break
    records.push(record)
    at = end
  }
  return { records, goodBytes: at }
}

function parseRecord(payload: Buffer): JournalRecord | undefined {
  try {
    const r = JSON.parse(payload.toString('utf8')) as JournalRecord
    return r.kind === 'genesis' || r.kind === 'block' ? r : undefined
  } catch {
    return undefined
  }
}
