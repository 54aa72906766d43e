/**
 * @module The last few committed blocks as perp_block shows them, kept in memory. Clients that follow the chain
 * (explorers, bots, the benchmark's inclusion check) ask for the block whose head they were just told of; from the
 * store that is a LevelDB read, a decode of every transaction and a JSON parse of every receipt, only to list the
 * transaction hashes. Here the view is built once, on the first ask, from the committed block still in memory.
 *
 * The view is the same JSON as the store gives (test/e2e/recentBlocks.test.ts compares the two), without `hash`:
 * perp_block shows the header hash only for the head, which the caller decides at each ask.
 */
import type { Json } from '../rpc/index.ts'
import { toJson } from '../rpc/index.ts'
import { toHex } from '../state/index.ts'
import type { CommittedBlock } from './chain.ts'

/** Blocks kept: ~4 s of blocks at the devnet's 250 ms, enough for any client that keeps up with the heads. */
export const RECENT_BLOCKS = 16

interface Entry {
  committed: CommittedBlock
  view?: Record<string, Json>
}

export class RecentBlocks {
  readonly capacity: number
  readonly #byHeight = new Map<bigint, Entry>()

  constructor(capacity = RECENT_BLOCKS) {
    this.capacity = capacity
  }

  /** Called with each committed block, in height order; the oldest beyond `capacity` is dropped. */
  add(committed: CommittedBlock): void {
    this.#byHeight.set(committed.block.header.height, { committed })
    if (this.#byHeight.size > this.capacity) {
      const oldest = this.#byHeight.keys().next().value as bigint
      this.#byHeight.delete(oldest)
    }
  }

  /** perp_block's fields for this height except `hash`, or undefined when the height is not kept here. */
  view(height: bigint): Record<string, Json> | undefined {
    const entry = this.#byHeight.get(height)
    if (entry === undefined) return undefined
    if (entry.view === undefined) {
      const { block, result } = entry.committed
      entry.view = toJson({
        ...block.header,
        signature: block.signature,
        transactions: result.receipts.map((r) => toHex(r.hash)),
        events: result.events,
      }) as Record<string, Json>
    }
    return entry.view
  }
}
