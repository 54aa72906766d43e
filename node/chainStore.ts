/**
 * @module The node's chain on LevelDB. One atomic batch per height holds the block, its receipts, the tx
 * index entries, every state leaf it wrote, the state tree's records of the height (new pages, leaves and
 * versioned values, the root, the pruning deletes) and the new head, so after a crash the store is at height
 * H or H−1, never between. The batch is written with `sync` (fsync before it counts as done), so this holds for
 * a power loss as well as for `kill -9`, and nothing is reported as included before it is on disk.
 *
 * The batch also indexes the block by its header hash (hash → height), for block sync by hash. A store written
 * before that index existed gets it built at open, once: the head's entry is written last, so a build cut short
 * by a crash is simply run again at the next open.
 */
import { Level } from 'level'
import { HEADER_BYTES } from '../engine/index.ts'
import type { LeafWrite, NodeWrites } from '../state/index.ts'
import { bytesEqual, keccak256, Reader, TREE_RECORD, Writer } from '../state/index.ts'
import { BatchBytes } from './batchBytes.ts'
import {
  alarmClearedKey,
  baseKey,
  blockEventsKey,
  blockHashKey,
  blockKey,
  DB_PREFIX,
  evidenceKey,
  genesisKey,
  headKey,
  leafDbKey,
  receiptsKey,
  treeDbKey,
  treeDbKeyAt,
  txIndexKey,
} from './dbKeys.ts'
import type { FailPoint, FailPointName } from './failPoints.ts'

export interface Head {
  height: bigint
  hash: Uint8Array
  stateRoot: Uint8Array
  /** block time, ms */
  time: bigint
}

export interface HeightCommit {
  head: Head
  block: Uint8Array
  /** JSON text of the receipts */
  receipts: string
  /** JSON text of the block's own events (not of a transaction): liquidations, funding, oracle prices, expiries */
  events?: string
  txHashes: readonly Uint8Array[]
  leaves: readonly LeafWrite[]
  /** the state tree's node records written (or deleted, value null) at this height */
  treeNodes: NodeWrites
  /** only when importing a snapshot into an empty store: the chain identity and where history starts */
  imported?: { genesisHash: Uint8Array }
}

export interface ChainStoreOptions {
  /** test hook between the steps of a commit (node/failPoints.ts) */
  failPoint?: FailPoint
  /** fsync each height's batch (default true) */
  sync?: boolean
  /** LevelDB's memtable size in bytes (default WRITE_BUFFER_BYTES) */
  writeBufferBytes?: number
}

/**
 * LevelDB's memtable: 64 MiB instead of its 4 MiB default. A full block writes ~18,000 records (tree pages, leaves,
 * the tx index), several MB; with 4 MiB the memtable was flushed to a level-0 table every block or two and the
 * background compaction took 25–35% of a core at full load; with 64 MiB, 10–12% (the end-to-end benchmark's
 * thread times, bench/NOTES.md). It costs memory only as it fills (at most two memtables, one being flushed:
 * ~128 MiB) and a longer log replay when a store is opened after a crash.
 */
export const WRITE_BUFFER_BYTES = 64 * 1024 * 1024

function encodeHead(h: Head): Uint8Array {
  return new Writer(80).u64(h.height).fixed(h.hash, 32).fixed(h.stateRoot, 32).u64(h.time).finish()
}

/** A tx index entry: height u64 ‖ index u32 (DB_PREFIX.txIndex). */
const TX_LOCATION_BYTES = 12

/** Puts per batch while building the hash index of an older store (bounds memory, not correctness). */
const INDEX_BATCH = 1_000

function encodeHeight(height: bigint): Uint8Array {
  return new Writer(8).u64(height).finish()
}

function decodeHead(bytes: Uint8Array): Head {
  const r = new Reader(bytes)
  const head = { height: r.u64(), hash: r.fixed(32), stateRoot: r.fixed(32), time: r.u64() }
  r.end()
  return head
}

export class ChainStore {
  readonly #db: Level<Uint8Array, Uint8Array>
  readonly #options: ChainStoreOptions
  #head: Head | undefined
  /** the evidence records (JSON text) in the order they were recorded, loaded at open */
  readonly #evidence: string[]
  /** how many of the first evidence records an operator acknowledged (--clear-alarm) */
  #alarmCleared: number
  /** blocks indexed by hash at open because the store predates the index (0 for a current store) */
  #hashIndexBuilt = 0

  private constructor(
    db: Level<Uint8Array, Uint8Array>,
    head: Head | undefined,
    evidence: string[],
    alarmCleared: number,
    options: ChainStoreOptions,
  ) {
    this.#db = db
    this.#head = head
    this.#evidence = evidence
    this.#alarmCleared = alarmCleared
    this.#options = options
  }

