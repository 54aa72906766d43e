/**
 * @module LevelDB key layout of the node's chain store. Each prefix byte is owned here and never reused.
 */
import { Writer } from '../state/index.ts'

export const DB_PREFIX = {
  /** the head: height, block hash, state root, time (one key) */
  head: 0x01,
  /** encoded block by height (u64) */
  block: 0x02,
  /** receipts (JSON) by height (u64) */
  receipts: 0x03,
  /** tx hash (32 bytes) → height u64 ‖ index u32 */
  txIndex: 0x04,
  /** current state leaf by its state key (state/keys.ts) */
  leaf: 0x05,
  /** chain identity: genesis hash, checked at open so a data dir is never used with another genesis */
  genesis: 0x06,
  /**
   * u64 height of the snapshot this store was imported from (`perpd import`); absent in a store that began at
   * genesis. Blocks, receipts and tx index entries exist from this height up; state before it does not.
   */
  base: 0x07,
  /**
   * state tree records (state/smtStore.ts keys: height-versioned pages and leaves, roots, stale lists, and the
   * leaf values versioned by the height that wrote them), pruned beyond --keep-heights
   */
  tree: 0x08,
  /** the block's own events (JSON: expiries, oracle prices, funding, liquidations) by height (u64) */
  blockEvents: 0x09,
  /**
   * fraud evidence (JSON, node/evidence.ts) by a u32 sequence number in the order it was recorded: root
   * mismatches and sequencer equivocations, kept for an L1 challenge and never pruned
   */
  evidence: 0x0a,
  /**
   * block (header) hash (32 bytes) → height u64, written in the block's own batch; serves block sync by hash.
   * A store from before this index gets it built once at open (node/chainStore.ts `ensureHashIndex`).
   */
  blockHash: 0x0b,
  /**
   * one key: u32 count of evidence records an operator acknowledged (`perpd start --clear-alarm HEIGHT`). The
   * records stay; only those recorded after the count raise the alarm.
   */
  alarmCleared: 0x0c,
} as const

export const headKey = Uint8Array.of(DB_PREFIX.head)
export const genesisKey = Uint8Array.of(DB_PREFIX.genesis)
export const baseKey = Uint8Array.of(DB_PREFIX.base)
export const blockKey = (height: bigint): Uint8Array => new Writer(9).u8(DB_PREFIX.block).u64(height).finish()
export const receiptsKey = (height: bigint): Uint8Array => new Writer(9).u8(DB_PREFIX.receipts).u64(height).finish()
export const blockEventsKey = (height: bigint): Uint8Array =>
  new Writer(9).u8(DB_PREFIX.blockEvents).u64(height).finish()
export const evidenceKey = (seq: number): Uint8Array => new Writer(5).u8(DB_PREFIX.evidence).u32(seq).finish()
export const alarmClearedKey = Uint8Array.of(DB_PREFIX.alarmCleared)
export const blockHashKey = (hash: Uint8Array): Uint8Array =>
  new Writer(33).u8(DB_PREFIX.blockHash).fixed(hash, 32).finish()
/** Where a key's bytes are made: a fresh array, or one store batch's shared buffers (node/batchBytes.ts). */
export interface KeySpace {
  reserve(length: number): Uint8Array
}

const FRESH: KeySpace = { reserve: (length) => new Uint8Array(length) }

function prefixed(prefix: number, bytes: Uint8Array, space: KeySpace): Uint8Array {
  return prefixedAt(prefix, bytes, 0, bytes.length, space)
}

/** `prefix` then the `length` bytes of `buf` from `at`, copied byte by byte (no view of them is made). */
function prefixedAt(prefix: number, buf: Uint8Array, at: number, length: number, space: KeySpace): Uint8Array {
  const out = space.reserve(length + 1)
  out[0] = prefix
  for (let i = 0; i < length; i++) out[i + 1] = buf[at + i] as number
  return out
}

export function txIndexKey(hash: Uint8Array, space: KeySpace = FRESH): Uint8Array {
  if (hash.length !== 32) throw new RangeError(`a transaction hash is 32 bytes, got ${hash.length}`)
  return prefixed(DB_PREFIX.txIndex, hash, space)
}

export const leafDbKey = (stateKey: Uint8Array, space: KeySpace = FRESH): Uint8Array =>
  prefixed(DB_PREFIX.leaf, stateKey, space)

export const treeDbKey = (treeKey: Uint8Array, space: KeySpace = FRESH): Uint8Array =>
  prefixed(DB_PREFIX.tree, treeKey, space)

/** treeDbKey of the `length` bytes of `buf` from `at` (a tree commit's buffer: NodeWrites.forEachRecord). */
export const treeDbKeyAt = (buf: Uint8Array, at: number, length: number, space: KeySpace): Uint8Array =>
  prefixedAt(DB_PREFIX.tree, buf, at, length, space)
