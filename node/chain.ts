/**
 * @module The node's chain: the live engine state, its Merkle commitment and the store, kept in step.
 * Both roles use it: the sequencer to build blocks, the validator to import them.
 *
 * The engine advances `state` in place. If a block fails (an invariant, or a validator's root mismatch) the
 * state is rebuilt from the store with `reload()`, which holds exactly the last committed height. A commit
 * that fails (a write error, or a fail point in tests) does the same before it throws: the disk holds H−1 or
 * H, and memory follows the disk, never the executed-but-unwritten block.
 */

import type { Block, BlockHeader, BlockResult, Genesis, State, VerifiedTx } from '../engine/index.ts'
import {
  allLeaves,
  applyBlock,
  blockHash,
  checkTransaction,
  domainSeparator,
  encodeBlock,
  genesisState,
  leafWrites,
  stateFromLeaves,
} from '../engine/index.ts'
import { toJson } from '../rpc/index.ts'
import type { LeafWrite, NodeWrites } from '../state/index.ts'
import { bytesEqual, EMPTY_ROOT, SparseMerkleTree, toHex } from '../state/index.ts'
import type { ChainStore, Head } from './chainStore.ts'

/** Heights whose roots and proofs the node keeps by default (`--keep-heights`); older tree nodes are pruned. */
export const KEEP_HEIGHTS = 128

export interface ExecutedBlock {
  result: BlockResult
  writes: LeafWrite[]
  /** the state tree's records of this height, written in the same batch */
  nodeWrites: NodeWrites
  stateRoot: Uint8Array
}

export interface CommittedBlock {
  block: Block
  bytes: Uint8Array
  hash: Uint8Array
  result: BlockResult
}

export function genesisHeader(g: Genesis, stateRoot: Uint8Array): BlockHeader {
  return {
    chainId: g.chainId,
    height: 0n,
    parentHash: new Uint8Array(32),
    time: g.genesisTime,
    proposer: g.sequencer,
    txRoot: EMPTY_ROOT,
    stateRoot,
  }
}

/** Height 0: the genesis state with its leaves and commitment, and the genesis block (its hash names the chain). */
export function genesisBlock(
  g: Genesis,
  keepHeights = KEEP_HEIGHTS,
): {
  block: Block
  hash: Uint8Array
  state: State
  leaves: LeafWrite[]
  tree: SparseMerkleTree
  nodeWrites: NodeWrites
} {
  const state = genesisState(g)
  const leaves = allLeaves(state)
  const tree = SparseMerkleTree.empty({ keepHeights })
  const { root, records: nodeWrites } = tree.commit(0n, leaves)
  const header = genesisHeader(g, root)
  return {
    block: { header, txs: [], signature: new Uint8Array(0) },
    hash: blockHash(header),
    state,
    leaves,
    tree,
    nodeWrites,
  }
}

/**
 * Executes a block's transactions on `state` (advanced in place) and its commitment: the one way a block is
 * executed, by the chain and by replays from genesis (node/replay.ts).
 */
export function executeBlock(
  state: State,
  tree: SparseMerkleTree,
  txs: readonly VerifiedTx[],
  env: { time: bigint; height: bigint },
): ExecutedBlock {
  const result = applyBlock(state, { txs }, env)
  const writes = leafWrites(state, result.dirty)
  const { root, records } = tree.commit(env.height, writes)
  return { result, writes, nodeWrites: records, stateRoot: root }
}

export class Chain {
  readonly genesis: Genesis
  readonly genesisHash: Uint8Array
  /** heights whose tree nodes (roots and proofs) are kept */
  readonly keepHeights: number
  readonly domainSep: Uint8Array
  readonly store: ChainStore
  state: State
  #tree: SparseMerkleTree
  /** the height this store's history starts at (0, or the snapshot height it was imported from) */
  #base = 0n
  /** set when a commit failed and the state could not yet be rebuilt from the store */
  #stale = false
  /** open from execute() until that block's commit (or a reload) ends: the live state is ahead of the head */
  #executing: { ended: Promise<void>; end: () => void } | undefined
  readonly #listeners: ((b: CommittedBlock) => void)[] = []

  private constructor(
    genesis: Genesis,
    genesisHash: Uint8Array,
    store: ChainStore,
    state: State,
    tree: SparseMerkleTree,
    keepHeights: number,
  ) {
    this.keepHeights = keepHeights
    this.genesis = genesis
    this.genesisHash = genesisHash
    this.domainSep = domainSeparator(genesis.chainId)
    this.store = store
    this.state = state
    this.#tree = tree
  }

