/**
 * @module The node's chain on LevelDB. One atomic batch per height holds the block, its receipts, the tx
 * index entries, every state leaf it wrote and the new head, so after a crash the store is at height H or
 * H−1, never between.
 */
import { Level } from 'level'
import type { LeafWrite } from '../state/index.ts'
import { bytesEqual, Reader, Writer } from '../state/index.ts'
import { blockKey, DB_PREFIX, genesisKey, headKey, leafDbKey, receiptsKey, txIndexKey } from './dbKeys.ts'

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
  txHashes: readonly Uint8Array[]
  leaves: readonly LeafWrite[]
}

function encodeHead(h: Head): Uint8Array {
  return new Writer(80).u64(h.height).fixed(h.hash, 32).fixed(h.stateRoot, 32).u64(h.time).finish()
}

function decodeHead(bytes: Uint8Array): Head {
  const r = new Reader(bytes)
  const head = { height: r.u64(), hash: r.fixed(32), stateRoot: r.fixed(32), time: r.u64() }
  r.end()
  return head
}

export class ChainStore {
  readonly #db: Level<Uint8Array, Uint8Array>
  #head: Head | undefined

  private constructor(db: Level<Uint8Array, Uint8Array>, head: Head | undefined) {
    this.#db = db
    this.#head = head
  }

  static async open(dir: string): Promise<ChainStore> {
    const db = new Level<Uint8Array, Uint8Array>(dir, { keyEncoding: 'view', valueEncoding: 'view' })
    await db.open()
    const raw = await db.get(headKey)
    return new ChainStore(db, raw === undefined ? undefined : decodeHead(raw))
  }

  get head(): Head | undefined {
    return this.#head
  }

  /** Binds the store to a genesis hash on first use; refuses a store made for another chain. */
  async checkGenesis(genesisHash: Uint8Array): Promise<void> {
    const stored = await this.#db.get(genesisKey)
    if (stored === undefined) await this.#db.put(genesisKey, genesisHash)
    else if (!bytesEqual(stored, genesisHash))
      throw new Error('this data directory belongs to another chain (its genesis hash differs from genesis.json)')
  }

  async commit(c: HeightCommit): Promise<void> {
    const batch = this.#db.batch()
    batch.put(blockKey(c.head.height), c.block)
    batch.put(receiptsKey(c.head.height), new TextEncoder().encode(c.receipts))
    c.txHashes.forEach((hash, i) => {
      batch.put(txIndexKey(hash), new Writer(12).u64(c.head.height).u32(i).finish())
    })
    for (const leaf of c.leaves) {
      if (leaf.value === null) batch.del(leafDbKey(leaf.key))
      else batch.put(leafDbKey(leaf.key), leaf.value)
    }
    batch.put(headKey, encodeHead(c.head))
    await batch.write()
    this.#head = c.head
  }

  async block(height: bigint): Promise<Uint8Array | undefined> {
    return this.#db.get(blockKey(height))
  }

  async receipts(height: bigint): Promise<unknown[] | undefined> {
    const raw = await this.#db.get(receiptsKey(height))
    return raw === undefined ? undefined : (JSON.parse(new TextDecoder().decode(raw)) as unknown[])
  }

  async txLocation(hash: Uint8Array): Promise<{ height: bigint; index: number } | undefined> {
    const raw = await this.#db.get(txIndexKey(hash))
    if (raw === undefined) return undefined
    const r = new Reader(raw)
    return { height: r.u64(), index: r.u32() }
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
