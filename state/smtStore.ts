/**
 * @module The node-store layout of the sparse Merkle tree (state/smt.ts writes it, state/smtRead.ts reads it).
 * Keys are relative (the node puts them under its own DB prefix); integers big-endian.
 *
 * The binary tree is stored in pages of PAGE_LEVELS levels: a page is the part of the tree below an inner node
 * at a depth that is a multiple of PAGE_LEVELS (the page root), down to PAGE_LEVELS levels further. It lists
 * the shape of its inner nodes and its boundary entries: the leaves inside it and the inner nodes at its bottom
 * depth (the roots of the next pages), each with its hash and the version of its record. The inner hashes in
 * between are recomputed when read. Leaves are records of their own.
 *
 *   0x01 ‖ version u64 ‖ depth u16 ‖ prefix[ceil(depth/8)]   a node record written at height `version`, at the
 *                                                            position of the first `depth` path bits (rest zero)
 *        leaf value (73 bytes): 0x00 ‖ path (32) ‖ valueHash (32) ‖ valueVersion u64
 *        page value: 0x02 ‖ shape (SHAPE_BYTES) ‖ entries: hash (32) ‖ version u64, one per boundary entry
 *   0x02 ‖ height u64     the root at that height: 32 zero bytes (empty tree) or root hash (32) ‖ version u64 of
 *                         the root's record (a page, or a leaf when the tree holds one leaf)
 *   0x03 ‖ height u64     keys (node and value keys) that left the tree at that height, concatenated
 *   0x04 ‖ path (32) ‖ valueVersion u64   a leaf's value bytes as written at height valueVersion
 *
 * Page shape: the positions below the page root are numbered like a heap (the root 1, the children of j 2j and
 * 2j + 1, so relative depth r holds 2^r .. 2^(r+1) − 1 and the r path bits below the root pick one); position j
 * has a 2-bit code at bits 2(j − 2), 2(j − 2) + 1 of the shape (byte (j − 2) >> 2, least significant first):
 * 0 empty (or below an empty or leaf position), 1 leaf, 2 inner (inside the page above the bottom depth, the
 * root of a next page at it). Entries follow in position order for every leaf and every bottom inner position.
 *
 * Nothing is overwritten: a changed page or leaf is written under a new version, a changed value under a new
 * value version, and the old keys go into the stale list of the height, deleted keepHeights later.
 */
import { CodecError } from './codec.ts'
import { putU64 } from './smtBytes.ts'

/** A write of the tree's node store. */
export interface TreeNodeWrite {
  key: Uint8Array
  /** null deletes the record */
  value: Uint8Array | null
}

/** First byte of every node-store key the tree defines. */
export const TREE_RECORD = { node: 0x01, root: 0x02, stale: 0x03, value: 0x04 } as const

/** First byte of a node record's value. */
export const REC_LEAF = 0x00
export const REC_PAGE = 0x02
export const LEAF_RECORD_BYTES = 73
export const VALUE_KEY_BYTES = 41
/** levels per stored page (1–4): 3 cuts the records of a block ~2.6× against one per node (bench/NOTES.md) */
export const PAGE_LEVELS = 3
/** heap positions of a page: 1 (root) .. PAGE_END − 1 */
export const PAGE_END = 1 << (PAGE_LEVELS + 1)
/** 2 bits per position below the root, rounded up to whole 32-bit words so the entries stay word-aligned */
export const SHAPE_BYTES = 4 * Math.ceil((2 * (PAGE_END - 2)) / 32)
export const PAGE_ENTRY_BYTES = 40
export const CODE_EMPTY = 0
export const CODE_LEAF = 1
export const CODE_INNER = 2
/** a root record: root hash ‖ version of the root node */
export const ROOT_RECORD_BYTES = 40

/** A proof or load that meets a missing record: pruned, not committed, or removed meanwhile. */
export class TreeUnavailableError extends Error {
  override name = 'TreeUnavailableError'
}

export function nodeKeyLength(depth: number): number {
  return 11 + ((depth + 7) >> 3)
}

/** Writes the node key (version, depth, first `depth` bits of the path at src[srcOff]) at buf[off]. */
export function writeNodeKey(
  buf: Uint8Array,
  off: number,
  version: number,
  depth: number,
  src: Uint8Array,
  srcOff: number,
): void {
  buf[off] = TREE_RECORD.node
  putU64(buf, off + 1, version)
  buf[off + 9] = depth >> 8
  buf[off + 10] = depth & 0xff
  const n = (depth + 7) >> 3
  for (let i = 0; i < n; i++) buf[off + 11 + i] = src[srcOff + i] as number
  const r = depth & 7
  if (r !== 0) buf[off + 10 + n] = (buf[off + 10 + n] as number) & ((0xff00 >> r) & 0xff)
}

/** Writes the value key (path at src[srcOff], value version) at buf[off]. */
export function writeValueKey(buf: Uint8Array, off: number, src: Uint8Array, srcOff: number, version: number): void {
  buf[off] = TREE_RECORD.value
  for (let i = 0; i < 32; i++) buf[off + 1 + i] = src[srcOff + i] as number
  putU64(buf, off + 33, version)
}

export function heightKey(tag: number, height: number): Uint8Array {
  const out = new Uint8Array(9)
  out[0] = tag
  putU64(out, 1, height)
  return out
}

