/**
 * @module The state root: a binary sparse Merkle tree over keccak256(stateKey), with single-leaf subtrees
 * collapsed into the leaf (docs/state-tree.md). Pure: no I/O. The node persists what `commit` returns.
 *
 * Hashing (state/treeHash.ts): leaf = keccak256(0x00 ‖ path ‖ keccak256(value)), inner = keccak256(0x01 ‖ left ‖
 * right), empty subtree = 32 zero bytes. A leaf sits at the shallowest depth where its subtree holds no other
 * leaf, so the tree is ~log2(n) deep and a proof carries ~log2(n) sibling hashes (state/smtProof.ts).
 *
 * In memory the latest tree lives in two slot arenas (state/smtArena.ts): an inner node's slot holds its
 * children's hashes and versions, so hashing it reads one contiguous 64-byte run. `commit` applies a block's
 * writes once: the dirty paths are sorted, the tree is walked once along them (shared prefixes visited once),
 * and each touched node is hashed once, into its parent's slot.
 *
 * Node store (state/smtStore.ts): height-versioned pages of PAGE_LEVELS levels, leaf records, and one record per
 * written value, so a proof at any of the last keepHeights heights reads that height's pages, leaf and value
 * (state/smtRead.ts). Older versions go into stale lists and are deleted keepHeights later.
 */
import { CodecError } from './codec.ts'
import { HASH_BYTES } from './hash.ts'
import type { LeafWrite } from './merkle.ts'
import type { NodeDelete } from './nodeWrites.ts'
import { NodeWrites } from './nodeWrites.ts'
import {
  I_CVER,
  I_F64,
  I_OWN,
  I_REF,
  I_RIGHT_HASH,
  I_WORDS,
  L_DEPTH,
  L_F64,
  L_OWN,
  L_VALH,
  L_VVER,
  L_WORDS,
  Slots,
} from './smtArena.ts'
import { bitOf, compare32, getU64, isZero32, putU64, Sink, sortByPath } from './smtBytes.ts'
import type { StateProof } from './smtProof.ts'
import { bitAt } from './smtProof.ts'
import { nodeRecordKind } from './smtRead.ts'
import type { PageView, TreeNodeWrite } from './smtStore.ts'
import {
  CODE_EMPTY,
  CODE_INNER,
  CODE_LEAF,
  checkedHeight,
  decodePage,
  heightKey,
  LEAF_RECORD_BYTES,
  nodeKeyLength,
  PAGE_END,
  PAGE_ENTRY_BYTES,
  PAGE_LEVELS,
  REC_LEAF,
  REC_PAGE,
  RecordTable,
  ROOT_RECORD_BYTES,
  SHAPE_BYTES,
  staleEntryLength,
  TREE_RECORD,
  TreeUnavailableError,
  VALUE_KEY_BYTES,
  writeNodeKey,
  writeValueKey,
} from './smtStore.ts'
import { hashNode64, INNER_TAG, LEAF_TAG, treeKeccakInto } from './treeHash.ts'

export interface TreeOptions {
  /** how many of the latest heights stay provable with `proveAt` (≥ 1); older nodes are pruned */
  keepHeights?: number
}

export interface TreeCommit {
  root: Uint8Array
  /** the node-store writes of the height, walked without an object per record (the node's store) */
  records: NodeWrites
  /** the same writes as records (built on first use: tools and tests) */
  readonly nodeWrites: TreeNodeWrite[]
}

export const DEFAULT_KEEP_HEIGHTS = 128

/** version of a node created or changed in the running commit and not yet placed (no record yet) */
const PENDING = -1
const I_STRIDE = I_WORDS * 4
const L_STRIDE = L_WORDS * 4
/** the super-root: inner slot 0, whose left side holds the root's hash, version and ref */
const SUPER = 0

export class SparseMerkleTree {
  readonly #keep: number
  readonly #in = new Slots(I_STRIDE, 1024)
  readonly #lf = new Slots(L_STRIDE, 1024)
  #leafCount = 0
  #lastHeight = -1
  /** heights whose root record is in the store, ascending */
  #rootHeights: number[] = []
  /** stale lists still in the store, ascending by height */
  #staleLists: { height: number; keys: Uint8Array }[] = []
  /**
   * fromLeaves only, until the first commit: the values of leaves 1..n (a fresh arena numbers the sorted leaves
   * in order), for fullNodeWrites. References to the caller's arrays, 8 bytes a leaf.
   */
  #seed: (Uint8Array | null)[] | undefined

