/**
 * @module The memory benchmark's child process (run by bench/memory.ts with --expose-gc, so nothing of the
 * parent's counts): builds a node's in-memory state for N funded accounts, each holding one position, the way
 * a chain gets there — a genesis funding N accounts, then blocks of real order transactions through applyBlock
 * (pairs of accounts: one rests a sell at the oracle price, the other takes it with an IOC buy; even pairs
 * trade BTC-USD, odd pairs ETH-USD). applyBlock builds the at-risk index on its first block. Then the sparse
 * Merkle tree over allLeaves, as a restarted node builds it, and one commit (a running node's tree keeps no
 * reference to the leaf values it was built from). Everything else is dropped, a full GC runs, and the child
 * prints one JSON line: process.memoryUsage() in bytes, counts, and the phases' seconds.
 *
 * Usage: node --expose-gc bench/memoryChild.ts [accounts]   (default 1,000,000)
 */
import { readFileSync } from 'node:fs'
import type { Address, State, VerifiedTx } from '../engine/index.ts'
import { allLeaves, applyBlock, genesisState, parseGenesis } from '../engine/index.ts'
import { DEVNET_GENESIS_PATH } from '../node/index.ts'
import { SparseMerkleTree } from '../state/index.ts'

const BLOCK_TXS = 1000
const START_TIME = 1_732_406_400_001n
/** 100,000 USDC, in USDC units (6 decimals) */
const COLLATERAL = '100000000000'

const address = (i: number): Address => `0x${(i + 1).toString(16).padStart(40, '0')}` as Address

function genesis(accounts: number): State {
  const json = JSON.parse(readFileSync(DEVNET_GENESIS_PATH, 'utf8')) as Record<string, unknown>
  json.accounts = Array.from({ length: accounts }, (_, i) => ({
    address: address(i),
    subaccount: 0,
    collateral: COLLATERAL,
  }))
  return genesisState(parseGenesis(json))
}

/** Pair k: account 2k rests a sell of 1–10 lots at the oracle price, account 2k+1 buys it (IOC). */
function pairTxs(state: State, k: number): VerifiedTx[] {
  const market = k % 2
  const m = state.markets[market] as State['markets'][number]
  const size = m.lotSize * BigInt(1 + (k % 10))
  const hash = new Uint8Array(32)
  const order = (account: Address, isBuy: boolean, timeInForce: number): VerifiedTx => ({
    kind: 'order',
    message: {
      account,
      subaccount: 0,
      market,
      isBuy,
      price: m.oraclePrice,
      size,
      timeInForce,
      reduceOnly: false,
      postOnly: false,
      clientId: 1n,
      nonce: 1n,
      expiresAt: 0n,
    },
    hash,
    signer: account,
  })
  return [order(address(2 * k), false, 0), order(address(2 * k + 1), true, 1)]
}

function trade(state: State, accounts: number): number {
  let rejected = 0
  const pairs = accounts >> 1
  for (let k = 0, height = 1n; k < pairs; height++) {
    const txs: VerifiedTx[] = []
    for (; k < pairs && txs.length < BLOCK_TXS; k++) txs.push(...pairTxs(state, k))
    const { receipts } = applyBlock(state, { txs }, { time: START_TIME + height, height })
    for (const r of receipts) if (!r.ok) rejected++
  }
  return rejected
}

const seconds = (start: number): number => Math.round((performance.now() - start) / 100) / 10
const gc = (globalThis as { gc?: () => void }).gc

const accounts = Number(process.argv[2] ?? 1_000_000)
let start = performance.now()
const state = genesis(accounts)
const genesisS = seconds(start)
start = performance.now()
const rejected = trade(state, accounts)
const blocksS = seconds(start)
let withPosition = 0
for (const sub of state.subaccounts.values()) if (sub.positions.size > 0) withPosition++
start = performance.now()
let leaves: [Uint8Array, Uint8Array][] | undefined = allLeaves(state).map((w) => [w.key, w.value as Uint8Array])
const leafCount = leaves.length
const tree = SparseMerkleTree.fromLeaves(leaves, 0n)
const [key, value] = leaves[0] as [Uint8Array, Uint8Array]
leaves = undefined
// one block's commit (a leaf rewritten as it is): the tree lets go of the values it was built from, as a
// running node's tree has
tree.commit(1n, [{ key, value }])
const treeS = seconds(start)
if (gc === undefined) throw new Error('run with --expose-gc')
gc()
gc()
const m = process.memoryUsage()
console.log(
  JSON.stringify({
    accounts,
    subaccounts: state.subaccounts.size,
    withPosition,
    rejected,
    leaves: leafCount,
    root: Buffer.from(tree.root).toString('hex'),
    seconds: { genesis: genesisS, blocks: blocksS, tree: treeS },
    memory: {
      peakRss: process.resourceUsage().maxRSS * 1024,
      rss: m.rss,
      heapUsed: m.heapUsed,
      heapTotal: m.heapTotal,
      external: m.external,
      arrayBuffers: m.arrayBuffers,
    },
  }),
)
