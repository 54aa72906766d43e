/**
 * @module The state root: a binary sparse Merkle tree over keccak256(stateKey), with single-leaf subtrees
 * collapsed into the leaf (docs/state-tree.md). Pure: no I/O. The node persists what `commit` returns.
 *
 * Hashing (state/treeHash.ts): leaf = keccak256(0x00 ‖ path ‖ keccak256(value)), inner = keccak256(0x01 ‖ left ‖
 * right), empty subtree = 32 zero bytes. A leaf sits at the shallowest depth where its subtree holds no other
 * leaf, so the tree is ~log2(n) deep and a proof carries ~log2(n) sibling hashes (state/smtProof.ts).
 *
 * In memory the latest tree lives in flat typed arrays (one slot per node, no per-node objects): ~100 bytes a
 * leaf plus ~48 bytes an inner node. `commit` applies a block's writes once: the dirty paths are sorted, the tree
 * is walked once along them (shared prefixes visited once), and each touched node is hashed once.
 *
 * Node store (keys below are relative: the node puts them under its own DB prefix), all integers big-endian:
 *   0x01 ‖ version u64 ‖ depth u16 ‖ prefix[ceil(depth/8)]  a node written at height `version` at the position
 *                                                           given by the first `depth` path bits (rest zeroed)
 *        leaf  value: 0x00 ‖ path (32) ‖ valueHash (32)
 *        inner value: 0x01 ‖ flags (bit0 left, bit1 right present) ‖ per present child: hash (32) ‖ version u64
 *   0x02 ‖ height u64   the root at that height: 32 zero bytes (empty tree) or root hash (32) ‖ root version u64
 *   0x03 ‖ height u64   node keys that left the tree at that height, concatenated (pruned keepHeights later)
 * A node is never overwritten: a changed node is written under a new version and the old key is listed as stale,
 * so the trees of the last keepHeights heights stay readable (`proveAt`) and older nodes are deleted by `commit`.
 */
import { CodecError } from './codec.ts'
import { HASH_BYTES } from './hash.ts'
import type { LeafWrite } from './merkle.ts'
import type { StateProof } from './smtProof.ts'
import { bitAt } from './smtProof.ts'
import { hashNodeInto, INNER_TAG, LEAF_TAG, treeKeccak, treeKeccakInto } from './treeHash.ts'

export interface TreeNodeWrite {
  key: Uint8Array
  /** null deletes the record */
  value: Uint8Array | null
}

export interface TreeOptions {
  /** how many of the latest heights stay provable with `proveAt` (≥ 1); older nodes are pruned */
  keepHeights?: number
}

export interface TreeCommit {
  root: Uint8Array
  nodeWrites: TreeNodeWrite[]
}

export const DEFAULT_KEEP_HEIGHTS = 128

/** First byte of every node-store key the tree defines. */
export const TREE_RECORD = { node: 0x01, root: 0x02, stale: 0x03 } as const

const REC_LEAF = 0x00
const REC_INNER = 0x01
/** version of a node created or changed in the running commit and not yet placed (no record yet) */
const PENDING = -1
const ZERO32 = new Uint8Array(HASH_BYTES)
const TWO32 = 4294967296

// ── byte helpers ────────────────────────────────────────────────────────────────────────────────────────────