  // state of the running commit: the sorted writes, then what it emits
  #h = 0
  #emit = true
  #wPath = new Uint8Array(0)
  #wPathW = new Int32Array(0)
  #wValH = new Uint8Array(0)
  #wValHW = new Int32Array(0)
  #wDel = new Uint8Array(0)
  #wValue: (Uint8Array | null)[] = []
  /** node records and value keys, bytes */
  #out = new Sink(0)
  /** node records: (key offset, key length, value offset, value length) in #out, #opCount of them */
  #ops = new Int32Array(0)
  #opCount = 0
  /** value records: key offsets in #out (41 bytes each) and the values (the writes' own arrays) */
  #valueKeys: number[] = []
  #values: Uint8Array[] = []
  #extDeletes: NodeDelete[] = []
  #stale = new Sink(0)
  #freedInner: number[] = []
  #freedLeaves: number[] = []
  /** scratch of #emitPage: refs by heap position, the entries as 2 × slot + side */
  readonly #pageRefs = new Int32Array(PAGE_END)
  readonly #pageEntries = new Int32Array(PAGE_END)

  private constructor(options: TreeOptions) {
    const keep = options.keepHeights ?? DEFAULT_KEEP_HEIGHTS
    if (!Number.isInteger(keep) || keep < 1) throw new RangeError(`keepHeights must be an integer ≥ 1, got ${keep}`)
    this.#keep = keep
    this.#in.i32.fill(0, 0, I_WORDS)
  }

  static empty(options: TreeOptions = {}): SparseMerkleTree {
    return new SparseMerkleTree(options)
  }

