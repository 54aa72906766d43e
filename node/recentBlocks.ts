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

/** only what the view needs: keeping whole blocks and receipts alive for seconds would push them into V8's old space */
interface Entry {
  header: CommittedBlock['block']['header']
  signature: Uint8Array
  hashes: Uint8Array[]
  events: CommittedBlock['result']['events']
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
    const { block, result } = committed
    this.#byHeight.set(block.header.height, {
      header: block.header,
      signature: block.signature,
      hashes: result.receipts.map((r) => r.hash),
      events: result.events,
    })
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
      entry.view = toJson({
        ...entry.header,
        signature: entry.signature,
        transactions: entry.hashes.map(toHex),
        events: entry.events,
      }) as Record<string, Json>
    }
    return entry.view
  }
}
