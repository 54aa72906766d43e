/**
 * @module Placing a gossiped block whose parent a validator does not hold, by asking the peer that delivered it
 * for the parents by header hash (p2p sync by hash), one at a time, back to a block that extends the head. Each
 * fetched block is checked like any other (decodes, signed by the sequencer, hashes to what was asked) and
 * compared for equivocation with what the validator holds or has seen at its height. The import itself is the
 * follower's (node/follower.ts).
 */
import type { Block } from '../engine/index.ts'
import { blockHash, decodeBlock } from '../engine/index.ts'
import type { P2P } from '../p2p/index.ts'
import { bytesEqual, toHex } from '../state/index.ts'
import type { Head } from './chainStore.ts'

/** A block the node refuses: from a faulty or hostile peer (not a fault of this node). */
export class BlockRejected extends Error {}

/**
 * Parents fetched by hash at most, walking back from a gossiped block: a gap of a few blocks (a lost gossip
 * message, a short cut) costs that many small requests; a wider one is a range sync's job.
 */
export const PARENT_WALK = 4

export interface FetchedBlock {
  block: Block
  bytes: Uint8Array
}

/**
 * The block `peer` holds under `hash`, checked: it decodes (at most `maxTxs` transactions), passes `checkHeader`
 * (chain and sequencer signature) and hashes to `hash`. Undefined when the peer holds none; throws BlockRejected
 * when it answers with another block, and whatever the request throws (not connected, protocol not offered).
 */
export async function fetchBlockByHash(
  p2p: P2P,
  peer: string,
  hash: Uint8Array,
  maxTxs: number,
  checkHeader: (block: Block) => void,
): Promise<FetchedBlock | undefined> {
  const [bytes] = await p2p.requestBlocksByHash(peer, [hash])
  if (bytes === null || bytes === undefined) return undefined
  const block = decodeBlock(bytes, maxTxs)
  checkHeader(block)
  if (!bytesEqual(blockHash(block.header), hash)) throw new BlockRejected(`${peer} answered another block by hash`)
  return { block, bytes }
}

export interface ParentWalk {
  head: () => Head
  /** the checked block under a hash, from the peer that delivered the gossiped block */
  fetch: (hash: Uint8Array) => Promise<FetchedBlock | undefined>
  /** the follower's equivocation check; true when it recorded new evidence */
  checkEquivocation: (block: Block, bytes: Uint8Array) => Promise<boolean>
  log: (msg: string) => void
}

/**
 * Walks back from `block` by parent hash to a block one above the head, at most PARENT_WALK fetches. Resolves
 * the path to import, oldest first, or undefined when the walk cannot place the block (a parent the peer does
 * not hold, one at the wrong height, or a gap too wide). At a fork (the path's first block is one above the head
 * on another parent), that parent is fetched too and checked for equivocation against the block held at its
 * height, so the evidence holds both whole blocks; the path is then empty.
 */
export async function parentPath(walk: ParentWalk, block: Block, from: string): Promise<Block[] | undefined> {
  const path = [block]
  let cursor = block
  for (let step = 0; cursor.header.height > walk.head().height + 1n; step++) {
    if (step >= PARENT_WALK) return undefined
    const parent = await walk.fetch(cursor.header.parentHash)
    if (parent === undefined || parent.block.header.height !== cursor.header.height - 1n) return undefined
    await walk.checkEquivocation(parent.block, parent.bytes)
    path.unshift(parent.block)
    cursor = parent.block
  }
  const head = walk.head()
  if (cursor.header.height === head.height + 1n && !bytesEqual(cursor.header.parentHash, head.hash)) {
    const parent = await walk.fetch(cursor.header.parentHash)
    if (parent === undefined) return undefined
    if (!(await walk.checkEquivocation(parent.block, parent.bytes)))
      walk.log(`block ${cursor.header.height} from ${from} builds on ${toHex(cursor.header.parentHash)}, not our head`)
    return []
  }
  return path
}