  static async open(genesis: Genesis, store: ChainStore, keepHeights = KEEP_HEIGHTS): Promise<Chain> {
    const g = genesisBlock(genesis, keepHeights)
    await store.checkGenesis(g.hash)
    if (store.head === undefined) {
      const { header } = g.block
      await store.commit({
        head: { height: 0n, hash: g.hash, stateRoot: header.stateRoot, time: header.time },
        block: encodeBlock(g.block),
        receipts: '[]',
        txHashes: [],
        leaves: g.leaves,
        treeNodes: g.nodeWrites,
      })
      return new Chain(genesis, g.hash, store, g.state, g.tree, keepHeights)
    }
    const chain = new Chain(genesis, g.hash, store, g.state, g.tree, keepHeights)
    chain.#base = await store.base()
    await chain.reload()
    return chain
  }

  /**
   * The heights whose state roots and proofs the store holds: the last keepHeights up to the head, none before
   * the store's history starts. A commit moves the window; a reader racing it may still meet a pruned node.
   */
  provableHeights(): { oldest: bigint; newest: bigint } {
    const newest = this.head.height
    const window = newest - BigInt(this.keepHeights) + 1n
    return { oldest: window > this.#base ? window : this.#base, newest }
  }

  get head(): Head {
    return this.store.head as Head
  }

  /** Rebuilds head, state and commitment from the store and checks the root against the stored head. */
  async reload(): Promise<void> {
    await this.store.refreshHead()
    const leaves = await this.store.leaves()
    const tree = SparseMerkleTree.fromNodeRecords(await this.store.treeRecords(), this.head.height, {
      keepHeights: this.keepHeights,
    })
    if (!bytesEqual(tree.root, this.head.stateRoot))
      throw new Error(`stored state tree does not hash to the stored root at height ${this.head.height}`)
    this.state = stateFromLeaves(leaves)
    this.#tree = tree
    this.#stale = false
    this.#endExecuting()
  }

  /**
   * Resolves once the live state is the committed head's: at once, or when the executed block's commit (or the
   * reload that undoes it) ends. Readers that label what they read with the head's height wait for it; they never
   * wait longer than `maxWaitMs`, so an execute() nobody commits cannot wedge them.
   */
  settled(maxWaitMs = 2_000): Promise<void> {
    const executing = this.#executing
    if (executing === undefined) return Promise.resolve()
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, maxWaitMs)
      void executing.ended.then(() => {
        clearTimeout(timer)
        resolve()
      })
    })
  }

  #endExecuting(): void {
    this.#executing?.end()
    this.#executing = undefined
  }

  /** Applies txs on top of the head; state is advanced in place (reload() to undo). */
  execute(txs: readonly VerifiedTx[], time: bigint): ExecutedBlock {
    if (this.#stale) throw new Error('the state is out of step with the store after a failed commit; reload() first')
    if (this.#executing === undefined) {
      let end = (): void => {}
      const ended = new Promise<void>((resolve) => {
        end = resolve
      })
      this.#executing = { ended, end }
    }
    return executeBlock(this.state, this.#tree, txs, { time, height: this.head.height + 1n })
  }

  /** The engine's admission rules against the current state at `time` (throws TxRejected). */
  checkTransaction(tx: VerifiedTx, time: bigint): void {
    checkTransaction(this.state, tx, { time, height: this.head.height + 1n })
  }

  /**
   * Writes the executed block as one height (node/chainStore.ts). If that fails, the head, state and
   * commitment are rebuilt from the disk (at H−1 or H) before the error is rethrown.
   */
  async commit(block: Block, executed: ExecutedBlock, encoded?: Uint8Array): Promise<CommittedBlock> {
    const height = block.header.height
    // `encoded`: the block's encodeBlock bytes when the caller made them already (the sequencer)
    const bytes = encoded ?? encodeBlock(block)
    const hash = blockHash(block.header)
    try {
      this.store.failPoint('after-execute', height)
      await this.store.commit({
        head: { height, hash, stateRoot: executed.stateRoot, time: block.header.time },
        block: bytes,
        receipts: JSON.stringify(toJson(executed.result.receipts)),
        events: JSON.stringify(toJson(executed.result.events)),
        txHashes: executed.result.receipts.map((r) => r.hash),
        leaves: executed.writes,
        treeNodes: executed.nodeWrites,
      })
    } catch (e) {
      this.#stale = true
      // if even the reload fails, execute() refuses until a later reload() succeeds
      await this.reload().catch(() => undefined)
      this.#endExecuting()
      throw e
    }
    this.store.failPoint('after-commit', height)
    const committed = { block, bytes, hash, result: executed.result }
    try {
      for (const listener of this.#listeners) listener(committed)
    } finally {
      this.#endExecuting()
    }
    return committed
  }

  onCommitted(listener: (b: CommittedBlock) => void): void {
    this.#listeners.push(listener)
  }

  describeHead(): string {
    return `height ${this.head.height} root ${toHex(this.head.stateRoot).slice(0, 10)}`
  }
}