  static async open(dir: string, options: ChainStoreOptions = {}): Promise<ChainStore> {
    const db = new Level<Uint8Array, Uint8Array>(dir, {
      keyEncoding: 'view',
      valueEncoding: 'view',
      writeBufferSize: options.writeBufferBytes ?? WRITE_BUFFER_BYTES,
    })
    try {
      await db.open()
    } catch (e) {
      const cause = (e as { cause?: { code?: string; message?: string } }).cause
      if (cause?.code === 'LEVEL_LOCKED' || /lock/i.test(cause?.message ?? ''))
        throw new Error(`the chain store ${dir} is in use by another process (is the node running?)`)
      throw e
    }
    const raw = await db.get(headKey)
    const evidence: string[] = []
    const gte = Uint8Array.of(DB_PREFIX.evidence)
    const lt = Uint8Array.of(DB_PREFIX.evidence + 1)
    for await (const value of db.values({ gte, lt })) evidence.push(new TextDecoder().decode(value))
    const cleared = await db.get(alarmClearedKey)
    const alarmCleared = cleared === undefined ? 0 : new Reader(cleared).u32()
    const store = new ChainStore(db, raw === undefined ? undefined : decodeHead(raw), evidence, alarmCleared, options)
    try {
      await store.#ensureHashIndex()
    } catch (e) {
      await db.close()
      throw e
    }
    return store
  }

