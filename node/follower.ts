/**
 * @module The validator side: import blocks from gossip or sync, re-execute, compare roots.
 *
 * A block is imported when it extends the head (height + 1, parent hash), is signed by the genesis
 * sequencer, its txRoot matches, every transaction signature recovers, and re-execution gives the header's
 * state root. On a root mismatch the validator stops following, reloads its last agreed state (still served
 * over RPC), records the evidence (the block and both roots, node/evidence.ts) and raises the alarm (log,
 * /health, perp_chainInfo). Imports run one at a time.
 *
 * Equivocation: every block that carries a valid sequencer signature, from gossip or sync, is compared with
 * the block this node holds at that height (stored) or has seen there (not yet imported). Another header hash
 * means the sequencer key signed two blocks at one height: the validator records both blocks as evidence,
 * raises the alarm and stops following, like on a root mismatch, since the chain can no longer be trusted; it
 * keeps serving the state at its head. The conflicting block is accepted for gossip (once) so every peer sees
 * the evidence. An alarm in the store (from before a restart) keeps the follower stopped.
 *
 * Sync: when a gossiped block arrives whose parent this node does not hold, the follower first asks the peer that
 * delivered it for the parent by hash (p2p sync by hash), walking back at most PARENT_WALK blocks to one that
 * extends the head; it imports that path, then any blocks seen ahead that now follow. When the gap is wider, the
 * peer does not serve by hash, or the walk fails, or no block has arrived for 3 block intervals, it asks a peer
 * for the missing range (up to 64 blocks a request) until the peer has no more.
 *
 * A gossiped block one above the head whose parent is not the head is a fork: the follower fetches that parent by
 * hash, and if it is a block signed by the sequencer at the head's height, records the two as equivocation.
 */

import type { Block, VerifiedTx } from '../engine/index.ts'
import { blockHash, decodeBlock, encodeBlock, txRoot } from '../engine/index.ts'
import type { GossipVerdict, P2P } from '../p2p/index.ts'
import { bytesEqual, toHex } from '../state/index.ts'
import type { Chain } from './chain.ts'
import type { Evidence, RootMismatchEvidence } from './evidence.ts'
import { activeEvidence, describeEvidence, isAcknowledged, recordEvidence } from './evidence.ts'
import type { BlockMetrics } from './metrics.ts'
import { BlockRejected, fetchBlockByHash, PARENT_WALK, parentPath } from './parentWalk.ts'
import type { SignaturePool } from './signaturePool.ts'
import { createSignaturePool } from './signaturePool.ts'
import { recoverSigner } from './signatures.ts'
import { SyncProgress } from './syncProgress.ts'
import { verifyBlockTxs } from './verifyBatch.ts'

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
  /** checks against outside facts before execution (L1 deposits, node/l1Link.ts): a reason refuses the block */
  checkBlock?: (block: Block) => Promise<string | undefined>
  metrics?: BlockMetrics
  /** recovers transaction signatures (node/signaturePool.ts); omitted: on this thread */
  signatures?: SignaturePool
  /**
   * recover the next queued block's signatures in the pool while this one executes and commits (default true;
   * false only to measure what the overlap gains, bench/signaturePool.ts)
   */
  verifyAhead?: boolean
}

export interface Follower {
  /** gossip entry: cheap checks decide the verdict; import runs queued */
  onGossipBlock(bytes: Uint8Array, from: string): Promise<GossipVerdict>
  attach(p2p: P2P): void
  start(): void
  stop(): Promise<void>
  readonly mismatch: RootMismatch | undefined
  /** true once an alarm stands (root mismatch or equivocation, now or stored before a restart) */
  readonly halted: boolean
  readonly syncing: boolean
  /** ms of the last imported block (wall clock) */
  readonly lastImportAt: number
}

/**
 * Blocks seen ahead of the head are kept for the equivocation check (one per height) only this far ahead, and
 * so at most this many: a validator far behind does not hold every gossiped block until sync reaches it.
 */
const SEEN_AHEAD = 64

function mismatchOf(e: RootMismatchEvidence): RootMismatch {
  return { height: BigInt(e.height), expected: e.expectedRoot, computed: e.computedRoot, block: e.blockHash }
}

