/**
 * Golden-vector scenarios: a genesis (inline, so devnet edits do not move them) and blocks of transactions in
 * the JSON wire form with their signers. `runScenario` applies them and returns each block's state root and
 * receipts in JSON form. The vectors in test/spec/vectors/ were produced by scripts/update-spec-vectors.ts and
 * change only through it.
 */
import fc from 'fast-check'
import type { Address, TxKind, VerifiedTx } from '../../engine/index.ts'
import { allLeaves, applyBlock, decodeMessage, genesisState, leafWrites, parseGenesis } from '../../engine/index.ts'
import type { Json } from '../../rpc/index.ts'
import { toJson } from '../../rpc/index.ts'
import { SparseMerkleTree, toHex } from '../../state/index.ts'
import { commandArb, commandsToBlocks, modelGenesisJson } from '../property/engineModel.ts'
import { ACCOUNTS, SIGNERS } from '../unit/helpers/engineFixtures.ts'

export interface WireTx {
  kind: TxKind
  signer: string
  message: Record<string, unknown>
}

export interface Scenario {
  name: string
  genesis: unknown
  blocks: { time: string; txs: WireTx[] }[]
}

export interface Outcome {
  height: string
  stateRoot: string
  receipts: Json
  events: Json
}

export function runScenario(s: Scenario): Outcome[] {
  const state = genesisState(parseGenesis(s.genesis))
  // the node's commitment (node/chain.ts): the sparse Merkle tree, genesis leaves committed at height 0
  const tree = SparseMerkleTree.empty()
  tree.commit(0n, allLeaves(state))
  let n = 0
  return s.blocks.map((block, i) => {
    const txs = block.txs.map((t) => {
      const digest = new Uint8Array(32)
      new DataView(digest.buffer).setUint32(28, ++n)
      return {
        ...decodeMessage(t.kind, t.message),
        hash: digest,
        signer: t.signer.toLowerCase() as Address,
      } as VerifiedTx
    })
    const height = BigInt(i + 1)
    const result = applyBlock(state, { txs }, { time: BigInt(block.time), height })
    const { root } = tree.commit(height, leafWrites(state, result.dirty))
    return {
      height: height.toString(),
      stateRoot: toHex(root),
      receipts: toJson(result.receipts),
      events: toJson(result.events),
    }
  })
}

function wire(tx: VerifiedTx): WireTx {
  const message = toJson(tx.message) as Record<string, unknown>
  return { kind: tx.kind, signer: tx.signer, message }
}

/**
 * A liquidation scenario: accounts 4 and 5 (2,000 USDC; 4 also holds 1 WETH) buy 0.3 BTC at $60,000 from
 * account 0's resting sell; BTC then falls $1,200 a block for ten blocks (to $48,000) and holds for fifty more.
 * Account 1 takes account 5's auctions in full the block after each starts (five slices); account 4's auction is
 * left alone and resets from the oracle once its price falls below 80% of its start.
 */
function crashScenario(genesis: Record<string, unknown>): Scenario {
  const state = genesisState(parseGenesis(genesis))
  const [maker, liquidator, , , a4, a5] = ACCOUNTS as [Address, Address, Address, Address, Address, Address]
  let nonce = 0n
  let n = 0
  const tx = (kind: TxKind, signer: Address, message: Record<string, unknown>): VerifiedTx => {
    const digest = new Uint8Array(32)
    new DataView(digest.buffer).setUint32(28, ++n)
    return { kind, message, signer, hash: digest } as unknown as VerifiedTx
  }
  const order = (account: Address, isBuy: boolean, size: bigint, timeInForce: number): VerifiedTx =>
    tx('order', account, {
      account,
      subaccount: 0,
      market: 0,
      isBuy,
      price: 6_000_000_000_000n,
      size,
      timeInForce,
      reduceOnly: false,
      postOnly: false,
      clientId: ++nonce,
      nonce,
      expiresAt: 0n,
    })
  const blocks: { time: bigint; txs: VerifiedTx[] }[] = []
  const time0 = BigInt(genesis.genesisTime as string) + 1_000n
  const push = (time: bigint, txs: VerifiedTx[]): void => {
    applyBlock(state, { txs }, { time, height: BigInt(blocks.length + 1) })
    blocks.push({ time, txs })
  }
  push(time0, [order(maker, false, 1_000_000n, 0)])
  push(time0 + 500n, [order(a4, true, 300_000n, 1), order(a5, true, 300_000n, 1)])
  for (let k = 1n; k <= 60n; k++) {
    const time = time0 + k * 1_000n
    const price = 6_000_000_000_000n - (k <= 10n ? k : 10n) * 120_000_000_000n
    const reports = SIGNERS.slice(0, 2).map((signer) =>
      tx('oracleReport', signer, { signer, timestamp: time, markets: [0], prices: [price] }),
    )
    const bids = [...state.auctions.values()]
      .filter((a) => a.address === a5)
      .map((a) =>
        tx('auctionBid', liquidator, {
          account: liquidator,
          subaccount: 0,
          auctionId: a.id,
          size: a.size,
          limitPrice: a.startPrice,
          nonce: ++nonce,
        }),
      )
    push(time, [...reports, ...bids])
  }
  return {
    name: 'liquidation-crash',
    genesis,
    blocks: blocks.map((b) => ({ time: b.time.toString(), txs: b.txs.map(wire) })),
  }
}

/** The scenarios the vectors are made from: hand-made ones and seeded random command runs. */
export function buildScenarios(): Scenario[] {
  // the devnet genesis with two accounts small enough to be liquidated (test/property/engineModel.ts)
  const genesis = modelGenesisJson()
  const random = (name: string, seed: number, count: number, blockSize: number): Scenario => {
    const cmds = fc.sample(fc.array(commandArb, { minLength: count, maxLength: count }), { numRuns: 1, seed })[0] ?? []
    const blocks = commandsToBlocks(cmds, blockSize)
    return { name, genesis, blocks: blocks.map((b) => ({ time: b.time.toString(), txs: b.txs.map(wire) })) }
  }
  return [
    crashScenario(genesis),
    random('random-300-seed-7', 7, 300, 6),
    random('random-1000-seed-11', 11, 1000, 16),
    random('random-2000-seed-19', 19, 2000, 4),
  ]
}