  /**
   * Builds the hash → height index of a store written before it existed: every stored block's header hash
   * (keccak256 of its first HEADER_BYTES, the canonical header encoding) in ascending height, the head's last.
   * A store whose head is indexed is complete, since each later block indexes itself in its own batch.
   */
  async #ensureHashIndex(): Promise<void> {
    const head = this.#head
    if (head === undefined || (await this.#db.get(blockHashKey(head.hash))) !== undefined) return
    let batch = this.#db.batch()
    let pending = 0
    const gte = Uint8Array.of(DB_PREFIX.block)
    const lt = Uint8Array.of(DB_PREFIX.block + 1)
    for await (const [key, block] of this.#db.iterator({ gte, lt })) {
      const height = new Reader(key.subarray(1)).u64()
      batch.put(blockHashKey(keccak256(block.subarray(0, HEADER_BYTES))), encodeHeight(height))
      this.#hashIndexBuilt++
      if (++pending >= INDEX_BATCH) {
        await batch.write({ sync: this.#options.sync ?? true })
        batch = this.#db.batch()
        pending = 0
      }
    }
    await batch.write({ sync: this.#options.sync ?? true })
  }

  /** Blocks indexed by hash at open because the store predated the index (0 when it was already there). */
  get hashIndexBuilt(): number {
    return this.#hashIndexBuilt
  }

  get head(): Head | undefined {
    return this.#head
  }

  /** Runs the injected fail point hook, if any (node/failPoints.ts). */
  failPoint(name: FailPointName, height: bigint): void {
    this.#options.failPoint?.(name, height)
  }

  /** Re-reads the head from disk: after a failed commit, memory follows whatever the disk holds. */
  async refreshHead(): Promise<Head | undefined> {
    const raw = await this.#db.get(headKey)
    this.#head = raw === undefined ? undefined : decodeHead(raw)
    return this.#head
  }

  /** The height this store's history starts at: 0, or the snapshot height it was imported from. */
  async base(): Promise<bigint> {
    const raw = await this.#db.get(baseKey)
    return raw === undefined ? 0n : new Reader(raw).u64()
  }

  /** Binds the store to a genesis hash on first use; refuses a store made for another chain. */
  async checkGenesis(genesisHash: Uint8Array): Promise<void> {
    const stored = await this.#db.get(genesisKey)
    if (stored === undefined) await this.#db.put(genesisKey, genesisHash)
    else if (!bytesEqual(stored, genesisHash))
      throw new Error('this data directory belongs to another chain (its genesis hash differs from genesis.json)')
  }

  /**
   * Writes one height as one atomic, synced batch, then moves the in-memory head. If it throws, the disk
   * holds either the whole height or none of it; the caller re-reads the head (refreshHead) to know which.
   */
  async commit(c: HeightCommit): Promise<void> {
    const height = c.head.height
    const batch = this.#db.batch()
    // the keys and short values of the height, outside V8's heap (node/batchBytes.ts)
    const bytes = new BatchBytes()
    try {
      batch.put(blockKey(height), c.block)
      const heightWord = encodeHeight(height)
      batch.put(blockHashKey(c.head.hash), heightWord)
      batch.put(receiptsKey(height), new TextEncoder().encode(c.receipts))
      if (c.events !== undefined) batch.put(blockEventsKey(height), new TextEncoder().encode(c.events))
      c.txHashes.forEach((hash, i) => {
        const location = bytes.reserve(TX_LOCATION_BYTES)
        location.set(heightWord)
        // index u32, big-endian (Reader.u32)
        location[8] = i >>> 24
        location[9] = (i >>> 16) & 0xff
        location[10] = (i >>> 8) & 0xff
        location[11] = i & 0xff
        batch.put(txIndexKey(hash, bytes), location)
      })
      for (let i = 0; i < c.leaves.length; i++) {
        const leaf = c.leaves[i] as LeafWrite
        const key = leafDbKey(leaf.key, bytes)
        if (leaf.value === null) batch.del(key)
        else batch.put(key, bytes.outsideHeap(leaf.value))
      }
      c.treeNodes.forEachRecord((buf, at, length, value) => {
        const key = treeDbKeyAt(buf, at, length, bytes)
        if (value === null) batch.del(key)
        else batch.put(key, bytes.outsideHeap(value))
      })
      if (c.imported !== undefined) {
        batch.put(genesisKey, c.imported.genesisHash)
        batch.put(baseKey, heightWord)
      }
      batch.put(headKey, encodeHead(c.head))
      this.failPoint('before-batch-write', height)
    } catch (e) {
      await batch.close()
      throw e
    }
    await batch.write({ sync: this.#options.sync ?? true })
    this.failPoint('after-batch-write', height)
    this.#head = c.head
  }

  /** Every evidence record (JSON text, node/evidence.ts), oldest first. */
  get evidence(): readonly string[] {
    return this.#evidence
  }

  /**
   * Appends one evidence record and writes it synced. It is visible in `evidence` at once (before the write
   * completes), so two callers checking for a duplicate without awaiting in between never both add it.
   */
  async addEvidence(json: string): Promise<void> {
    const seq = this.#evidence.length
    this.#evidence.push(json)
    await this.#db.put(evidenceKey(seq), new TextEncoder().encode(json), { sync: this.#options.sync ?? true })
  }

  /** How many of the first evidence records an operator acknowledged (they stay; the alarm is the rest). */
  get alarmCleared(): number {
    return this.#alarmCleared
  }

  /** Acknowledges the first `count` evidence records (written synced); the records themselves stay. */
  async clearAlarm(count: number): Promise<void> {
    if (!Number.isInteger(count) || count < this.#alarmCleared || count > this.#evidence.length)
      throw new RangeError(`cannot acknowledge ${count} of ${this.#evidence.length} evidence records`)
    await this.#db.put(alarmClearedKey, new Writer(4).u32(count).finish(), { sync: this.#options.sync ?? true })
    this.#alarmCleared = count
  }

  /** Whether the store holds nothing at all (no head, no genesis binding): an import may write into it. */
  async isEmpty(): Promise<boolean> {
    for await (const _ of this.#db.keys({ limit: 1 })) return false
    return true
  }

  async block(height: bigint): Promise<Uint8Array | undefined> {
    return this.#db.get(blockKey(height))
  }

  /** The height of the stored block with this header hash, if the store holds it. */
  async heightOfHash(hash: Uint8Array): Promise<bigint | undefined> {
    if (hash.length !== 32) return undefined
    const raw = await this.#db.get(blockHashKey(hash))
    return raw === undefined ? undefined : new Reader(raw).u64()
  }

  /** The encoded block with this header hash, if the store holds it. */
  async blockByHash(hash: Uint8Array): Promise<Uint8Array | undefined> {
    const height = await this.heightOfHash(hash)
    return height === undefined ? undefined : this.block(height)
  }

  async receipts(height: bigint): Promise<unknown[] | undefined> {
    const raw = await this.#db.get(receiptsKey(height))
    return raw === undefined ? undefined : (JSON.parse(new TextDecoder().decode(raw)) as unknown[])
  }

  /** The block's own events, [] for a height stored without them (genesis, or a store imported from a snapshot). */
  async blockEvents(height: bigint): Promise<unknown[]> {
    const raw = await this.#db.get(blockEventsKey(height))
    return raw === undefined ? [] : (JSON.parse(new TextDecoder().decode(raw)) as unknown[])
  }

  async txLocation(hash: Uint8Array): Promise<{ height: bigint; index: number } | undefined> {
    const raw = await this.#db.get(txIndexKey(hash))
    if (raw === undefined) return undefined
    const r = new Reader(raw)
    return { height: r.u64(), index: r.u32() }
  }

  /**
   * Every state tree record that rebuilds the tree at the head, as [treeKey, value]: nodes, roots and stale
   * lists. The versioned leaf values (tree keys from TREE_RECORD.value up) are left on disk: only proofs read
   * them, one at a time.
   */
  async treeRecords(): Promise<[Uint8Array, Uint8Array][]> {
    const out: [Uint8Array, Uint8Array][] = []
    const gte = Uint8Array.of(DB_PREFIX.tree)
    const lt = Uint8Array.of(DB_PREFIX.tree, TREE_RECORD.value)
    for await (const [key, value] of this.#db.iterator({ gte, lt })) out.push([key.subarray(1), value])
    return out
  }

  /** One state tree record: a node, root or versioned value (for proofs at a kept height). */
  async treeRecord(treeKey: Uint8Array): Promise<Uint8Array | undefined> {
    return this.#db.get(treeDbKey(treeKey))
  }

  /** Every state leaf as [stateKey, value]. */
  async leaves(): Promise<[Uint8Array, Uint8Array][]> {
    const out: [Uint8Array, Uint8Array][] = []
    const gte = Uint8Array.of(DB_PREFIX.leaf)
    const lt = Uint8Array.of(DB_PREFIX.leaf + 1)
    for await (const [key, value] of this.#db.iterator({ gte, lt })) out.push([key.subarray(1), value])
    return out
  }

  async close(): Promise<void> {
    await this.#db.close()
  }
}