export function createFollower(init: FollowerInit): Follower {
  const { chain } = init
  let p2p: P2P | undefined
  let queue: Promise<unknown> = Promise.resolve()
  const stored = activeEvidence(chain.store)
  const storedMismatch = stored.find((e): e is RootMismatchEvidence => e.kind === 'root-mismatch')
  let mismatch: RootMismatch | undefined = storedMismatch === undefined ? undefined : mismatchOf(storedMismatch)
  let halted = stored.length > 0
  /** height → the first sequencer-signed block seen there that is not (yet) stored: hash and bytes */
  const seen = new Map<bigint, { hash: Uint8Array; bytes: Uint8Array }>()
  let syncing = false
  let lastImportAt = init.now()
  let timer: NodeJS.Timeout | undefined
  const signatures = init.signatures ?? createSignaturePool({ workers: 0 })
  /** a block's transactions being verified ahead of its import (sync: the next block while this one executes) */
  const verifying = new WeakMap<Block, Promise<VerifiedTx[]>>()
  /** gossiped blocks waiting in the import queue, by height: the one after the block importing is verified ahead */
  const queued = new Map<bigint, Block>()

  /** Starts verifying a block's transactions in the pool, to be picked up by importBlock. */
  function verifyAhead(block: Block): void {
    if (signatures.workers === 0 || init.verifyAhead === false || verifying.has(block)) return
    const pending = verifyBlockTxs(signatures, chain.domainSep, block.txs)
    pending.catch(() => {}) // importBlock awaits it and reports the error; a block never imported drops it
    verifying.set(block, pending)
  }

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
    if (halted || h.height !== head.height + 1n) return false
    const started = performance.now()
    if (!bytesEqual(h.parentHash, head.hash)) throw new BlockRejected(`block ${h.height} does not extend our head`)
    if (h.time <= head.time) throw new BlockRejected(`block ${h.height} time does not advance`)
    if (block.txs.length > init.maxTxsPerBlock) throw new BlockRejected(`block ${h.height} has too many transactions`)
    if (!bytesEqual(txRoot(block.txs), h.txRoot)) throw new BlockRejected(`block ${h.height} txRoot mismatch`)
    const ahead = verifying.get(block)
    verifying.delete(block)
    const verified = ahead ?? verifyBlockTxs(signatures, chain.domainSep, block.txs)
    for (const queuedHeight of queued.keys()) if (queuedHeight <= h.height) queued.delete(queuedHeight)
    const next = queued.get(h.height + 1n)
    if (next !== undefined) verifyAhead(next)
    const txs = await verified
    const refused = await init.checkBlock?.(block)
    if (refused !== undefined) throw new BlockRejected(refused)
    let executed: ReturnType<Chain['execute']>
    try {
      executed = chain.execute(txs, h.time)
    } catch (e) {
      await chain.reload()
      throw e
    }
    if (!bytesEqual(executed.stateRoot, h.stateRoot)) {
      const evidence: RootMismatchEvidence = {
        kind: 'root-mismatch',
        height: h.height.toString(),
        blockHash: toHex(blockHash(h)),
        block: toHex(encodeBlock(block)),
        expectedRoot: toHex(h.stateRoot),
        computedRoot: toHex(executed.stateRoot),
        recordedAt: init.now(),
      }
      mismatch = mismatchOf(evidence)
      halted = true
      init.log(
        `ROOT MISMATCH at height ${h.height}: sequencer ${mismatch.expected}, re-executed ${mismatch.computed}. ` +
          'Stopped following; serving the last agreed state.',
      )
      await chain.reload()
      await record(evidence)
      return false
    }
    await chain.commit(block, executed)
    lastImportAt = init.now()
    init.metrics?.blockImported((performance.now() - started) / 1000, block.txs.length)
    return true
  }

  async function record(evidence: Evidence): Promise<boolean> {
    try {
      return await recordEvidence(chain.store, evidence)
    } catch (e) {
      init.log(`evidence not stored: ${e instanceof Error ? e.message : String(e)}`)
      return false
    }
  }

  /**
   * Compares a sequencer-signed block with the one held (stored) or seen at its height. Resolves true when they
   * differ and the equivocation was newly recorded; the alarm stands and following stops either way.
   */
  async function checkEquivocation(block: Block, bytes: Uint8Array): Promise<boolean> {
    const height = block.header.height
    if (height === 0n) return false // the genesis block is not signed
    const hash = blockHash(block.header)
    let other: { hash: Uint8Array; bytes: Uint8Array } | undefined
    if (height <= chain.head.height) {
      const held = await chain.store.block(height)
      if (held !== undefined) other = { hash: blockHash(decodeBlock(held).header), bytes: held }
    } else {
      other = seen.get(height)
      if (other === undefined) {
        for (const h of seen.keys()) if (h <= chain.head.height) seen.delete(h)
        if (height <= chain.head.height + BigInt(SEEN_AHEAD)) seen.set(height, { hash, bytes })
        return false
      }
    }
    if (other === undefined || bytesEqual(other.hash, hash)) return false
    const evidence: Evidence = {
      kind: 'equivocation',
      height: height.toString(),
      blocks: [
        { hash: toHex(other.hash), block: toHex(other.bytes) },
        { hash: toHex(hash), block: toHex(bytes) },
      ],
      recordedAt: init.now(),
    }
    // an operator inspected exactly this and cleared the alarm (--clear-alarm): it does not stop us again
    if (isAcknowledged(chain.store, evidence)) return false
    halted = true
    const fresh = await record(evidence)
    if (fresh)
      init.log(`EQUIVOCATION: ${describeEvidence(evidence)}. Stopped following; serving the state at the head.`)
    return fresh
  }

  function enqueue<T>(job: () => Promise<T>): Promise<T> {
    const run = queue.then(job)
    queue = run.catch(() => undefined)
    return run
  }

  const report = new SyncProgress(init.now, init.log)

  /**
   * Decodes the next block of a sync batch and starts verifying its transactions, so the pool recovers them while
   * the current block executes and commits. A block that fails here is decoded again in its turn, which throws.
   */
  function nextVerified(bytes: Uint8Array | undefined): Block | undefined {
    if (bytes === undefined || signatures.workers === 0) return undefined
    try {
      const block = decodeBlock(bytes, init.maxTxsPerBlock)
      checkHeader(block)
      verifyAhead(block)
      return block
    } catch {
      return undefined
    }
  }

  async function sync(peer?: string): Promise<void> {
    if (p2p === undefined || syncing || halted) return
    const peers = peer !== undefined ? [peer] : p2p.peers()
    syncing = true
    report.begin(chain.head.height)
    // the peer had nothing past our head: the catch-up is over
    let reachedEnd = false
    try {
      for (const from of peers) {
        for (;;) {
          const start = chain.head.height + 1n
          const got = await p2p.requestBlocks(from, start, 64)
          if (got.length === 0) {
            reachedEnd = true
            break
          }
          report.saw(start + BigInt(got.length) - 1n)
          report.line(chain.head.height)
          let advanced = false
          let ahead: Block | undefined
          for (const [i, bytes] of got.entries()) {
            const block = ahead ?? decodeBlock(bytes, init.maxTxsPerBlock)
            checkHeader(block)
            await checkEquivocation(block, bytes)
            ahead = nextVerified(got[i + 1])
            advanced = (await enqueue(() => importBlock(block))) || advanced
          }
          // nothing new in a whole batch: gossip imported those heights meanwhile, so we are level with the peer
          if (!advanced) {
            reachedEnd = true
            break
          }
        }
      }
    } catch (e) {
      init.log(`sync: ${e instanceof Error ? e.message : String(e)}`)
    } finally {
      syncing = false
      if (reachedEnd) report.end(chain.head.height)
    }
  }

  /**
   * Only one parent walk at a time; blocks that arrive meanwhile wait in `seen` and are drained after it. A walk
   * may overlap a range sync: imports are queued one at a time, and a height imported twice is simply stale.
   */
  let walking = false

  /** Places a gossiped block whose parent is not the head: parents by hash first, then a range sync. */
  async function placeByHash(block: Block, from: string): Promise<void> {
    if (p2p === undefined || halted || walking) return
    // too wide a gap for a walk: one range request does it
    if (block.header.height - chain.head.height - 1n > BigInt(PARENT_WALK)) {
      void sync(from)
      return
    }
    walking = true
    let placed = false
    try {
      const path = await parentPath(
        {
          head: () => chain.head,
          fetch: (hash) => fetchBlockByHash(p2p as P2P, from, hash, init.maxTxsPerBlock, checkHeader),
          checkEquivocation,
          log: init.log,
        },
        block,
        from,
      )
      if (path !== undefined) {
        for (const b of path) await enqueue(() => importBlock(b))
        if (path.length > 1)
          init.log(`sync: ${path.length - 1} parents of block ${block.header.height} by hash from ${from}`)
        await drainSeen()
        placed = true
      }
    } catch (e) {
      init.log(`sync by hash: ${e instanceof Error ? e.message : String(e)}`)
    } finally {
      walking = false
    }
    if (!placed && !halted) void sync(from)
  }

  /** Imports blocks seen ahead of the head that now extend it, in height order. */
  async function drainSeen(): Promise<void> {
    for (;;) {
      const next = seen.get(chain.head.height + 1n)
      if (next === undefined || halted) return
      const block = decodeBlock(next.bytes, init.maxTxsPerBlock)
      if (!bytesEqual(block.header.parentHash, chain.head.hash)) return
      if (!(await enqueue(() => importBlock(block)))) return
    }
  }

  return {
    get mismatch() {
      return mismatch
    },
    get halted() {
      return halted
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
      report.saw(height)
      // a second signed block at one height is evidence: pass it on once so every peer can see it
      if (await checkEquivocation(block, bytes)) return 'accept'
      if (height <= chain.head.height || halted) return 'ignore'
      // too far ahead to queue: sync fetches the gap in order, and the import queue stays bounded
      if (height > chain.head.height + BigInt(SEEN_AHEAD)) {
        void sync(from)
        return 'ignore'
      }
      // Queued imports run in order, so a block one ahead of a queued one imports after it; only a block
      // still ahead of the head when its turn comes (or one above it on another parent) needs its parents.
      if (signatures.workers > 0) queued.set(height, block)
      enqueue(async () => {
        const head = chain.head
        const fork = height === head.height + 1n && !bytesEqual(block.header.parentHash, head.hash)
        const imported = !fork && (await importBlock(block))
        if (!imported && (fork || height > chain.head.height + 1n)) void placeByHash(block, from)
        // following gossip at the target again ends a catch-up that a failed sync call left open (summary line)
        if (imported && !syncing && chain.head.height >= report.target) report.end(chain.head.height)
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
