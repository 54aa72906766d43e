/**
 * @module perp_block's answer, and the last few committed blocks kept in memory to give it. Clients that follow
 * the chain (explorers, bots, the benchmark's inclusion check) ask for the block whose head they were just told
 * of; from the store that is a LevelDB read, a decode of every transaction and a JSON parse of every receipt,
 * only to list the transaction hashes. Here the parts are built once, on the first ask, from the committed
 * block still in memory; both ways end in `blockJson` (test/e2e/recentBlocks.test.ts compares the answers).
 */
import type { Json } from '../rpc/index.ts'
import { toJson } from '../rpc/index.ts'
import { toHex } from '../state/index.ts'
import type { CommittedBlock } from './chain.ts'

/** Blocks kept: ~4 s of blocks at the devnet's 250 ms, enough for any client that keeps up with the heads. */
export const RECENT_BLOCKS = 16

/** A block's perp_block fields, already JSON. */
export interface BlockParts {
  header: Record<string, Json>
  signature: Json
  /** the transaction hashes, 0x-hex, in block order */
  transactions: Json
  events: Json
}

/** perp_block's answer: the header's fields, `hash` (given only for the head), signature, transactions, events. */
export function blockJson(parts: BlockParts, headHash: Uint8Array | undefined): Json {
  const { header, signature, transactions, events } = parts
  return { ...header, ...(headHash !== undefined ? { hash: toHex(headHash) } : {}), signature, transactions, events }
}

/** only what the parts need: keeping whole blocks and receipts alive for seconds would push them into V8's old space */
interface Entry {
  header: CommittedBlock['block']['header']
  signature: Uint8Array
  hashes: Uint8Array[]
  events: CommittedBlock['result']['events']
  parts?: BlockParts
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

  /** The block's parts, or undefined when the height is not kept here. */
  parts(height: bigint): BlockParts | undefined {
    const entry = this.#byHeight.get(height)
    if (entry === undefined) return undefined
    entry.parts ??= {
      header: toJson(entry.header) as Record<string, Json>,
      signature: toHex(entry.signature),
      transactions: entry.hashes.map(toHex),
      events: toJson(entry.events),
    }
    return entry.parts
  }
}
