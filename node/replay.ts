/**
 * @module Replay from genesis: re-execute stored blocks in memory, with every check a validator makes, and
 * compare each state root with its header's. Used by `perpd export` (state at a height below the head),
 * `perpd verify` (a whole store against a clean replay) and the crash tests.
 *
 * The replayed leaves are kept as the store keeps them (writes applied in order, deletes removed), so the
 * result can be compared key for key with a store's leaves or written out as a snapshot.
 */

import type { Block, BlockHeader, Genesis, State } from '../engine/index.ts'
import { blockHash, decodeBlock, domainSeparator, txRoot } from '../engine/index.ts'
import { toJson } from '../rpc/index.ts'
import type { LeafWrite, SparseMerkleTree } from '../state/index.ts'
import { bytesEqual, fromHex, toHex } from '../state/index.ts'
import { executeBlock, genesisBlock } from './chain.ts'
import type { ChainStore } from './chainStore.ts'
import { recoverSigner } from './signatures.ts'
import { verifyBlockTx } from './verify.ts'

export class ReplayError extends Error {
  override name = 'ReplayError'
}

export interface ReplayedHeight {
  height: bigint
  block: Block
  hash: Uint8Array
  /** the receipts as the store writes them (JSON text) */
  receipts: string
}

/** The state after a replay, as leaves keyed by hex key, with its root and the header it belongs to. */
export class Replay {
  readonly genesis: Genesis
  readonly genesisHash: Uint8Array
  readonly domainSep: Uint8Array
  state: State
  header: BlockHeader
  hash: Uint8Array
  readonly #tree: SparseMerkleTree
  readonly #leaves = new Map<string, LeafWrite>()

  constructor(genesis: Genesis) {
    const g = genesisBlock(genesis)
    this.genesis = genesis
    this.genesisHash = g.hash
    this.domainSep = domainSeparator(genesis.chainId)
    this.state = g.state
    this.header = g.block.header
    this.hash = g.hash
    this.#tree = g.tree
    this.#keep(g.leaves)
  }

  /** Keeps leaf writes as the store does: the latest value per key, deletes removed. */
  #keep(writes: readonly LeafWrite[]): void {
    for (const w of writes) {
      const id = toHex(w.key)
      if (w.value === null) this.#leaves.delete(id)
      else this.#leaves.set(id, w)
    }
  }

  get height(): bigint {
    return this.header.height
  }

  root(): Uint8Array {
    return this.#tree.root
  }

  /** Every leaf as [stateKey, value], sorted by key (byte order). */
  leaves(): [Uint8Array, Uint8Array][] {
    return [...this.#leaves.keys()].sort().map((id) => {
      const w = this.#leaves.get(id) as LeafWrite
      return [w.key, w.value as Uint8Array]
    })
  }

  /** Checks `bytes` as the next block (as a validator would), executes it and checks its state root. */
  next(bytes: Uint8Array): ReplayedHeight {
    const block = decodeBlock(bytes)
    const h = block.header
    const at = `block ${this.height + 1n}`
    if (h.chainId !== this.genesis.chainId) throw new ReplayError(`${at}: chain id ${h.chainId}`)
    if (h.height !== this.height + 1n) throw new ReplayError(`${at}: header says height ${h.height}`)
    if (!bytesEqual(h.parentHash, this.hash)) throw new ReplayError(`${at}: parent hash does not link`)
    if (h.time <= this.header.time) throw new ReplayError(`${at}: time does not advance`)
    const hash = blockHash(h)
    const signer = recoverSigner(hash, block.signature)
    if (signer !== this.genesis.sequencer) throw new ReplayError(`${at}: signed by ${signer}, not the sequencer`)
    if (!bytesEqual(txRoot(block.txs), h.txRoot)) throw new ReplayError(`${at}: txRoot mismatch`)
    const txs = block.txs.map((tx) => verifyBlockTx(this.domainSep, tx).tx)
    const {
      result,
      writes,
      stateRoot: root,
    } = executeBlock(this.state, this.#tree, txs, { time: h.time, height: h.height })
    this.#keep(writes)
    if (!bytesEqual(root, h.stateRoot))
      throw new ReplayError(`${at}: replayed state root ${toHex(root)}, header says ${toHex(h.stateRoot)}`)
    this.header = h
    this.hash = hash
    return { height: h.height, block, hash, receipts: JSON.stringify(toJson(result.receipts)) }
  }
}

