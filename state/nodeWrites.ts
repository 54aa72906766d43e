/**
 * @module One tree commit's node-store writes as the commit produced them: records laid out in one byte buffer
 * (offsets), the leaves' value arrays, and deletions, walked by the store without building an object per record.
 *
 * Why not an array of { key, value }: a block of ~2,000 orders writes ~25,000 records and prunes about as many.
 * As objects with two views each they are held through the block's encoding and its synced write, so about half
 * of them outlived a young-generation collection, and they were ~22% of the bytes the sequencer's collector
 * kept (bench/NOTES.md, sixth pass). Here a record is a view made when it is visited, dead right after.
 */
import type { TreeNodeWrite } from './smtStore.ts'
import { staleEntryLength, VALUE_KEY_BYTES } from './smtStore.ts'

/** A deletion: one key, or every key of a stale list (its entries are visited one by one). */
export type NodeDelete = Uint8Array | { readonly staleList: Uint8Array }

export interface NodeWritesParts {
  /** written first, in order (the root record, the stale list record) */
  head: readonly TreeNodeWrite[]
  buf: Uint8Array
  /** node records: (key offset, key length, value offset, value length) in `buf`, `opCount` of them */
  ops: Int32Array
  opCount: number
  /** value records: key offset (VALUE_KEY_BYTES long) in `buf`, and its value */
  valueKeys: readonly number[]
  values: readonly Uint8Array[]
  deletes: readonly NodeDelete[]
}

/** Visits a write; `value` null deletes `key`. The views share the commit's buffers, which nothing reuses. */
export type NodeWriteVisitor = (key: Uint8Array, value: Uint8Array | null) => void

/**
 * Visits a write whose key is `keyLength` bytes of `buf` from `keyAt`, for a store that copies the key anyway
 * (behind its own prefix): no view is made for the key. `value` null deletes it.
 */
export type NodeRecordVisitor = (buf: Uint8Array, keyAt: number, keyLength: number, value: Uint8Array | null) => void

export class NodeWrites {
  readonly #p: NodeWritesParts
  #array: TreeNodeWrite[] | undefined

  constructor(parts: NodeWritesParts) {
    this.#p = parts
  }

  /** Every write in the store's order: head, node records, value records, deletions. */
  forEach(visit: NodeWriteVisitor): void {
    this.forEachRecord((buf, at, length, value) => visit(buf.subarray(at, at + length), value))
  }

  /**
   * forEach with each key given by place, not as a view: the store visits ~25,000 records a block, and the view
   * per key was ~0.7 KB of garbage an order (bench/NOTES.md, twelfth pass).
   */
  forEachRecord(visit: NodeRecordVisitor): void {
    const p = this.#p
    for (const w of p.head) visit(w.key, 0, w.key.length, w.value)
    const { buf, ops } = p
    for (let i = 0; i < 4 * p.opCount; i += 4) {
      const vo = ops[i + 2] as number
      visit(buf, ops[i] as number, ops[i + 1] as number, buf.subarray(vo, vo + (ops[i + 3] as number)))
    }
    for (let i = 0; i < p.valueKeys.length; i++)
      visit(buf, p.valueKeys[i] as number, VALUE_KEY_BYTES, p.values[i] as Uint8Array)
    for (let i = 0; i < p.deletes.length; i++) {
      const d = p.deletes[i] as NodeDelete
      if (d instanceof Uint8Array) {
        visit(d, 0, d.length, null)
        continue
      }
      const keys = d.staleList
      for (let o = 0; o < keys.length; ) {
        const len = staleEntryLength(keys, o)
        visit(keys, o, len, null)
        o += len
      }
    }
  }

  /** The writes as { key, value } records (built once, on first use: tools and tests). */
  toArray(): TreeNodeWrite[] {
    if (this.#array === undefined) {
      const out: TreeNodeWrite[] = []
      this.forEach((key, value) => {
        out.push({ key, value })
      })
      this.#array = out
    }
    return this.#array
  }
}
