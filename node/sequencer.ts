/**
 * @module The sequencer loop: every `blockTimeMs` it takes up to `maxTxsPerBlock` transactions from the
 * mempool, applies them, signs the header and commits the block (one batch), then gossips it. Ticks are
 * scheduled on a fixed grid (start + k × interval), so a slow block does not push every later block back.
 *
 * Block time = max(parent time + 1, wall clock): monotonic even if the clock steps back.
 */

import type { Block, BlockHeader } from '../engine/index.ts'
import { blockHash, encodeBlock, encodeSignedTxs, InvariantViolation, txRootOfEncoded } from '../engine/index.ts'
import type { Chain, CommittedBlock } from './chain.ts'
import { MAX_DEPOSITS_PER_BLOCK } from './l1Link.ts'
import type { Mempool } from './mempool.ts'
import type { BlockMetrics } from './metrics.ts'
import { signDigest } from './signatures.ts'
import type { VerifiedSignedTx } from './verify.ts'

export interface SequencerInit {
  chain: Chain
  mempool: Mempool
  signingKey: Uint8Array
  blockTimeMs: number
  maxTxsPerBlock: number
  publish: (bytes: Uint8Array) => Promise<void>
  /** system transactions that open the next block (L1 deposits, node/l1Link.ts), at most `max` */
  systemTxs?: (max: number) => VerifiedSignedTx[]
  now: () => number
  log: (msg: string) => void
  /** true while an alarm stands (node/ownKeyGuard.ts): the loop keeps ticking but produces nothing */
  halted?: () => boolean
  metrics?: BlockMetrics
}

export interface Sequencer {
  start(): void
  stop(): Promise<void>
  /** Builds and commits one block now (the loop calls this; tests may too). */
  produce(): Promise<CommittedBlock | undefined>
}

export function createSequencer(init: SequencerInit): Sequencer {
  const { chain, mempool } = init
  let timer: NodeJS.Timeout | undefined
  let running: Promise<unknown> = Promise.resolve()
  let stopped = true

  async function produce(): Promise<CommittedBlock | undefined> {
    if (init.halted?.() === true) return undefined
    const started = performance.now()
    const system = init.systemTxs?.(MAX_DEPOSITS_PER_BLOCK) ?? []
    const entries = [...system, ...mempool.peek(init.maxTxsPerBlock - system.length)]
    const head = chain.head
    const time = BigInt(Math.max(Number(head.time) + 1, init.now()))
    let executed: ReturnType<Chain['execute']>
    try {
      executed = chain.execute(
        entries.map((e) => e.tx),
        time,
      )
    } catch (e) {
      await chain.reload()
      if (!(e instanceof InvariantViolation)) throw e
      init.log(`block ${head.height + 1n} stopped by a broken invariant, nothing committed: ${e.message}`)
      mempool.remove(entries.map((x) => x.tx.hash))
      return undefined
    }
    const txs = entries.map((e) => e.signed)
    // each transaction encoded once, all in one buffer: for txRoot, and copied into the block's bytes
    const encodedTxs = encodeSignedTxs(txs)
    const header: BlockHeader = {
      chainId: chain.genesis.chainId,
      height: head.height + 1n,
      parentHash: head.hash,
      time,
      proposer: chain.genesis.sequencer,
      txRoot: txRootOfEncoded(encodedTxs),
      stateRoot: executed.stateRoot,
    }
    const block: Block = { header, txs, signature: signDigest(init.signingKey, blockHash(header)) }
    let committed: CommittedBlock
    try {
      committed = await chain.commit(block, executed, encodeBlock(block, encodedTxs))
    } finally {
      // a commit that failed after its batch was written still included these (the head is re-read from disk)
      if (chain.head.height >= header.height) mempool.remove(entries.map((e) => e.tx.hash))
    }
    init.metrics?.blockProduced((performance.now() - started) / 1000, txs.length)
    init
      .publish(committed.bytes)
      .catch((e: unknown) => init.log(`gossip of block ${header.height} failed: ${String(e)}`))
    return committed
  }

  function schedule(startedAt: number, tick: number): void {
    if (stopped) return
    const due = startedAt + tick * init.blockTimeMs
    timer = setTimeout(
      () => {
        running = produce()
          .catch((e: unknown) =>
            init.log(`block production failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`),
          )
          .finally(() => {
            // the grid slot now due (its time may have just passed): a block that ends a little late is followed
            // at once by the next, instead of skipping a whole slot (which doubled the interval under load);
            // slots missed entirely are skipped, so a very slow block is followed by one block, not a burst
            const due = Math.floor((init.now() - startedAt) / init.blockTimeMs)
            schedule(startedAt, Math.max(tick + 1, due))
          })
      },
      Math.max(0, due - init.now()),
    )
  }

  return {
    produce,
    start() {
      if (!stopped) return
      stopped = false
      schedule(init.now(), 1)
    },
    async stop() {
      stopped = true
      if (timer !== undefined) clearTimeout(timer)
      await running
    },
  }
}