/** Length of the key starting at keys[off] in a stale list (node keys are self-delimiting by their depth). */
export function staleEntryLength(keys: Uint8Array, off: number): number {
  const tag = keys[off]
  if (tag === TREE_RECORD.value) return VALUE_KEY_BYTES
  if (tag !== TREE_RECORD.node || off + 11 > keys.length) throw new CodecError(`bad stale list entry (tag ${tag})`)
  return nodeKeyLength(((keys[off + 9] as number) << 8) | (keys[off + 10] as number))
}

export function checkedHeight(height: bigint): number {
  if (typeof height !== 'bigint' || height < 0n || height > BigInt(Number.MAX_SAFE_INTEGER))
    throw new RangeError(`tree height out of range: ${height}`)
  return Number(height)
}

/** Node-store key of a node written at `version` at the position of the first `depth` bits of `path`. */
export function treeNodeKey(version: bigint, depth: number, path: Uint8Array): Uint8Array {
  if (!Number.isInteger(depth) || depth < 0 || depth > 256) throw new RangeError(`depth out of range: ${depth}`)
  const out = new Uint8Array(nodeKeyLength(depth))
  writeNodeKey(out, 0, checkedHeight(version), depth, path, 0)
  return out
}

/** Node-store key of the root record of `height`. */
export function treeRootKey(height: bigint): Uint8Array {
  return heightKey(TREE_RECORD.root, checkedHeight(height))
}

/** Node-store key of the list of keys that became stale at `height`. */
export function treeStaleKey(height: bigint): Uint8Array {
  return heightKey(TREE_RECORD.stale, checkedHeight(height))
}

/** Node-store key of the value written at height `version` for the leaf on `path` (= keccak256(stateKey)). */
export function treeValueKey(path: Uint8Array, version: bigint): Uint8Array {
  if (path.length !== 32) throw new RangeError('a tree path is 32 bytes')
  const out = new Uint8Array(VALUE_KEY_BYTES)
  writeValueKey(out, 0, path, 0, checkedHeight(version))
  return out
}

/** Node records by key: open addressing over FNV-1a hashes (no string per key; restarts load millions). */
export class RecordTable {
  readonly #keys: Uint8Array[] = []
  readonly #values: Uint8Array[] = []
  #slots = new Int32Array(0)
  #mask = 0

  add(key: Uint8Array, value: Uint8Array): void {
    this.#keys.push(key)
    this.#values.push(value)
  }

  /** Builds the index once every record is added. */
  seal(): void {
    let size = 1024
    while (size < this.#keys.length * 2) size *= 2
    this.#slots = new Int32Array(size).fill(-1)
    this.#mask = size - 1
    this.#keys.forEach((key, i) => {
      let h = fnv(key, key.length) & this.#mask
      while (this.#slots[h] !== -1) h = (h + 1) & this.#mask
      this.#slots[h] = i
    })
  }

  /** The value stored under key[0..len). */
  get(key: Uint8Array, len: number): Uint8Array | undefined {
    let h = fnv(key, len) & this.#mask
    for (;;) {
      const i = this.#slots[h] as number
      if (i === -1) return undefined
      const k = this.#keys[i] as Uint8Array
      if (k.length === len) {
        let same = true
        for (let j = 0; j < len; j++)
          if (k[j] !== key[j]) {
            same = false
            break
          }
        if (same) return this.#values[i]
      }
      h = (h + 1) & this.#mask
    }
  }
}

function fnv(bytes: Uint8Array, len: number): number {
  let h = 0x811c9dc5
  for (let i = 0; i < len; i++) h = Math.imul(h ^ (bytes[i] as number), 0x01000193)
  return h >>> 0
}

/** A page record decoded: the code of every position and the offset of its entry in the record (−1: none). */
export interface PageView {
  rec: Uint8Array
  codes: Uint8Array
  entryAt: Int32Array
}

/** Decodes and checks a page record's shape and length (not its hashes). */
export function decodePage(rec: Uint8Array): PageView {
  if (rec[0] !== REC_PAGE || rec.length < 1 + SHAPE_BYTES) throw new CodecError('not a state tree page record')
  const codes = new Uint8Array(PAGE_END)
  const entryAt = new Int32Array(PAGE_END).fill(-1)
  codes[1] = CODE_INNER
  let at = 1 + SHAPE_BYTES
  for (let j = 2; j < PAGE_END; j++) {
    const bit = 2 * (j - 2)
    const code = ((rec[1 + (bit >> 3)] as number) >> (bit & 7)) & 3
    const parentInner = codes[j >> 1] === CODE_INNER && j >> 1 < PAGE_END >> 1
    if (code === 3 || (code !== CODE_EMPTY && !parentInner)) throw new CodecError('malformed state tree page shape')
    codes[j] = code
    if (code === CODE_LEAF || (code === CODE_INNER && j >= PAGE_END >> 1)) {
      entryAt[j] = at
      at += PAGE_ENTRY_BYTES
    }
  }
  for (let bit = 2 * (PAGE_END - 2); bit < 8 * SHAPE_BYTES; bit++)
    if ((((rec[1 + (bit >> 3)] as number) >> (bit & 7)) & 1) !== 0)
      throw new CodecError('malformed state tree page shape')
  if (at !== rec.length) throw new CodecError(`state tree page of ${rec.length} bytes, its shape says ${at}`)
  return { rec, codes, entryAt }
}

/** The error for a node record in the layout before versioned leaf values (65-byte leaves, flagged inners). */
export function oldLayoutError(): CodecError {
  return new CodecError(
    'state tree records in an older layout (before versioned leaf values): export a snapshot of this data ' +
      'directory (perpd export) and import it into a fresh one (perpd import)',
  )
}
