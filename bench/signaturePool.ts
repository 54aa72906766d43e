/**
 * @module The signature-recovery worker pool (node/signaturePool.ts) against the machine's ceiling.
 *
 * 1. Ceiling: native recoveries/s on one core (recoverSigner in a loop on this thread) × cores, beside the pool's
 *    measured recoveries/s on batches of 1,000.
 * 2. Validator import of 1,000-order blocks (the engine-replay mix of bench/propagation.ts, signed by 1,000
 *    accounts): the follower (createFollower, the validator's own code) imports the same block bytes on a fresh
 *    LevelDB store in a temp dir — decode, header signature, txRoot, EIP-712 digests, signature recovery, execute,
 *    state root, commit. Blocks are handed over as gossip in one burst, so the import queue always holds the
 *    next block. Three variants on the same bytes: recovery on the main thread (0 workers), in the pool one block
 *    at a time, and in the pool with the next block's recovery overlapping this block's execution and commit.
 *    Rows set the pool import against the ceiling and against the main-thread import.
 */
import { availableParallelism } from 'node:os'
import type { Genesis } from '../engine/index.ts'
import { createFollower } from '../node/follower.ts'
import { Chain, ChainStore, devnetKey, SEQUENCER_KEY_INDEX } from '../node/index.ts'
import { Mempool } from '../node/mempool.ts'
import { createSequencer } from '../node/sequencer.ts'
import type { RecoveryItem } from '../node/signaturePool.ts'
import { createSignaturePool } from '../node/signaturePool.ts'
import { recoverSigner, signDigest } from '../node/signatures.ts'
import { keccak256 } from '../state/index.ts'
import type { Measurement, Row } from './harness.ts'
import { measure, row } from './harness.ts'
import { accountKeys, benchGenesis, SignedMix } from './propagation.ts'
import { tempDirs } from './propagationSupport.ts'

const BLOCKS = 24
const BLOCK_TXS = 1000
/** blocks imported before the timing starts (cold code, first LevelDB compactions) */
const WARMUP_BLOCKS = 2

async function measureAsync(
  name: string,
  batch: number,
  fn: () => Promise<unknown>,
  minMs = 1500,
): Promise<Measurement> {
  for (let i = 0; i < 3; i++) await fn()
  let ops = 0
  const start = performance.now()
  let now = start
  while (now - start < minMs) {
    await fn()
    ops += batch
    now = performance.now()
  }
  return { name, opsPerSec: (ops * 1000) / (now - start), ops, ms: now - start }
}

async function ceilingRows(): Promise<{ rows: Row[]; ceiling: Measurement }> {
  const key = keccak256(new TextEncoder().encode('bench key'))
  const items: RecoveryItem[] = Array.from({ length: 1000 }, (_, i) => {
    const digest = keccak256(Uint8Array.of(i & 255, i >> 8, 9))
    return { digest, signature: signDigest(key, digest) }
  })
  let i = 0
  const one = measure('1 core', 1, () => {
    const item = items[i++ % items.length] as RecoveryItem
    recoverSigner(item.digest, item.signature)
  })
  const cores = availableParallelism()
  const ceiling: Measurement = { ...one, name: `1 core × ${cores} cores`, opsPerSec: one.opsPerSec * cores }
  const pool = createSignaturePool()
  try {
    const pooled = await measureAsync(`pool (${pool.workers} workers), batches of 1,000`, 1000, () =>
      pool.recoverMany(items),
    )
    return {
      ceiling,
      rows: [
        row('signature recovery, pool vs ceiling', pooled, ceiling, {
          target: '≤ 1.0 (the ceiling); ~0.9 on an idle machine',
          note:
            `ceiling = native recoveries/s on this thread (${Math.round(one.opsPerSec).toLocaleString('en-US')}/s) × ` +
            `availableParallelism (${cores}); the pool's main thread only packs and waits. On a shared machine ` +
            `both sides move with the neighbours.`,
        }),
        row('signature recovery, pool vs 1 core', pooled, one, { target: `≤ ${cores}×` }),
      ],
    }
  } finally {
    await pool.stop()
  }
}

