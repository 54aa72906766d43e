/**
 * @module The validator side: import blocks from gossip or sync, re-execute, compare roots.
 *
 * A block is imported when it extends the head (height + 1, parent hash), is signed by the genesis
 * sequencer, its txRoot matches, every transaction signature recovers, and re-execution gives the header's
 * state root. On a root mismatch the validator stops following, reloads its last agreed state (still served
 * over RPC), and raises the alarm (log, /health) with both roots. Imports run one at a time.
 *
 * Sync: when a block arrives ahead of the head, or no block has arrived for 3 block intervals, the follower
 * asks a peer for the missing range (up to 64 blocks a request) until the peer has no more.
 */

import type { Block } from '../engine/index.ts'
import { blockHash, decodeBlock, txRoot } from '../engine/index.ts'
import type { GossipVerdict, P2P } from '../p2p/index.ts'
import { bytesEqual, toHex } from '../state/index.ts'
import type { Chain } from './chain.ts'
import { recoverSigner } from './signatures.ts'
import { verifySignedTx } from './verify.ts'

export interface RootMismatch {
  height: bigint
  expected: string
  computed: string
  block: string
}

export interface FollowerInit {
  chain: Chain
  blockTimeMs: number
  maxTxsPerBlock: number
  now: () => number
  log: (msg: string) => void
}

export interface Follower {
  /** gossip entry: cheap checks decide the verdict; import runs queued */
  onGossipBlock(bytes: Uint8Array, from: string): Promise<GossipVerdict>
  attach(p2p: P2P): void
  start(): void
  stop(): Promise<void>
  readonly mismatch: RootMismatch | undefined
  readonly syncing: boolean
  /** ms of the last imported block (wall clock) */
  readonly lastImportAt: number
}

class BlockRejected extends Error {}

export function createFollower(init: FollowerInit): Follower {
  const { chain } = init
  let p2p: P2P | undefined
  let queue: Promise<unknown> = Promise.resolve()
  let mismatch: RootMismatch | undefined
  let syncing = false
  let lastImportAt = init.now()
  let timer: NodeJS.Timeout | undefined

  function checkHeader(block: Block): void {
    const h = block.header
    if (h.chainId !== chain.genesis.chainId) throw new BlockRejected(`block for chain ${h.chainId}`)
    const signer = recoverSigner(blockHash(h), block.signature)
    if (signer !== chain.genesis.sequencer) throw new BlockRejected(`block signed by ${signer}, not the sequencer`)
  }

  /** Imports one decoded block that extends the head; false when it does not extend it (stale or gap). */
  async function importBlock(block: Block): Promise<boolean> {
    const h = block.header
    const head = chain.head
    if (mismatch !== undefined || h.height !== head.height + 1n) return false
    if (!bytesEqual(h.parentHash, head.hash)) throw new BlockRejected(`block ${h.height} does not extend our head`)
    if (h.time <= head.time) throw new BlockRejected(`block ${h.height} time does not advance`)
    if (block.txs.length > init.maxTxsPerBlock) throw new BlockRejected(`block ${h.height} has too many transactions`)
    if (!bytesEqual(txRoot(block.txs), h.txRoot)) throw new BlockRejected(`block ${h.height} txRoot mismatch`)
    const txs = block.txs.map((tx) => verifySignedTx(chain.domainSep, tx).tx)
    let executed: ReturnType<Chain['execute']>
    try {
      executed = chain.execute(txs, h.time)
    } catch (e) {
      await chain.reload()
      throw e
    }
    if (!bytesEqual(executed.stateRoot, h.stateRoot)) {
      mismatch = {
        height: h.height,
        expected: toHex(h.stateRoot),
        computed: toHex(executed.stateRoot),
        block: toHex(blockHash(h)),
      }
      init.log(
        `ROOT MISMATCH at height ${h.height}: sequencer ${mismatch.expected}, re-executed ${mismatch.computed}. ` +
          'Stopped following; serving the last agreed state.',
      )
      await chain.reload()
      return false
    }
    await chain.commit(block, executed)
    lastImportAt = init.now()
    return true
  }

  function enqueue<T>(job: () => Promise<T>): Promise<T> {
    const run = queue.then(job)
    queue = run.catch(() => undefined)
    return run
  }

  async function sync(peer?: string): Promise<void> {
    if (p2p === undefined || syncing || mismatch !== undefined) return
    const peers = peer !== undefined ? [peer] : p2p.peers()
    syncing = true
    try {
      for (const from of peers) {
        for (;;) {
          const start = chain.head.height + 1n
          const got = await p2p.requestBlocks(from, start, 64)
          if (got.length === 0) break
          let advanced = false
          for (const bytes of got) {
            const block = decodeBlock(bytes, init.maxTxsPerBlock)
            checkHeader(block)
            advanced = (await enqueue(() => importBlock(block))) || advanced
          }
          if (!advanced) break
        }
      }
    } catch (e) {
      init.log(`sync: ${e instanceof Error ? e.message : String(e)}`)
    } finally {
      syncing = false
    }
  }

  return {
    get mismatch() {
      return mismatch
    },
    get syncing() {
      return syncing
    },
    get lastImportAt() {
      return lastImportAt
    },
    attach(p) {
      p2p = p
    },
    async onGossipBlock(bytes, from) {
      let block: Block
      try {
        block = decodeBlock(bytes, init.maxTxsPerBlock)
        checkHeader(block)
      } catch {
        // undecodable, another chain, or not signed by the sequencer: the sender is at fault
        return 'reject'
      }
      const height = block.header.height
      if (height <= chain.head.height) return 'ignore'
      // Queued imports run in order, so a block one ahead of a queued one imports after it; only a block
      // still ahead of the head when its turn comes means a gap, which sync fills.
      enqueue(async () => {
        if (!(await importBlock(block)) && block.header.height > chain.head.height + 1n) void sync(from)
      }).catch((e: unknown) => init.log(`block ${height} rejected: ${e instanceof Error ? e.message : String(e)}`))
      return 'accept'
    },
    start() {
      const tick = (): void => {
        if (init.now() - lastImportAt > 3 * init.blockTimeMs) void sync()
        timer = setTimeout(tick, init.blockTimeMs)
      }
      timer = setTimeout(tick, init.blockTimeMs)
    },
    async stop() {
      if (timer !== undefined) clearTimeout(timer)
      await queue
    },
  }
}