/**
 * Replays the store's blocks 1..toHeight from genesis (the store's block 0 must be this genesis). Needs the
 * whole history: a store imported from a snapshot (base > 0) cannot be replayed from genesis.
 */
export async function replayStore(
  store: ChainStore,
  genesis: Genesis,
  toHeight: bigint,
  onHeight?: (r: ReplayedHeight) => Promise<void> | void,
): Promise<Replay> {
  const base = await store.base()
  if (base > 0n)
    throw new ReplayError(
      `this store was imported from a snapshot at height ${base}; it holds no blocks below it, so it cannot be replayed from genesis`,
    )
  const replay = new Replay(genesis)
  const zero = await store.block(0n)
  if (zero === undefined || !bytesEqual(blockHash(decodeBlock(zero).header), replay.genesisHash))
    throw new ReplayError('the stored block 0 is not this genesis')
  for (let h = 1n; h <= toHeight; h++) {
    const bytes = await store.block(h)
    if (bytes === undefined) throw new ReplayError(`block ${h} is missing from the store`)
    const r = replay.next(bytes)
    await onHeight?.(r)
  }
  return replay
}

export interface StoreReport {
  height: bigint
  stateRoot: Uint8Array
  transactions: number
  leaves: number
}

/**
 * The whole store against a clean replay from genesis: every block re-verified and re-executed to its
 * header's root, every stored receipt list equal to the replayed one, every tx index entry pointing at its
 * block, the head equal to the last block, the stored leaves equal to the replayed ones key for key, and
 * nothing stored above the head. Throws ReplayError at the first difference.
 */
export async function verifyStore(store: ChainStore, genesis: Genesis): Promise<StoreReport> {
  const head = store.head
  if (head === undefined) throw new ReplayError('the store is empty (no head)')
  let transactions = 0
  const replay = await replayStore(store, genesis, head.height, async (r) => {
    const stored = await store.receipts(r.height)
    if (stored === undefined || JSON.stringify(stored) !== r.receipts)
      throw new ReplayError(`block ${r.height}: stored receipts differ from the replayed ones`)
    for (const [i, receipt] of (stored as { hash: string }[]).entries()) {
      const loc = await store.txLocation(fromHex(receipt.hash))
      if (loc === undefined || loc.height !== r.height || loc.index !== i)
        throw new ReplayError(
          `block ${r.height}: tx ${receipt.hash} is indexed at ${loc === undefined ? 'nowhere' : `${loc.height}/${loc.index}`}`,
        )
    }
    transactions += stored.length
  })
  if (
    !bytesEqual(replay.hash, head.hash) ||
    !bytesEqual(replay.root(), head.stateRoot) ||
    replay.header.time !== head.time
  )
    throw new ReplayError(`the head (height ${head.height}) is not the last stored block`)
  const stored = await store.leaves()
  const replayed = replay.leaves()
  if (stored.length !== replayed.length)
    throw new ReplayError(`the store holds ${stored.length} leaves, the replay ${replayed.length}`)
  const sorted = [...stored].sort(([a], [b]) => Buffer.compare(a, b))
  sorted.forEach(([key, value], i) => {
    const [k, v] = replayed[i] as [Uint8Array, Uint8Array]
    if (!bytesEqual(key, k) || !bytesEqual(value, v))
      throw new ReplayError(`leaf ${toHex(key)} differs from the replay`)
  })
  if ((await store.block(head.height + 1n)) !== undefined || (await store.receipts(head.height + 1n)) !== undefined)
    throw new ReplayError(`the store holds data above its head ${head.height}`)
  return { height: head.height, stateRoot: head.stateRoot, transactions, leaves: stored.length }
}