  /**
   * A tree over `leaves` (state key, value), every node and value versioned `height`. Nothing is emitted: the
   * store gets nothing unless `fullNodeWrites()` is persisted (a fresh node store); for genesis prefer
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
    t.#in.reserve(Math.ceil(n * 1.6) + 2)
    t.#lf.reserve(n + (n >> 5) + 1024)
    t.#begin(h, false, 0)
    const root = t.#insertAll(0, 0, n, SUPER, 0)
    t.#fix(root, 0, SUPER, 0, t.#wPath, 0)
    t.#in.i32[I_REF] = root
    t.#lastHeight = h
    t.#rootHeights = [h]
    t.#seed = t.#wValue
    t.#end()
    t.#relayout()
    return t
  }

  /**
   * The latest tree rebuilt from the node store: every node, root and stale record (keys as `commit` returned
   * them, any order; value records are skipped if given). `height` is the store's head; it must be the latest
   * root record. Every hash is recomputed and checked against the stored ones, so a corrupt store is refused.
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
      else if (tag === TREE_RECORD.value && key.length === VALUE_KEY_BYTES) continue
      else if ((tag === TREE_RECORD.root || tag === TREE_RECORD.stale) && key.length === 9) {
        const at = getU64(key, 1)
        if (tag === TREE_RECORD.stale) {
          // checked here, once: a commit walks a list only when the list's height is pruned (state/nodeWrites.ts)
          let o = 0
          while (o < value.length) o += staleEntryLength(value, o)
          if (o !== value.length) throw new CodecError(`stale list of height ${at} ends inside a key`)
          stale.push({ height: at, keys: value })
        } else {
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
      if (!isZero32(rootValue, 0)) throw new CodecError('empty-tree root record is not zero')
      return t
    }
    if (rootValue.length !== ROOT_RECORD_BYTES) throw new CodecError(`root record of ${rootValue.length} bytes`)
    nodes.seal()
    const version = getU64(rootValue, 32)
    const scratch = new Uint8Array(nodeKeyLength(256))
    writeNodeKey(scratch, 0, version, 0, scratch, 0)
    const rootRec = nodes.get(scratch, nodeKeyLength(0))
    const kind = rootRec === undefined ? REC_PAGE : nodeRecordKind(rootRec)
    const ref = t.#load(nodes, version, 0, kind, new Uint8Array(32), scratch, SUPER, 0)
    t.#in.i32[I_REF] = ref
    t.#in.f64[I_CVER] = version
    if (compare32(t.#in.u8, 0, rootValue, 0) !== 0)
      throw new CodecError(`tree nodes do not hash to the stored root of height ${h}`)
    t.#relayout()
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
    return this.#in.u8.slice(0, HASH_BYTES)
  }

  /**
   * Applies one block's leaf writes (value null deletes; a later write of the same key wins) and returns the
   * new root and the node-store writes of this height: new nodes, new values (the writes' value arrays, not
   * copies), the root record, the stale list, and the deletions of everything that fell out of the last
   * keepHeights heights. Heights must increase.
   */
  commit(height: bigint, writes: readonly LeafWrite[]): TreeCommit {
    const h = checkedHeight(height)
    if (h <= this.#lastHeight) throw new RangeError(`tree height ${h} is not after the last commit ${this.#lastHeight}`)
    this.#seed = undefined
    const n = this.#prepare(writes)
    this.#begin(h, true, n)
    let root = this.#in.i32[I_REF] as number
    if (n > 0) root = this.#update(root, 0, 0, n, SUPER, 0)
    this.#fix(root, 0, SUPER, 0, this.#wPath, 0)
    this.#in.i32[I_REF] = root

    const writesOut: TreeNodeWrite[] = [{ key: heightKey(TREE_RECORD.root, h), value: this.#rootRecord() }]
    this.#rootHeights.push(h)

    // pruning: the trees of heights ≤ h − keep are dropped; a node or value that left the tree at height s was
    // last needed by the tree of s − 1, so it goes once s ≤ h − keep + 1
    const staleUpTo = h - this.#keep + 1
    while (this.#staleLists.length > 0 && (this.#staleLists[0] as { height: number }).height <= staleUpTo) {
      const s = this.#staleLists.shift() as { height: number; keys: Uint8Array }
      this.#deleteListed(s.keys)
      this.#extDeletes.push(heightKey(TREE_RECORD.stale, s.height))
    }
    // the stale sink is this commit's own buffer: the list keeps a view of it (no copy)
    const staleNow = this.#stale.buf.subarray(0, this.#stale.at)
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
    const records = this.#collect(writesOut)
    this.#end()
    return {
      root: this.root,
      records,
      get nodeWrites() {
        return records.toArray()
      },
    }
  }

  /**
   * Every record of the current tree: live nodes at their versions, the leaves' values and the root record of
   * its height. Only for a tree made by `fromLeaves` before its first commit (it alone still holds the values).
   */
  fullNodeWrites(): NodeWrites {
    if (this.#lastHeight < 0) throw new RangeError('an empty tree that was never committed has no records')
    const seed = this.#seed
    if (seed === undefined)
      throw new RangeError('fullNodeWrites needs the leaf values: only a fromLeaves tree before its first commit')
    this.#begin(this.#lastHeight, true, this.#leafCount)
    const root = this.#in.i32[I_REF] as number
    if (root !== 0) this.#emitAll(root, 0, new Uint8Array(32))
    seed.forEach((value, j) => {
      if (value !== null) this.#emitValue(this.#lf.u8, (j + 1) * L_STRIDE, this.#lastHeight, value)
    })
    const writes = this.#collect([{ key: heightKey(TREE_RECORD.root, this.#lastHeight), value: this.#rootRecord() }])
    this.#end()
    return writes
  }

  /** A membership or non-membership proof of `stateKey` against the current root. */
  prove(stateKey: Uint8Array): StateProof {
    const path = new Uint8Array(32)
    treeKeccakInto(stateKey, path, 0)
    const bitmap = new Uint8Array(32)
    const siblings: Uint8Array[] = []
    const inner = this.#in
    let ref = inner.i32[I_REF] as number
    let depth = 0
    while (ref > 0) {
      const right = bitAt(path, depth)
      const sibling = inner.i32[ref * I_WORDS + I_REF + 1 - right] as number
      if (sibling !== 0) {
        bitmap[depth >> 3] = (bitmap[depth >> 3] as number) | (0x80 >> (depth & 7))
        const off = ref * I_STRIDE + 32 * (1 - right)
        siblings.push(inner.u8.slice(off, off + 32))
      }
      ref = inner.i32[ref * I_WORDS + I_REF + right] as number
      depth++
    }
    siblings.reverse()
    if (ref === 0) return { kind: 'empty', depth, bitmap, siblings }
    const off = -ref * L_STRIDE
    const leaves = this.#lf.u8
    if (compare32(leaves, off, path, 0) === 0) return { kind: 'member', depth, bitmap, siblings }
    return {
      kind: 'other',
      depth,
      bitmap,
      siblings,
      otherPath: leaves.slice(off, off + 32),
      otherValueHash: leaves.slice(off + 32, off + 64),
    }
  }

  // ── commit internals ─────────────────────────────────────────────────────────────────────────────────────

  #rootRecord(): Uint8Array {
    if (this.#in.i32[I_REF] === 0) return new Uint8Array(HASH_BYTES)
    const out = new Uint8Array(ROOT_RECORD_BYTES)
    out.set(this.#in.u8.subarray(0, HASH_BYTES))
    putU64(out, 32, this.#in.f64[I_CVER] as number)
    return out
  }

  /** Hashes, sorts by path and de-duplicates (last write wins) into the #w arrays; returns the count. */
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
    this.#wPathW = new Int32Array(this.#wPath.buffer)
    this.#wValH = new Uint8Array(n * 32)
    this.#wValHW = new Int32Array(this.#wValH.buffer)
    this.#wDel = new Uint8Array(n)
    this.#wValue = new Array<Uint8Array | null>(n)
    const pathW = new Int32Array(paths.buffer)
    for (let j = 0; j < n; j++) {
      const i = kept[j] as number
      for (let k = 0; k < 8; k++) this.#wPathW[j * 8 + k] = pathW[i * 8 + k] as number
      const value = values[i] as Uint8Array | null
      this.#wValue[j] = value
      if (value === null) this.#wDel[j] = 1
      else treeKeccakInto(value, this.#wValH, j * 32)
    }
    return n
  }

  /**
   * `dirty` sizes the buffers. Measured record bytes per dirty leaf ≈ 24 + 111 × log2(leaves / dirty) (1,130 at
   * 1M leaves and 1,000 dirty, 760 at 100k and 1,000); sized 15% over that so they rarely grow.
   */
  #begin(h: number, emit: boolean, dirty: number): void {
    this.#h = h
    this.#emit = emit
    const spread = Math.max(1, Math.log2(Math.max(this.#leafCount, 1) / Math.max(dirty, 1)))
    this.#out = new Sink(emit ? Math.min(Math.ceil(dirty * (64 + 128 * spread)) + 4096, 1 << 26) : 0)
    this.#ops = new Int32Array(emit ? 4 * Math.ceil(dirty * (2 + spread / 2) + 64) : 0)
    this.#opCount = 0
    this.#valueKeys = []
    this.#values = []
    this.#extDeletes = []
    this.#stale = new Sink(emit ? dirty * 128 + 1024 : 0)
    this.#freedInner = []
    this.#freedLeaves = []
  }

  #end(): void {
    for (const id of this.#freedInner) this.#in.free.push(id)
    for (const id of this.#freedLeaves) this.#lf.free.push(id)
    this.#freedInner = []
    this.#freedLeaves = []
    this.#wPath = new Uint8Array(0)
    this.#wPathW = new Int32Array(0)
    this.#wValH = new Uint8Array(0)
    this.#wValHW = new Int32Array(0)
    this.#wDel = new Uint8Array(0)
    this.#wValue = []
    this.#out = new Sink(0)
    this.#stale = new Sink(0)
    this.#ops = new Int32Array(0)
    this.#opCount = 0
    this.#valueKeys = []
    this.#values = []
    this.#extDeletes = []
  }

  /** The commit's writes: `head`, then the buffers as they are (#end lets go of them, it does not reuse them). */
  #collect(head: TreeNodeWrite[]): NodeWrites {
    return new NodeWrites({
      head,
      buf: this.#out.buf,
      ops: this.#ops,
      opCount: this.#opCount,
      valueKeys: this.#valueKeys,
      values: this.#values,
      deletes: this.#extDeletes,
    })
  }

  /** Deletes every key of a stale list (walked with the writes; lists loaded from a store were checked then) */
  #deleteListed(keys: Uint8Array): void {
    this.#extDeletes.push({ staleList: keys })
  }

  // Every function below that returns the ref of a subtree at (depth, position) also leaves that subtree's
  // hash in side `s` of inner slot `p` (its parent, or the super-root), or has left it there already.

  /** Applies writes [lo, hi) (all sharing the first `depth` path bits) to the subtree `ref` at that position. */
  #update(ref: number, depth: number, lo: number, hi: number, p: number, s: number): number {
    if (ref === 0) return this.#insertAll(depth, lo, hi, p, s)
    if (ref < 0) return this.#mergeLeaf(-ref, depth, lo, hi, p, s)
    const mid = this.#splitWrites(lo, hi, depth)
    const w = ref * I_WORDS
    const oldL = this.#in.i32[w + I_REF] as number
    const oldR = this.#in.i32[w + I_REF + 1] as number
    // a side without writes is untouched: its slot is never read (it is the sibling, cold in the cache)
    const goL = mid > lo
    const goR = hi > mid
    const newL = goL ? this.#update(oldL, depth + 1, lo, mid, ref, 0) : oldL
    const newR = goR ? this.#update(oldR, depth + 1, mid, hi, ref, 1) : oldR
    const changedL = goL && (newL !== oldL || this.#isPending(newL))
    const changedR = goR && (newR !== oldR || this.#isPending(newR))
    if (!changedL && !changedR) return ref
    const inner = this.#in
    if (depth % PAGE_LEVELS === 0)
      this.#markStale(inner.f64[ref * I_F64 + I_OWN] as number, depth, this.#wPath, lo * 32)
    if ((newL === 0 && newR <= 0) || (newR === 0 && newL <= 0)) {
      // nothing or a single leaf left below: the subtree collapses into that leaf (its parent places it); the
      // leaf's hash is in this slot already
      this.#freedInner.push(ref)
      const single = newL === 0 ? newR : newL
      const dst = p * I_WORDS + I_RIGHT_HASH * s
      const src = w + (newL === 0 ? I_RIGHT_HASH : 0)
      for (let k = 0; k < 8; k++) inner.i32[dst + k] = single === 0 ? 0 : (inner.i32[src + k] as number)
      return single
    }
    if (changedL) this.#fix(newL, depth + 1, ref, 0, this.#wPath, lo * 32)
    if (changedR) this.#fix(newR, depth + 1, ref, 1, this.#wPath, mid * 32)
    inner.i32[w + I_REF] = newL
    inner.i32[w + I_REF + 1] = newR
    inner.f64[ref * I_F64 + I_OWN] = PENDING
    hashNode64(INNER_TAG, inner.i32, w, inner.i32, p * I_WORDS + I_RIGHT_HASH * s)
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

  #insertAll(depth: number, lo: number, hi: number, p: number, s: number): number {
    const items: number[] = []
    for (let i = lo; i < hi; i++) if (this.#wDel[i] === 0) items.push(this.#allocLeaf(i))
    return this.#build(items, 0, items.length, depth, p, s)
  }

  /** Writes [lo, hi) landing on the collapsed leaf `l` at `depth`. */
  #mergeLeaf(l: number, depth: number, lo: number, hi: number, p: number, s: number): number {
    if (hi - lo === 1 && this.#wDel[lo] === 0 && this.#samePath(lo, l)) {
      // the common case: one update of this very leaf
      if (this.#setValue(l, lo)) this.#hashLeaf(l, p, s)
      return -l
    }
    let keep = true
    let placed = false
    let changed = false
    const items: number[] = []
    for (let i = lo; i < hi; i++) {
      const c = compare32(this.#wPath, i * 32, this.#lf.u8, l * L_STRIDE)
      if (c === 0) {
        if (this.#wDel[i] === 1) {
          keep = false
          this.#markStale(
            this.#lf.f64[l * L_F64 + L_OWN] as number,
            this.#lf.i32[l * L_WORDS + L_DEPTH] as number,
            this.#lf.u8,
            l * L_STRIDE,
          )
          this.#markValueStale(l)
          this.#freedLeaves.push(l)
          this.#leafCount--
        } else if (this.#setValue(l, i)) changed = true
        continue
      }
      if (c > 0 && !placed) {
        placed = true
        if (keep) items.push(-l)
      }
      if (this.#wDel[i] === 0) items.push(this.#allocLeaf(i))
    }
    if (!placed && keep) items.push(-l)
    if (items.length === 1 && items[0] === -l && !changed) return -l // only deletes of absent keys
    return this.#build(items, 0, items.length, depth, p, s)
  }

  /** Whether write i is on leaf l's path. */
  #samePath(i: number, l: number): boolean {
    const a = this.#wPathW
    const b = this.#lf.i32
    const lw = l * L_WORDS
    for (let k = 0; k < 8; k++) if (a[i * 8 + k] !== b[lw + k]) return false
    return true
  }

  /** Gives leaf l the value of write i; false when it already had it. The old record and value go stale. */
  #setValue(l: number, i: number): boolean {
    const a = this.#wValHW
    const lf = this.#lf
    const vw = l * L_WORDS + L_VALH
    let same = true
    for (let k = 0; k < 8; k++)
      if (a[i * 8 + k] !== lf.i32[vw + k]) {
        same = false
        break
      }
    if (same) return false
    this.#markStale(lf.f64[l * L_F64 + L_OWN] as number, lf.i32[l * L_WORDS + L_DEPTH] as number, lf.u8, l * L_STRIDE)
    this.#markValueStale(l)
    for (let k = 0; k < 8; k++) lf.i32[vw + k] = a[i * 8 + k] as number
    lf.f64[l * L_F64 + L_VVER] = this.#h
    lf.f64[l * L_F64 + L_OWN] = PENDING
    if (this.#emit) this.#emitValue(lf.u8, l * L_STRIDE, this.#h, this.#wValue[i] as Uint8Array)
    return true
  }

  /** A subtree at `depth` over leaves items[a, b) (sorted by path). */
  #build(items: number[], a: number, b: number, depth: number, p: number, s: number): number {
    if (b === a) {
      const dst = p * I_WORDS + I_RIGHT_HASH * s
      for (let k = 0; k < 8; k++) this.#in.i32[dst + k] = 0
      return 0
    }
    if (b - a === 1) {
      this.#hashLeaf(-(items[a] as number), p, s)
      return items[a] as number
    }
    let x = a
    let y = b
    while (x < y) {
      const m = (x + y) >>> 1
      if (bitOf(this.#lf.u8, -(items[m] as number) * L_STRIDE, depth) === 1) y = m
      else x = m + 1
    }
    const id = this.#in.alloc()
    const left = this.#build(items, a, x, depth + 1, id, 0)
    const right = this.#build(items, x, b, depth + 1, id, 1)
    this.#fix(left, depth + 1, id, 0, this.#lf.u8, -(items[a] as number) * L_STRIDE)
    this.#fix(right, depth + 1, id, 1, this.#lf.u8, -(items[b - 1] as number) * L_STRIDE)
    const inner = this.#in
    inner.i32[id * I_WORDS + I_REF] = left
    inner.i32[id * I_WORDS + I_REF + 1] = right
    inner.f64[id * I_F64 + I_OWN] = PENDING
    hashNode64(INNER_TAG, inner.i32, id * I_WORDS, inner.i32, p * I_WORDS + I_RIGHT_HASH * s)
    return id
  }

  #hashLeaf(l: number, p: number, s: number): void {
    hashNode64(LEAF_TAG, this.#lf.i32, l * L_WORDS, this.#in.i32, p * I_WORDS + I_RIGHT_HASH * s)
  }

  /**
   * Places `ref` at `depth` as side `s` of inner slot `p` (its final position in this commit): a new or changed
   * node gets version #h, and a record if it is a page root or a leaf (the other inner nodes are stored in their
   * page); a leaf that moved gets a record at its new position and its old record goes stale. The parent's
   * slot gets the child's version.
   */
  #fix(ref: number, depth: number, p: number, s: number, src: Uint8Array, srcOff: number): void {
    const verAt = p * I_F64 + I_CVER + s
    if (ref > 0) {
      const inner = this.#in
      if (inner.f64[ref * I_F64 + I_OWN] !== PENDING) return
      inner.f64[ref * I_F64 + I_OWN] = this.#h
      inner.f64[verAt] = this.#h
      if (this.#emit && depth % PAGE_LEVELS === 0) this.#emitPage(ref, this.#h, depth, src, srcOff)
    } else if (ref < 0) {
      const l = -ref
      const lf = this.#lf
      const ver = lf.f64[l * L_F64 + L_OWN] as number
      if (ver !== PENDING) {
        const was = lf.i32[l * L_WORDS + L_DEPTH] as number
        if (was === depth) return
        this.#markStale(ver, was, lf.u8, l * L_STRIDE)
      }
      lf.f64[l * L_F64 + L_OWN] = this.#h
      lf.i32[l * L_WORDS + L_DEPTH] = depth
      this.#in.f64[verAt] = this.#h
      if (this.#emit) this.#emitLeaf(l, this.#h, depth)
    } else this.#in.f64[verAt] = 0
  }

  #markStale(version: number, depth: number, src: Uint8Array, srcOff: number): void {
    if (version === PENDING || !this.#emit) return
    const off = this.#stale.reserve(nodeKeyLength(depth))
    writeNodeKey(this.#stale.buf, off, version, depth, src, srcOff)
  }

  #markValueStale(l: number): void {
    if (!this.#emit) return
    const off = this.#stale.reserve(VALUE_KEY_BYTES)
    writeValueKey(this.#stale.buf, off, this.#lf.u8, l * L_STRIDE, this.#lf.f64[l * L_F64 + L_VVER] as number)
  }

  #op(keyAt: number, keyLength: number, valueAt: number, valueLength: number): void {
    let ops = this.#ops
    const i = 4 * this.#opCount++
    if (i + 4 > ops.length) {
      const next = new Int32Array(Math.max(64, ops.length * 2))
      next.set(ops)
      this.#ops = next
      ops = next
    }
    ops[i] = keyAt
    ops[i + 1] = keyLength
    ops[i + 2] = valueAt
    ops[i + 3] = valueLength
  }

  /**
   * Room for a record whose value starts at an offset ≡ 3 (mod 4), so the 32-byte fields after its kind byte
   * (and a page's 4- or 8-byte shape) are word-aligned; returns that offset.
   */
  #recordAt(bytes: number): number {
    const out = this.#out
    out.ensure(bytes + 3)
    return out.at + ((3 - (out.at & 3)) & 3)
  }

  /**
   * The page record of the page root `id` at `depth` (smtStore.ts): its shape, then the hash and version of
   * every leaf and bottom inner node in it, in heap order. Reads only the page's own inner slots.
   */
  #emitPage(id: number, version: number, depth: number, src: Uint8Array, srcOff: number): void {
    const inner = this.#in
    const refs = this.#pageRefs
    const entries = this.#pageEntries
    // the shape's 2-bit codes, bits 0..31 and 32..63 (PAGE_LEVELS ≤ 4)
    let lo = 0
    let hi = 0
    refs[1] = id
    let m = 0
    for (let j = 2; j < PAGE_END; j++) {
      const parent = refs[j >> 1] as number
      refs[j] = 0
      if (parent <= 0) continue
      const side = j & 1
      const c = inner.i32[parent * I_WORDS + I_REF + side] as number
      if (c === 0) continue
      const bit = 2 * (j - 2)
      const code = c < 0 ? CODE_LEAF : CODE_INNER
      if (bit < 32) lo |= code << bit
      else hi |= code << (bit - 32)
      if (c > 0 && j < PAGE_END >> 1) refs[j] = c
      else entries[m++] = 2 * parent + side
    }
    const kl = nodeKeyLength(depth)
    const vl = 1 + SHAPE_BYTES + PAGE_ENTRY_BYTES * m
    const vo = this.#recordAt(vl + kl)
    const out = this.#out
    const buf = out.buf
    const words = out.words
    buf[vo] = REC_PAGE
    for (let b = 0; b < SHAPE_BYTES; b++) buf[vo + 1 + b] = (b < 4 ? lo >>> (8 * b) : hi >>> (8 * (b - 4))) & 0xff
    let at = vo + 1 + SHAPE_BYTES
    for (let e = 0; e < m; e++) {
      const slot = (entries[e] as number) >> 1
      const side = (entries[e] as number) & 1
      const sw = slot * I_WORDS + I_RIGHT_HASH * side
      const dw = at >> 2
      for (let k = 0; k < 8; k++) words[dw + k] = inner.i32[sw + k] as number
      putU64(buf, at + 32, inner.f64[slot * I_F64 + I_CVER + side] as number)
      at += PAGE_ENTRY_BYTES
    }
    writeNodeKey(buf, at, version, depth, src, srcOff)
    this.#op(at, kl, vo, vl)
    out.at = at + kl
  }

  #emitLeaf(l: number, version: number, depth: number): void {
    const kl = nodeKeyLength(depth)
    const vo = this.#recordAt(LEAF_RECORD_BYTES + kl)
    const out = this.#out
    const buf = out.buf
    const words = out.words
    const lf = this.#lf
    buf[vo] = REC_LEAF
    const dw = (vo + 1) >> 2
    const sw = l * L_WORDS
    for (let k = 0; k < 16; k++) words[dw + k] = lf.i32[sw + k] as number
    putU64(buf, vo + 65, lf.f64[l * L_F64 + L_VVER] as number)
    const ko = vo + LEAF_RECORD_BYTES
    writeNodeKey(buf, ko, version, depth, lf.u8, l * L_STRIDE)
    this.#op(ko, kl, vo, LEAF_RECORD_BYTES)
    out.at = ko + kl
  }

  /** The value record of the path at src[srcOff], written at `version`. */
  #emitValue(src: Uint8Array, srcOff: number, version: number, value: Uint8Array): void {
    const out = this.#out
    const ko = out.reserve(VALUE_KEY_BYTES)
    writeValueKey(out.buf, ko, src, srcOff, version)
    this.#valueKeys.push(ko)
    this.#values.push(value)
  }

  /** Records of the whole subtree (a leaf or a page root) at their own versions (fullNodeWrites). */
  #emitAll(ref: number, depth: number, prefix: Uint8Array): void {
    if (ref < 0) this.#emitLeaf(-ref, this.#lf.f64[-ref * L_F64 + L_OWN] as number, depth)
    else {
      this.#emitPage(ref, this.#in.f64[ref * I_F64 + I_OWN] as number, depth, prefix, 0)
      this.#emitBelow(ref, depth, prefix)
    }
  }

  /** #emitAll of the leaves and next pages below the in-page inner node `ref` at `depth`. */
  #emitBelow(ref: number, depth: number, prefix: Uint8Array): void {
    for (let side = 0; side < 2; side++) {
      const c = this.#in.i32[ref * I_WORDS + I_REF + side] as number
      if (c === 0) continue
      if (side === 1) prefix[depth >> 3] = (prefix[depth >> 3] as number) | (0x80 >> (depth & 7))
      if (c < 0 || (depth + 1) % PAGE_LEVELS === 0) this.#emitAll(c, depth + 1, prefix)
      else this.#emitBelow(c, depth + 1, prefix)
      if (side === 1) prefix[depth >> 3] = (prefix[depth >> 3] as number) & ~(0x80 >> (depth & 7))
    }
  }

  /**
   * Rebuilds the subtree whose record is (version, depth, prefix) from the records (fromNodeRecords), leaving
   * its recomputed hash in side `s` of inner slot `p`. `kind` is the record kind its parent names.
   */
  #load(
    nodes: RecordTable,
    version: number,
    depth: number,
    kind: number,
    prefix: Uint8Array,
    scratch: Uint8Array,
    p: number,
    s: number,
  ): number {
    writeNodeKey(scratch, 0, version, depth, prefix, 0)
    const rec = nodes.get(scratch, nodeKeyLength(depth))
    if (rec === undefined)
      throw new TreeUnavailableError(`tree node missing from the store: version ${version}, depth ${depth}`)
    if (nodeRecordKind(rec) !== kind) throw new CodecError(`tree node of the wrong kind at depth ${depth}`)
    if (kind === REC_LEAF) {
      for (let i = 0; i < depth; i++)
        if (bitOf(rec, 1, i) !== bitOf(prefix, 0, i)) throw new CodecError('leaf record stored off its path')
      const l = this.#lf.alloc()
      const lf = this.#lf
      lf.u8.set(rec.subarray(1, 65), l * L_STRIDE)
      lf.f64[l * L_F64 + L_VVER] = getU64(rec, 65)
      lf.f64[l * L_F64 + L_OWN] = version
      lf.i32[l * L_WORDS + L_DEPTH] = depth
      this.#leafCount++
      this.#hashLeaf(l, p, s)
      return -l
    }
    if (depth % PAGE_LEVELS !== 0) throw new CodecError(`tree page at depth ${depth}`)
    return this.#loadPage(nodes, decodePage(rec), version, 1, depth, prefix, scratch, p, s)
  }

  /** The in-page inner node at heap position j (at `depth`) of a page written at `version`, and below it. */
  #loadPage(
    nodes: RecordTable,
    page: PageView,
    version: number,
    j: number,
    depth: number,
    prefix: Uint8Array,
    scratch: Uint8Array,
    p: number,
    s: number,
  ): number {
    const id = this.#in.alloc()
    const refs = [0, 0]
    for (let side = 0; side < 2; side++) {
      const c = 2 * j + side
      const code = page.codes[c] as number
      const at = page.entryAt[c] as number
      const hashOff = id * I_WORDS + I_RIGHT_HASH * side
      let childVersion = version
      if (side === 1) prefix[depth >> 3] = (prefix[depth >> 3] as number) | (0x80 >> (depth & 7))
      if (code === CODE_EMPTY) {
        this.#in.i32.fill(0, hashOff, hashOff + 8)
        childVersion = 0
      } else if (at < 0) {
        refs[side] = this.#loadPage(nodes, page, version, c, depth + 1, prefix, scratch, id, side)
      } else {
        childVersion = getU64(page.rec, at + 32)
        const kind = code === CODE_LEAF ? REC_LEAF : REC_PAGE
        refs[side] = this.#load(nodes, childVersion, depth + 1, kind, prefix, scratch, id, side)
        if (compare32(this.#in.u8, hashOff * 4, page.rec, at) !== 0) throw new CodecError('tree node hash mismatch')
      }
      if (side === 1) prefix[depth >> 3] = (prefix[depth >> 3] as number) & ~(0x80 >> (depth & 7))
      this.#in.f64[id * I_F64 + I_CVER + side] = childVersion
    }
    const [left = 0, right = 0] = refs
    if ((left === 0 && right <= 0) || (right === 0 && left <= 0))
      throw new CodecError('inner node over fewer than two leaves (it should be collapsed)')
    const inner = this.#in
    inner.i32[id * I_WORDS + I_REF] = left
    inner.i32[id * I_WORDS + I_REF + 1] = right
    inner.f64[id * I_F64 + I_OWN] = version
    hashNode64(INNER_TAG, inner.i32, id * I_WORDS, inner.i32, p * I_WORDS + I_RIGHT_HASH * s)
    return id
  }

  // ── arena ─────────────────────────────────────────────────────────────────────────────────────────────────

  /**
   * Renumbers the inner slots page by page: each page's inner nodes in heap order (root, its children, their
   * children), pages depth first. A walk then finds a page's nodes within ~700 bytes instead of spread over the
   * arena (a build or load allocates depth first, which puts a page's right half after its whole left
   * subtree). Run after a build or load; commits allocate from the free list afterwards, but they change only
   * the bottom of the tree, so the layout mostly stays.
   */
  #relayout(): void {
    const inner = this.#in
    const root = inner.i32[I_REF] as number
    if (root <= 0) return
    const order = new Int32Array(inner.next)
    let count = 0
    const pages = [root]
    const level: number[] = []
    while (pages.length > 0) {
      const page = pages.pop() as number
      level.length = 0
      level.push(page)
      for (let r = 0; r < PAGE_LEVELS && level.length > 0; r++) {
        const next: number[] = []
        for (const id of level) {
          order[count++] = id
          for (let side = 0; side < 2; side++) {
            const c = inner.i32[id * I_WORDS + I_REF + side] as number
            if (c > 0) next.push(c)
          }
        }
        level.length = 0
        if (r + 1 < PAGE_LEVELS) level.push(...next)
        else for (let i = next.length - 1; i >= 0; i--) pages.push(next[i] as number)
      }
    }
    const remap = new Int32Array(inner.cap)
    inner.relayout(order, count, remap)
    const i32 = inner.i32
    for (let id = 0; id <= count; id++)
      for (let side = 0; side < 2; side++) {
        const at = id * I_WORDS + I_REF + side
        const c = i32[at] as number
        if (c > 0) i32[at] = remap[c] as number
      }
  }

  #isPending(ref: number): boolean {
    if (ref > 0) return this.#in.f64[ref * I_F64 + I_OWN] === PENDING
    return ref < 0 && this.#lf.f64[-ref * L_F64 + L_OWN] === PENDING
  }

  /** A new pending leaf for write i (its value record is emitted; its hash is computed where it is placed). */
  #allocLeaf(i: number): number {
    const id = this.#lf.alloc()
    const lf = this.#lf
    const lw = id * L_WORDS
    for (let k = 0; k < 8; k++) {
      lf.i32[lw + k] = this.#wPathW[i * 8 + k] as number
      lf.i32[lw + L_VALH + k] = this.#wValHW[i * 8 + k] as number
    }
    lf.f64[id * L_F64 + L_VVER] = this.#h
    lf.f64[id * L_F64 + L_OWN] = PENDING
    lf.i32[lw + L_DEPTH] = -1
    this.#leafCount++
    if (this.#emit) this.#emitValue(lf.u8, id * L_STRIDE, this.#h, this.#wValue[i] as Uint8Array)
    return -id
  }
}