/** Block bytes of BLOCKS blocks of BLOCK_TXS signed transactions, produced by the sequencer's own code. */
async function producedBlocks(genesis: Genesis, mix: SignedMix, dir: string): Promise<Uint8Array[]> {
  const store = await ChainStore.open(dir)
  try {
    const chain = await Chain.open(genesis, store)
    const mempool = new Mempool(BLOCK_TXS * 2)
    const sequencer = createSequencer({
      chain,
      mempool,
      signingKey: devnetKey(SEQUENCER_KEY_INDEX).privateKey,
      blockTimeMs: genesis.blockTimeMs,
      maxTxsPerBlock: BLOCK_TXS,
      publish: async () => {},
      now: () => Date.now(),
      log: () => {},
    })
    const out: Uint8Array[] = []
    for (let b = 0; b < BLOCKS; b++) {
      for (const e of mix.block(BLOCK_TXS)) mempool.add(e)
      const committed = await sequencer.produce()
      if (committed === undefined || committed.block.txs.length !== BLOCK_TXS) throw new Error('block not produced')
      out.push(committed.bytes)
    }
    return out
  } finally {
    await store.close()
  }
}

/** Imports the blocks on a fresh store with the follower; tx/s over the blocks after the warm-up. */
async function importRate(
  name: string,
  genesis: Genesis,
  blocks: Uint8Array[],
  dir: string,
  workers: number,
  verifyAhead: boolean,
): Promise<Measurement> {
  const store = await ChainStore.open(dir)
  const pool = createSignaturePool({ workers })
  try {
    const chain = await Chain.open(genesis, store)
    const committedAt = new Map<bigint, number>()
    let last: () => void = () => {}
    chain.onCommitted((c) => {
      committedAt.set(c.block.header.height, performance.now())
      if (c.block.header.height === BigInt(blocks.length)) last()
    })
    const follower = createFollower({
      chain,
      blockTimeMs: 60_000,
      maxTxsPerBlock: BLOCK_TXS,
      now: Date.now,
      log: (m) => console.error(m),
      signatures: pool,
      verifyAhead,
    })
    const done = new Promise<void>((resolve) => {
      last = resolve
    })
    for (const bytes of blocks)
      if ((await follower.onGossipBlock(bytes, 'bench')) !== 'accept') throw new Error('import refused')
    await done
    await follower.stop()
    if (follower.mismatch !== undefined) throw new Error('root mismatch')
    const from = committedAt.get(BigInt(WARMUP_BLOCKS)) as number
    const to = committedAt.get(BigInt(blocks.length)) as number
    const txs = (blocks.length - WARMUP_BLOCKS) * BLOCK_TXS
    return { name, opsPerSec: (txs * 1000) / (to - from), ops: txs, ms: to - from }
  } finally {
    await pool.stop()
    await store.close()
  }
}

export async function signaturePoolRows(): Promise<Row[]> {
  const { rows, ceiling } = await ceilingRows()
  const accounts = accountKeys()
  const genesis = benchGenesis(accounts)
  const mix = new SignedMix(accounts, genesis)
  const dirs = tempDirs('bench-sigpool')
  try {
    const blocks = await producedBlocks(genesis, mix, dirs.make('seq'))
    const workers = availableParallelism()
    const inline = await importRate('recovery on the main thread', genesis, blocks, dirs.make('inline'), 0, false)
    const pooled = await importRate(`pool (${workers} workers)`, genesis, blocks, dirs.make('pool'), workers, false)
    const overlapped = await importRate(
      `pool, next block's recovery overlapped`,
      genesis,
      blocks,
      dirs.make('ahead'),
      workers,
      true,
    )
    const note =
      `${BLOCKS} blocks of ${BLOCK_TXS} signed transactions (70/25/5 engine-replay mix, 1,000 accounts), imported by ` +
      `createFollower on a fresh LevelDB store: decode, header signature, txRoot, EIP-712 digests (main thread), ` +
      `recovery, execute, state root, commit; rate over blocks ${WARMUP_BLOCKS + 1}..${BLOCKS}. ` +
      `One block at a time through the pool: ${Math.round(pooled.opsPerSec).toLocaleString('en-US')} tx/s.`
    return [
      ...rows,
      row('validator import with signature checks, orders/s', overlapped, inline, {
        target: `> 1× (≤ ${workers}× on recovery alone)`,
        note,
      }),
      row('validator import vs signature ceiling', overlapped, ceiling, {
        target: '< 1 (import also executes and commits)',
      }),
      row('validator import, overlap of the next block', overlapped, pooled, { target: '≥ 1×' }),
    ]
  } finally {
    dirs.remove()
  }
}

if (import.meta.main) {
  const { printTable } = await import('./harness.ts')
  printTable(await signaturePoolRows())
}