function putU64(buf: Uint8Array, off: number, v: number): void {
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

function getU64(buf: Uint8Array, off: number): number {
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

function bitOf(buf: Uint8Array, off: number, d: number): number {
  return ((buf[off + (d >> 3)] as number) >> (7 - (d & 7))) & 1
}

function compare32(a: Uint8Array, aOff: number, b: Uint8Array, bOff: number): number {
  for (let i = 0; i < 32; i++) {
    const d = (a[aOff + i] as number) - (b[bOff + i] as number)
    if (d !== 0) return d
  }
  return 0
}

function copy32(src: Uint8Array, srcOff: number, dst: Uint8Array, dstOff: number): void {
  for (let i = 0; i < 32; i++) dst[dstOff + i] = src[srcOff + i] as number
}

function nodeKeyLength(depth: number): number {
  return 11 + ((depth + 7) >> 3)
}

function writeNodeKey(buf: Uint8Array, off: number, version: number, depth: number, src: Uint8Array, srcOff: number) {
  buf[off] = TREE_RECORD.node
  putU64(buf, off + 1, version)
  buf[off + 9] = depth >> 8
  buf[off + 10] = depth & 0xff
  const n = (depth + 7) >> 3
  for (let i = 0; i < n; i++) buf[off + 11 + i] = src[srcOff + i] as number
  const r = depth & 7
  if (r !== 0) buf[off + 10 + n] = (buf[off + 10 + n] as number) & ((0xff00 >> r) & 0xff)
}

function heightKey(tag: number, height: number): Uint8Array {
  const out = new Uint8Array(9)
  out[0] = tag
  putU64(out, 1, height)
  return out
}

function checkedHeight(height: bigint): number {
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

/** Node-store key of the list of node keys that became stale at `height`. */
export function treeStaleKey(height: bigint): Uint8Array {
  return heightKey(TREE_RECORD.stale, checkedHeight(height))
}

/** Node records by key: open addressing over FNV-1a hashes (no string per key; restarts load millions). */
class RecordTable {
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

/**
 * The permutation that sorts n 32-byte paths, stable (equal paths keep their input order). Large inputs: LSD
 * radix sort on the first 32 bits (two 16-bit passes), then runs sharing those bits are ordered by full path.
 */
function sortByPath(paths: Uint8Array, n: number): Int32Array {
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

/** A growable byte buffer; callers keep offsets (views are cut once the buffer stops growing). */
class Sink {
  buf = new Uint8Array(4096)
  at = 0

  reserve(n: number): number {
    if (this.at + n > this.buf.length) {
      let size = this.buf.length * 2
      while (size < this.at + n) size *= 2
      const next = new Uint8Array(size)
      next.set(this.buf.subarray(0, this.at))
      this.buf = next
    }
    const off = this.at
    this.at += n
    return off
  }
}

/** A proof-walk error that names what is missing. */
export class TreeUnavailableError extends Error {
  override name = 'TreeUnavailableError'
}

export class SparseMerkleTree {
  readonly #keep: number

  // inner nodes: ref = id > 0
  #iHash = new Uint8Array(0)
  #iLeft = new Int32Array(0)
  #iRight = new Int32Array(0)
  #iVer = new Float64Array(0)
  #iNext = 1
  #iFree: number[] = []

  // leaves: ref = -id < 0
  #lHash = new Uint8Array(0)
  #lPath = new Uint8Array(0)
  #lVal = new Uint8Array(0)
  #lVer = new Float64Array(0)
  #lDepth = new Uint16Array(0)
  #lNext = 1
  #lFree: number[] = []
  #leafCount = 0

  #rootRef = 0
  #lastHeight = -1
  /** heights whose root record is in the store, ascending */
  #rootHeights: number[] = []
  /** stale lists still in the store, ascending by height */
  #staleLists: { height: number; keys: Uint8Array }[] = []

  // state of the running commit
  #h = 0
  #emit = true
  #wPath = new Uint8Array(0)
  #wVal = new Uint8Array(0)
  #wDel = new Uint8Array(0)
  #sink = new Sink()
  /** (key offset, key length, value offset, value length) in #sink, value length −1 = delete */
  #ops: number[] = []
  #extDeletes: Uint8Array[] = []
  #stale = new Sink()
  #freedInner: number[] = []
  #freedLeaves: number[] = []

  private constructor(options: TreeOptions) {
    const keep = options.keepHeights ?? DEFAULT_KEEP_HEIGHTS
    if (!Number.isInteger(keep) || keep < 1) throw new RangeError(`keepHeights must be an integer ≥ 1, got ${keep}`)
    this.#keep = keep
  }

  static empty(options: TreeOptions = {}): SparseMerkleTree {
    return new SparseMerkleTree(options)
  }

  /**
   * A tree over `leaves` (state key, value), every node versioned `height`. Nothing is emitted: the store gets
   * nothing unless `fullNodeWrites()` is persisted (a fresh node store); for genesis prefer
   * `empty().commit(0n, leaves)`.
   */
  static fromLeaves(
    leaves: Iterable<readonly [Uint8Array, Uint8Array]>,
    height: bigint,
    options: TreeOptions = {},
  ): SparseMerkleTree {
    const t = new SparseMerkleTree(options)
    const h = checkedHeight(height)
    const keys: Uint8Array[] = []
    const values: Uint8Array[] = []
    for (const [key, value] of leaves) {
      keys.push(key)
      values.push(value)
    }
    const n = t.#prepareArrays(keys, values)
    t.#reserve(n + 1, Math.ceil(n * 1.6) + 1)
    t.#begin(h, false)
    const root = t.#insertAll(0, 0, n)
    t.#fix(root, 0, t.#wPath, 0)
    t.#rootRef = root
    t.#lastHeight = h
    t.#rootHeights = [h]
    t.#end()
    return t
  }

  /**
   * The latest tree rebuilt from the node store: every record under the tree's prefix (keys as `commit`
   * returned them, any order). `height` is the store's head; it must be the latest root record. Every hash is
   * recomputed and checked against the stored ones, so a corrupt store is refused here.
   */
  static fromNodeRecords(
    records: Iterable<readonly [Uint8Array, Uint8Array]>,
    height: bigint,
    options: TreeOptions = {},
  ): SparseMerkleTree {
    const t = new SparseMerkleTree(options)
    const h = checkedHeight(height)
    const nodes = new RecordTable()
    const roots: number[] = []
    const stale: { height: number; keys: Uint8Array }[] = []
    let rootValue: Uint8Array | undefined
    for (const [key, value] of records) {
      const tag = key[0]
      if (tag === TREE_RECORD.node) nodes.add(key, value)
      else if ((tag === TREE_RECORD.root || tag === TREE_RECORD.stale) && key.length === 9) {
        const at = getU64(key, 1)
        if (tag === TREE_RECORD.stale) stale.push({ height: at, keys: value })
        else {
          roots.push(at)
          if (at === h) rootValue = value
        }
      } else throw new CodecError(`not a tree record key (tag ${tag}, ${key.length} bytes)`)
    }
    roots.sort((a, b) => a - b)
    if (rootValue === undefined) throw new TreeUnavailableError(`the node store has no tree root for height ${h}`)
    if (roots[roots.length - 1] !== h)
      throw new TreeUnavailableError(`the node store has tree roots past height ${h} (up to ${roots.at(-1)})`)
    stale.sort((a, b) => a.height - b.height)
    t.#rootHeights = roots
    t.#staleLists = stale.filter((s) => s.height <= h)
    t.#lastHeight = h
    if (rootValue.length === HASH_BYTES) {
      if (rootValue.some((b) => b !== 0)) throw new CodecError('empty-tree root record is not zero')
      return t
    }
    if (rootValue.length !== 40) throw new CodecError(`root record of ${rootValue.length} bytes`)
    nodes.seal()
    const prefix = new Uint8Array(32)
    const ref = t.#load(nodes, getU64(rootValue, 32), 0, prefix, new Uint8Array(nodeKeyLength(256)))
    t.#rootRef = ref
    if (compare32(t.#hb(ref), t.#ho(ref), rootValue, 0) !== 0)
      throw new CodecError(`tree nodes do not hash to the stored root of height ${h}`)
    return t
  }

  /** Number of leaves. */
  get size(): number {
    return this.#leafCount
  }

  /** Height of the last commit (or of fromLeaves / fromNodeRecords); undefined for a fresh empty tree. */
  get height(): bigint | undefined {
    return this.#lastHeight < 0 ? undefined : BigInt(this.#lastHeight)
  }

  get keepHeights(): number {
    return this.#keep
  }

  get root(): Uint8Array {
    const r = this.#rootRef
    return this.#hb(r).slice(this.#ho(r), this.#ho(r) + HASH_BYTES)
  }

  /**
   * Applies one block's leaf writes (value null deletes; a later write of the same key wins) and returns the
   * new root and the node-store writes of this height: new nodes, the root record, the stale list, and the
   * deletions of everything that fell out of the last keepHeights heights. Heights must increase.
   */
  commit(height: bigint, writes: readonly LeafWrite[]): TreeCommit {
    const h = checkedHeight(height)
    if (h <= this.#lastHeight) throw new RangeError(`tree height ${h} is not after the last commit ${this.#lastHeight}`)
    const n = this.#prepare(writes)
    this.#begin(h, true)
    this.#sink.reserve(Math.min(n * 1024, 1 << 26))
    this.#sink.at = 0
    let root = this.#rootRef
    if (n > 0) root = this.#update(root, 0, 0, n)
    this.#fix(root, 0, this.#wPath, 0)
    this.#rootRef = root

    const rootValue = root === 0 ? new Uint8Array(HASH_BYTES) : new Uint8Array(40)
    if (root !== 0) {
      copy32(this.#hb(root), this.#ho(root), rootValue, 0)
      putU64(rootValue, 32, this.#versionOf(root))
    }
    const writesOut: TreeNodeWrite[] = [{ key: heightKey(TREE_RECORD.root, h), value: rootValue }]
    this.#rootHeights.push(h)

    // pruning: the trees of heights ≤ h − keep are dropped; a node that left the tree at height s was last
    // needed by the tree of s − 1, so it goes once s ≤ h − keep + 1
    const staleUpTo = h - this.#keep + 1
    while (this.#staleLists.length > 0 && (this.#staleLists[0] as { height: number }).height <= staleUpTo) {
      const s = this.#staleLists.shift() as { height: number; keys: Uint8Array }
      this.#deleteListed(s.keys)
      this.#extDeletes.push(heightKey(TREE_RECORD.stale, s.height))
    }
    const staleNow = this.#stale.buf.slice(0, this.#stale.at)
    if (staleNow.length > 0) {
      if (h <= staleUpTo) this.#deleteListed(staleNow)
      else {
        this.#staleLists.push({ height: h, keys: staleNow })
        writesOut.push({ key: heightKey(TREE_RECORD.stale, h), value: staleNow })
      }
    }
    while (this.#rootHeights.length > 0 && (this.#rootHeights[0] as number) <= h - this.#keep)
      this.#extDeletes.push(heightKey(TREE_RECORD.root, this.#rootHeights.shift() as number))

    this.#lastHeight = h
    const nodeWrites = this.#collect(writesOut)
    this.#end()
    return { root: this.root, nodeWrites }
  }

  /** Every record of the current tree (live nodes at their versions and the root record of its height). */
  fullNodeWrites(): TreeNodeWrite[] {
    if (this.#lastHeight < 0) throw new RangeError('an empty tree that was never committed has no records')
    this.#begin(this.#lastHeight, true)
    const root = this.#rootRef
    const out: TreeNodeWrite[] = []
    const rootValue = root === 0 ? new Uint8Array(HASH_BYTES) : new Uint8Array(40)
    if (root !== 0) {
      copy32(this.#hb(root), this.#ho(root), rootValue, 0)
      putU64(rootValue, 32, this.#versionOf(root))
      this.#emitAll(root, 0, new Uint8Array(32))
    }
    out.push({ key: heightKey(TREE_RECORD.root, this.#lastHeight), value: rootValue })
    const writes = this.#collect(out)
    this.#end()
    return writes
  }

  /** A membership or non-membership proof of `stateKey` against the current root. */
  prove(stateKey: Uint8Array): StateProof {
    const path = treeKeccak(stateKey)
    const bitmap = new Uint8Array(32)
    const siblings: Uint8Array[] = []
    let ref = this.#rootRef
    let depth = 0
    while (ref > 0) {
      const right = bitAt(path, depth) === 1
      const sibling = right ? (this.#iLeft[ref] as number) : (this.#iRight[ref] as number)
      if (sibling !== 0) {
        bitmap[depth >> 3] = (bitmap[depth >> 3] as number) | (0x80 >> (depth & 7))
        siblings.push(this.#hb(sibling).slice(this.#ho(sibling), this.#ho(sibling) + HASH_BYTES))
      }
      ref = right ? (this.#iRight[ref] as number) : (this.#iLeft[ref] as number)
      depth++
    }
    siblings.reverse()
    if (ref === 0) return { kind: 'empty', depth, bitmap, siblings }
    const off = -ref * 32
    if (compare32(this.#lPath, off, path, 0) === 0) return { kind: 'member', depth, bitmap, siblings }
    return {
      kind: 'other',
      depth,
      bitmap,
      siblings,
      otherPath: this.#lPath.slice(off, off + 32),
      otherValueHash: this.#lVal.slice(off, off + 32),
    }
  }

  // ── commit internals ─────────────────────────────────────────────────────────────────────────────────────

  /** Hashes, sorts by path and de-duplicates (last write wins) into #wPath/#wVal/#wDel; returns the count. */
  #prepare(writes: readonly LeafWrite[]): number {
    const keys = new Array<Uint8Array>(writes.length)
    const values = new Array<Uint8Array | null>(writes.length)
    writes.forEach((w, i) => {
      keys[i] = w.key
      values[i] = w.value
    })
    return this.#prepareArrays(keys, values)
  }

  #prepareArrays(keys: readonly Uint8Array[], values: readonly (Uint8Array | null)[]): number {
    const n0 = keys.length
    const paths = new Uint8Array(n0 * 32)
    for (let i = 0; i < n0; i++) treeKeccakInto(keys[i] as Uint8Array, paths, i * 32)
    const order = sortByPath(paths, n0)
    const kept = new Int32Array(n0)
    let n = 0
    for (let j = 0; j < n0; j++) {
      const i = order[j] as number
      if (j + 1 < n0 && compare32(paths, i * 32, paths, (order[j + 1] as number) * 32) === 0) continue
      kept[n++] = i
    }
    this.#wPath = new Uint8Array(n * 32)
    this.#wVal = new Uint8Array(n * 32)
    this.#wDel = new Uint8Array(n)
    for (let j = 0; j < n; j++) {
      const i = kept[j] as number
      copy32(paths, i * 32, this.#wPath, j * 32)
      const value = values[i] as Uint8Array | null
      if (value === null) this.#wDel[j] = 1
      else treeKeccakInto(value, this.#wVal, j * 32)
    }
    return n
  }

  #begin(h: number, emit: boolean): void {
    this.#h = h
    this.#emit = emit
    this.#sink = new Sink()
    this.#ops = []
    this.#extDeletes = []
    this.#stale = new Sink()
    this.#freedInner = []
    this.#freedLeaves = []
  }

  #end(): void {
    for (const id of this.#freedInner) this.#iFree.push(id)
    for (const id of this.#freedLeaves) this.#lFree.push(id)
    this.#freedInner = []
    this.#freedLeaves = []
    this.#wPath = new Uint8Array(0)
    this.#wVal = new Uint8Array(0)
    this.#wDel = new Uint8Array(0)
    this.#sink = new Sink()
    this.#stale = new Sink()
    this.#ops = []
    this.#extDeletes = []
  }

  #collect(out: TreeNodeWrite[]): TreeNodeWrite[] {
    const buf = this.#sink.buf
    const ops = this.#ops
    for (let i = 0; i < ops.length; i += 4) {
      const ko = ops[i] as number
      const vo = ops[i + 2] as number
      const key = buf.subarray(ko, ko + (ops[i + 1] as number))
      const vl = ops[i + 3] as number
      out.push({ key, value: vl < 0 ? null : buf.subarray(vo, vo + vl) })
    }
    for (const key of this.#extDeletes) out.push({ key, value: null })
    return out
  }

  #deleteListed(keys: Uint8Array): void {
    let o = 0
    while (o < keys.length) {
      const depth = ((keys[o + 9] as number) << 8) | (keys[o + 10] as number)
      const len = nodeKeyLength(depth)
      this.#extDeletes.push(keys.subarray(o, o + len))
      o += len
    }
  }

  /** Applies writes [lo, hi) (all sharing the first `depth` path bits) to the subtree `ref` at that position. */
  #update(ref: number, depth: number, lo: number, hi: number): number {
    if (ref === 0) return this.#insertAll(depth, lo, hi)
    if (ref < 0) return this.#mergeLeaf(-ref, depth, lo, hi)
    const mid = this.#splitWrites(lo, hi, depth)
    const oldL = this.#iLeft[ref] as number
    const oldR = this.#iRight[ref] as number
    const newL = mid > lo ? this.#update(oldL, depth + 1, lo, mid) : oldL
    const newR = hi > mid ? this.#update(oldR, depth + 1, mid, hi) : oldR
    if (newL === oldL && newR === oldR && !this.#isPending(newL) && !this.#isPending(newR)) return ref
    this.#markStale(this.#iVer[ref] as number, depth, this.#wPath, lo * 32)
    if ((newL === 0 && newR <= 0) || (newR === 0 && newL <= 0)) {
      // nothing or a single leaf left below: the subtree collapses into that leaf (its parent places it)
      this.#freedInner.push(ref)
      return newL === 0 ? newR : newL
    }
    this.#fix(newL, depth + 1, this.#wPath, lo * 32)
    this.#fix(newR, depth + 1, this.#wPath, (hi > mid ? mid : lo) * 32)
    this.#iLeft[ref] = newL
    this.#iRight[ref] = newR
    this.#hashInner(ref)
    this.#iVer[ref] = PENDING
    return ref
  }

  /** First index in [lo, hi) whose path has bit `depth` set (paths are sorted, so a binary search). */
  #splitWrites(lo: number, hi: number, depth: number): number {
    const paths = this.#wPath
    let a = lo
    let b = hi
    while (a < b) {
      const m = (a + b) >>> 1
      if (bitOf(paths, m * 32, depth) === 1) b = m
      else a = m + 1
    }
    return a
  }

  #insertAll(depth: number, lo: number, hi: number): number {
    const items: number[] = []
    for (let i = lo; i < hi; i++) if (this.#wDel[i] === 0) items.push(this.#allocLeaf(i))
    return this.#build(items, 0, items.length, depth)
  }

  /** Writes [lo, hi) landing on the collapsed leaf `l` at `depth`. */
  #mergeLeaf(l: number, depth: number, lo: number, hi: number): number {
    const off = l * 32
    if (hi - lo === 1 && this.#wDel[lo] === 0 && compare32(this.#wPath, lo * 32, this.#lPath, off) === 0) {
      // the common case: one update of this very leaf
      if (compare32(this.#wVal, lo * 32, this.#lVal, off) !== 0) {
        this.#markStale(this.#lVer[l] as number, this.#lDepth[l] as number, this.#lPath, off)
        copy32(this.#wVal, lo * 32, this.#lVal, off)
        hashNodeInto(LEAF_TAG, this.#lPath, off, this.#lVal, off, this.#lHash, off)
        this.#lVer[l] = PENDING
      }
      return -l
    }
    let keep = true
    let placed = false
    const items: number[] = []
    for (let i = lo; i < hi; i++) {
      const c = compare32(this.#wPath, i * 32, this.#lPath, off)
      if (c === 0) {
        if (this.#wDel[i] === 1) {
          keep = false
          this.#markStale(this.#lVer[l] as number, this.#lDepth[l] as number, this.#lPath, off)
          this.#freedLeaves.push(l)
          this.#leafCount--
        } else if (compare32(this.#wVal, i * 32, this.#lVal, off) !== 0) {
          this.#markStale(this.#lVer[l] as number, this.#lDepth[l] as number, this.#lPath, off)
          copy32(this.#wVal, i * 32, this.#lVal, off)
          hashNodeInto(LEAF_TAG, this.#lPath, off, this.#lVal, off, this.#lHash, off)
          this.#lVer[l] = PENDING
        }
        continue
      }
      if (c > 0 && !placed) {
        placed = true
        if (keep) items.push(-l)
      }
      if (this.#wDel[i] === 0) items.push(this.#allocLeaf(i))
    }
    if (!placed && keep) items.push(-l)
    if (items.length === 0) return 0
    if (items.length === 1) return items[0] as number
    return this.#build(items, 0, items.length, depth)
  }

  /** A subtree at `depth` over leaves items[a, b) (sorted by path). */
  #build(items: number[], a: number, b: number, depth: number): number {
    if (b === a) return 0
    if (b - a === 1) return items[a] as number
    let x = a
    let y = b
    while (x < y) {
      const m = (x + y) >>> 1
      if (bitOf(this.#lPath, -(items[m] as number) * 32, depth) === 1) y = m
      else x = m + 1
    }
    const id = this.#allocInner()
    const left = this.#build(items, a, x, depth + 1)
    const right = this.#build(items, x, b, depth + 1)
    this.#fix(left, depth + 1, this.#lPath, -(items[a] as number) * 32)
    this.#fix(right, depth + 1, this.#lPath, -(items[b - 1] as number) * 32)
    this.#iLeft[id] = left
    this.#iRight[id] = right
    this.#hashInner(id)
    this.#iVer[id] = PENDING
    return id
  }

  /**
   * Places `ref` at `depth` (its final position in this commit): a new or changed node gets version #h and a
   * record; a leaf that moved gets a record at its new position and its old record goes stale.
   */
  #fix(ref: number, depth: number, src: Uint8Array, srcOff: number): void {
    if (ref > 0) {
      if (this.#iVer[ref] !== PENDING) return
      this.#iVer[ref] = this.#h
      if (this.#emit) this.#emitInner(ref, this.#h, depth, src, srcOff)
    } else if (ref < 0) {
      const l = -ref
      const ver = this.#lVer[l] as number
      if (ver !== PENDING) {
        if (this.#lDepth[l] === depth) return
        this.#markStale(ver, this.#lDepth[l] as number, this.#lPath, l * 32)
      }
      this.#lVer[l] = this.#h
      this.#lDepth[l] = depth
      if (this.#emit) this.#emitLeaf(l, this.#h, depth)
    }
  }

  #markStale(version: number, depth: number, src: Uint8Array, srcOff: number): void {
    if (version === PENDING || !this.#emit) return
    const off = this.#stale.reserve(nodeKeyLength(depth))
    writeNodeKey(this.#stale.buf, off, version, depth, src, srcOff)
  }

  #emitLeaf(l: number, version: number, depth: number): void {
    const kl = nodeKeyLength(depth)
    const ko = this.#sink.reserve(kl + 65)
    const buf = this.#sink.buf
    writeNodeKey(buf, ko, version, depth, this.#lPath, l * 32)
    buf[ko + kl] = REC_LEAF
    copy32(this.#lPath, l * 32, buf, ko + kl + 1)
    copy32(this.#lVal, l * 32, buf, ko + kl + 33)
    this.#ops.push(ko, kl, ko + kl, 65)
  }

  #emitInner(id: number, version: number, depth: number, src: Uint8Array, srcOff: number): void {
    const left = this.#iLeft[id] as number
    const right = this.#iRight[id] as number
    const kl = nodeKeyLength(depth)
    const vl = 2 + (left !== 0 ? 40 : 0) + (right !== 0 ? 40 : 0)
    const ko = this.#sink.reserve(kl + vl)
    const buf = this.#sink.buf
    writeNodeKey(buf, ko, version, depth, src, srcOff)
    let p = ko + kl
    buf[p] = REC_INNER
    buf[p + 1] = (left !== 0 ? 1 : 0) | (right !== 0 ? 2 : 0)
    p += 2
    if (left !== 0) {
      this.#emitChild(buf, p, left)
      p += 40
    }
    if (right !== 0) this.#emitChild(buf, p, right)
    this.#ops.push(ko, kl, ko + kl, vl)
  }

  /** A child entry of an inner record: hash ‖ version u64. */
  #emitChild(buf: Uint8Array, p: number, child: number): void {
    if (child > 0) {
      copy32(this.#iHash, child * 32, buf, p)
      putU64(buf, p + 32, this.#iVer[child] as number)
    } else {
      copy32(this.#lHash, -child * 32, buf, p)
      putU64(buf, p + 32, this.#lVer[-child] as number)
    }
  }

  /** Records of the whole subtree at its nodes' own versions (fullNodeWrites). `prefix` is scratch. */
  #emitAll(ref: number, depth: number, prefix: Uint8Array): void {
    if (ref < 0) {
      this.#emitLeaf(-ref, this.#lVer[-ref] as number, depth)
      return
    }
    this.#emitInner(ref, this.#iVer[ref] as number, depth, prefix, 0)
    const left = this.#iLeft[ref] as number
    const right = this.#iRight[ref] as number
    if (left !== 0) this.#emitAll(left, depth + 1, prefix)
    if (right !== 0) {
      prefix[depth >> 3] = (prefix[depth >> 3] as number) | (0x80 >> (depth & 7))
      this.#emitAll(right, depth + 1, prefix)
      prefix[depth >> 3] = (prefix[depth >> 3] as number) & ~(0x80 >> (depth & 7))
    }
  }

  /** Rebuilds the subtree whose record is (version, depth, prefix) from the records map (fromNodeRecords). */
  #load(nodes: RecordTable, version: number, depth: number, prefix: Uint8Array, scratch: Uint8Array): number {
    writeNodeKey(scratch, 0, version, depth, prefix, 0)
    const rec = nodes.get(scratch, nodeKeyLength(depth))
    if (rec === undefined)
      throw new TreeUnavailableError(`tree node missing from the store: version ${version}, depth ${depth}`)
    if (rec[0] === REC_LEAF) {
      if (rec.length !== 65) throw new CodecError(`leaf record of ${rec.length} bytes`)
      for (let i = 0; i < depth; i++)
        if (bitOf(rec, 1, i) !== bitOf(prefix, 0, i)) throw new CodecError('leaf record stored off its path')
      const l = this.#allocLeafFrom(rec, 1, rec, 33)
      this.#lVer[-l] = version
      this.#lDepth[-l] = depth
      return l
    }
    if (rec[0] !== REC_INNER || rec.length < 2) throw new CodecError('unknown tree node record')
    const flags = rec[1] as number
    const expected = 2 + (flags & 1 ? 40 : 0) + (flags & 2 ? 40 : 0)
    if (flags === 0 || flags > 3 || rec.length !== expected) throw new CodecError('malformed inner node record')
    let p = 2
    let left = 0
    let right = 0
    if (flags & 1) {
      left = this.#load(nodes, getU64(rec, p + 32), depth + 1, prefix, scratch)
      if (compare32(this.#hb(left), this.#ho(left), rec, p) !== 0) throw new CodecError('tree node hash mismatch')
      p += 40
    }
    if (flags & 2) {
      prefix[depth >> 3] = (prefix[depth >> 3] as number) | (0x80 >> (depth & 7))
      right = this.#load(nodes, getU64(rec, p + 32), depth + 1, prefix, scratch)
      prefix[depth >> 3] = (prefix[depth >> 3] as number) & ~(0x80 >> (depth & 7))
      if (compare32(this.#hb(right), this.#ho(right), rec, p) !== 0) throw new CodecError('tree node hash mismatch')
    }
    if ((left === 0 && right < 0) || (right === 0 && left < 0))
      throw new CodecError('inner node over a single leaf (the leaf should be collapsed)')
    const id = this.#allocInner()
    this.#iLeft[id] = left
    this.#iRight[id] = right
    this.#hashInner(id)
    this.#iVer[id] = version
    return id
  }

  // ── arena ─────────────────────────────────────────────────────────────────────────────────────────────────

  #hb(ref: number): Uint8Array {
    return ref > 0 ? this.#iHash : ref < 0 ? this.#lHash : ZERO32
  }

  #ho(ref: number): number {
    return ref > 0 ? ref * 32 : ref < 0 ? -ref * 32 : 0
  }

  #isPending(ref: number): boolean {
    if (ref > 0) return this.#iVer[ref] === PENDING
    return ref < 0 && this.#lVer[-ref] === PENDING
  }

  #versionOf(ref: number): number {
    return (ref > 0 ? this.#iVer[ref] : this.#lVer[-ref]) as number
  }

  #hashInner(id: number): void {
    const l = this.#iLeft[id] as number
    const r = this.#iRight[id] as number
    const lb = l > 0 ? this.#iHash : l < 0 ? this.#lHash : ZERO32
    const rb = r > 0 ? this.#iHash : r < 0 ? this.#lHash : ZERO32
    hashNodeInto(INNER_TAG, lb, l < 0 ? -l * 32 : l * 32, rb, r < 0 ? -r * 32 : r * 32, this.#iHash, id * 32)
  }

  #allocInner(): number {
    const id = this.#iFree.pop() ?? this.#iNext++
    if (id >= this.#iLeft.length) this.#reserve(0, Math.max(1024, Math.ceil(this.#iLeft.length * 1.5), id + 1))
    return id
  }

  /** Grows the arenas to hold at least `leaves` leaf slots and `inners` inner slots. */
  #reserve(leaves: number, inners: number): void {
    if (inners > this.#iLeft.length) {
      const grow = <T extends Uint8Array | Int32Array | Float64Array>(old: T, next: T): T => {
        next.set(old as never)
        return next
      }
      this.#iHash = grow(this.#iHash, new Uint8Array(inners * 32))
      this.#iLeft = grow(this.#iLeft, new Int32Array(inners))
      this.#iRight = grow(this.#iRight, new Int32Array(inners))
      this.#iVer = grow(this.#iVer, new Float64Array(inners))
    }
    if (leaves > this.#lVer.length) {
      const grow = <T extends Uint8Array | Uint16Array | Float64Array>(old: T, next: T): T => {
        next.set(old as never)
        return next
      }
      this.#lHash = grow(this.#lHash, new Uint8Array(leaves * 32))
      this.#lPath = grow(this.#lPath, new Uint8Array(leaves * 32))
      this.#lVal = grow(this.#lVal, new Uint8Array(leaves * 32))
      this.#lVer = grow(this.#lVer, new Float64Array(leaves))
      this.#lDepth = grow(this.#lDepth, new Uint16Array(leaves))
    }
  }

  /** A new pending leaf for write i. */
  #allocLeaf(i: number): number {
    return this.#allocLeafFrom(this.#wPath, i * 32, this.#wVal, i * 32)
  }

  #allocLeafFrom(path: Uint8Array, pathOff: number, val: Uint8Array, valOff: number): number {
    const id = this.#lFree.pop() ?? this.#lNext++
    if (id >= this.#lVer.length) this.#reserve(Math.max(1024, Math.ceil(this.#lVer.length * 1.5), id + 1), 0)
    const off = id * 32
    copy32(path, pathOff, this.#lPath, off)
    copy32(val, valOff, this.#lVal, off)
    hashNodeInto(LEAF_TAG, this.#lPath, off, this.#lVal, off, this.#lHash, off)
    this.#lVer[id] = PENDING
    this.#leafCount++
    return -id
  }
}

// ── proofs at older heights, from the node store ─────────────────────────────────────────────────────────────

type ReadNode = (nodeKey: Uint8Array) => Promise<Uint8Array | undefined>

async function readRoot(read: ReadNode, height: bigint): Promise<Uint8Array> {
  const rec = await read(treeRootKey(height))
  if (rec === undefined)
    throw new TreeUnavailableError(
      `no state tree for height ${height}: it is older than the kept heights (pruned) or not committed`,
    )
  if (rec.length !== HASH_BYTES && rec.length !== 40) throw new CodecError(`root record of ${rec.length} bytes`)
  return rec
}

/** The state root stored for `height` (within the kept heights). */
export async function rootAt(read: ReadNode, height: bigint): Promise<Uint8Array> {
  return (await readRoot(read, height)).slice(0, HASH_BYTES)
}

/**
 * A proof of `stateKey` against the root of `height`, read from the node store (`read` returns the value of
 * a node-store key as `commit` wrote it). Rejects with TreeUnavailableError for a pruned or unknown height.
 */
export async function proveAt(read: ReadNode, height: bigint, stateKey: Uint8Array): Promise<StateProof> {
  const rootRec = await readRoot(read, height)
  const path = treeKeccak(stateKey)
  const bitmap = new Uint8Array(32)
  const siblings: Uint8Array[] = []
  if (rootRec.length === HASH_BYTES) return { kind: 'empty', depth: 0, bitmap, siblings }
  let version = getU64(rootRec, 32)
  let depth = 0
  for (;;) {
    const key = new Uint8Array(nodeKeyLength(depth))
    writeNodeKey(key, 0, version, depth, path, 0)
    const rec = await read(key)
    if (rec === undefined)
      throw new TreeUnavailableError(
        `state tree node of height ${height} missing (pruned meanwhile?) at depth ${depth}`,
      )
    if (rec[0] === REC_LEAF) {
      if (rec.length !== 65) throw new CodecError(`leaf record of ${rec.length} bytes`)
      siblings.reverse()
      if (compare32(rec, 1, path, 0) === 0) return { kind: 'member', depth, bitmap, siblings }
      return { kind: 'other', depth, bitmap, siblings, otherPath: rec.slice(1, 33), otherValueHash: rec.slice(33, 65) }
    }
    const flags = rec[1] as number
    const right = bitAt(path, depth) === 1
    const leftAt = 2
    const rightAt = flags & 1 ? 42 : 2
    const siblingAt = right ? (flags & 1 ? leftAt : -1) : flags & 2 ? rightAt : -1
    const childAt = right ? (flags & 2 ? rightAt : -1) : flags & 1 ? leftAt : -1
    if (siblingAt >= 0) {
      bitmap[depth >> 3] = (bitmap[depth >> 3] as number) | (0x80 >> (depth & 7))
      siblings.push(rec.slice(siblingAt, siblingAt + 32))
    }
    depth++
    if (childAt < 0) {
      siblings.reverse()
      return { kind: 'empty', depth, bitmap, siblings }
    }
    version = getU64(rec, childAt + 32)
  }
}
