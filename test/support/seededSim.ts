/**
 * Seeded simulation of the chain without the network: seeded random mixed traffic (orders of every kind,
 * cancels, cancelAlls, oracle moves with now and then a 50 % gap, time jumps that run funding, transfers between
 * subaccounts, withdrawals, liquidation auction bids) applied block by block through the node's own execution
 * and commitment (node/chain.ts: genesisBlock, executeBlock = engine applyBlock + the sparse Merkle tree of
 * state/).
 *
 * The commands come from seededRandom (engine/index.ts), with the kinds and ranges of the property test's
 * generator (test/property/engineModel.ts commandArb); its ModelDriver turns them into transactions against the
 * live state. Every run builds everything anew from the seed: genesis, generator, driver, state and tree.
 *
 * A run can also restart: every `restartEvery` blocks its state is rebuilt from its leaves and its tree from the
 * tree records the commits wrote (kept in a map as a store would), the way Chain.reload() reopens a node. The
 * driver of such a run reads a second state, advanced by the same blocks, since the rebuilt one is a new object.
 */
import { createHash } from 'node:crypto'
import type { State } from '../../engine/index.ts'
import { allLeaves, applyBlock, parseGenesis, seededRandom, stateFromLeaves } from '../../engine/index.ts'
import { executeBlock, genesisBlock } from '../../node/chain.ts'
import { toJson } from '../../rpc/index.ts'
import type { NodeWrites, SparseMerkleTree } from '../../state/index.ts'
import { SparseMerkleTree as Tree, toHex } from '../../state/index.ts'
import type { Command } from '../property/engineModel.ts'
import { ModelDriver, modelGenesis, modelGenesisJson } from '../property/engineModel.ts'

type Rand = () => number

const int = (rand: Rand, lo: number, hi: number): number => lo + Math.floor(rand() * (hi - lo + 1))

/**
 * One command, with the kind weights and ranges of commandArb (test/property/engineModel.ts), except that an
 * order is reduce-only 15 % of the time (not 50 %) and a time step is the one-hour jump 10 % of the time (not
 * 50 %): over a thousand blocks, fewer orders are refused for a stale oracle or as reduce-only, and more trade.
 */
export function seededCommand(rand: Rand): Command {
  const a = int(rand, 0, 5)
  const m = int(rand, 0, 1)
  const w = rand() * 25 // weights: order 12, cancel 3, cancelAll 1, oracle 3, time 2, transfer 1, bid 2, withdraw 1
  if (w < 12)
    return {
      k: 'order',
      a,
      m,
      buy: rand() < 0.5,
      ticks: int(rand, -60, 60),
      lots: int(rand, 1, 400),
      tif: int(rand, 0, 2),
      post: rand() < 0.5,
      ro: rand() < 0.15,
      exp: rand() < 0.5 ? 0 : int(rand, 1, 5000),
    }
  if (w < 15) return { k: 'cancel', a, m, back: int(rand, 0, 8) }
  if (w < 16) return { k: 'cancelAll', a, m }
  if (w < 19)
    return {
      k: 'oracle',
      m,
      ppm: rand() < 10 / 11 ? int(rand, -20_000, 20_000) : rand() < 0.5 ? -500_000 : 500_000,
      signers: int(rand, 2, 3),
    }
  if (w < 21) return { k: 'time', ms: rand() < 0.9 ? int(rand, 0, 5000) : 3_600_000 }
  if (w < 22) return { k: 'transfer', a, usdc: int(rand, 1, 300_000), out: rand() < 0.5 }
  if (w < 24) return { k: 'bid', a, pick: int(rand, 0, 1_000_000), lots: int(rand, 1, 400), ticks: int(rand, -5, 5) }
  return { k: 'withdraw', a, usdc: int(rand, 1, 300_000) }
}

export interface SimStats {
  txs: number
  rejected: number
  byKind: Record<string, number>
  events: Record<string, number>
}

export interface SimResult {
  seed: number
  blocks: number
  finalRoot: string
  /** the final state's leaves committed at once to a fresh tree: must equal the incremental finalRoot */
  fullRoot: string
  /** sha256 over every block's root, receipts and block events in JSON form: equal only if all of them are */
  transcript: string
  stats: SimStats
  ms: number
}

export interface SimOptions {
  blocks: number
  /** rebuild state and tree from what a store would hold every this many blocks (0: never) */
  restartEvery?: number
}

class RecordStore {
  readonly #records = new Map<string, readonly [Uint8Array, Uint8Array]>()
  write(writes: NodeWrites): void {
    writes.forEach((key, value) => {
      const k = toHex(key)
      if (value === null) this.#records.delete(k)
      else this.#records.set(k, [key, value])
    })
  }
  /** in key order, as LevelDB iterates */
  records(): (readonly [Uint8Array, Uint8Array])[] {
    return [...this.#records.entries()].sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0)).map(([, r]) => r)
  }
}

const bump = (o: Record<string, number>, k: string): void => {
  o[k] = (o[k] ?? 0) + 1
}

export function runSeededSim(seed: number, o: SimOptions): SimResult {
  const started = performance.now()
  const rand = seededRandom(seed)
  const genesis = parseGenesis(modelGenesisJson())
  const g = genesisBlock(genesis)
  let state: State = g.state
  let tree: SparseMerkleTree = g.tree
  const restartEvery = o.restartEvery ?? 0
  const store = restartEvery > 0 ? new RecordStore() : undefined
  store?.write(g.nodeWrites)
  // the driver reads the live state; a restarting run gives it a twin, since a restart replaces the state object
  const driverState = store === undefined ? state : modelGenesis()
  const driver = new ModelDriver(driverState)
  const transcript = createHash('sha256')
  const stats: SimStats = { txs: 0, rejected: 0, byKind: {}, events: {} }
  let root = toHex(tree.root)

  for (let b = 0; b < o.blocks; b++) {
    const size = int(rand, 2, 16)
    const commands = Array.from({ length: size }, () => seededCommand(rand))
    const block = driver.next(commands)
    const env = { time: block.time, height: block.height }
    const executed = executeBlock(state, tree, block.txs, env)
    if (store !== undefined) {
      applyBlock(driverState, { txs: block.txs }, env)
      store.write(executed.nodeWrites)
    }
    root = toHex(executed.stateRoot)
    const { receipts, events } = executed.result
    transcript.update(`${block.height}:${root}:${JSON.stringify(toJson(receipts))}:${JSON.stringify(toJson(events))}\n`)
    for (const r of receipts) {
      stats.txs++
      bump(stats.byKind, r.kind)
      if (!r.ok) stats.rejected++
      for (const e of r.events) bump(stats.events, e.type)
    }
    for (const e of events) bump(stats.events, e.type)

    if (store !== undefined && (b + 1) % restartEvery === 0) {
      const leaves = allLeaves(state).flatMap((w) => (w.value === null ? [] : [[w.key, w.value] as const]))
      state = stateFromLeaves(leaves)
      tree = Tree.fromNodeRecords(store.records(), block.height)
      if (toHex(tree.root) !== root) throw new Error(`seed ${seed}: rebuilt tree root differs at ${block.height}`)
    }
  }
  return {
    seed,
    blocks: o.blocks,
    finalRoot: root,
    fullRoot: toHex(Tree.empty().commit(0n, allLeaves(state)).root),
    transcript: transcript.digest('hex'),
    stats,
    ms: Math.round(performance.now() - started),
  }
}
