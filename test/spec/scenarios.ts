/**
 * Golden-vector scenarios: a genesis (inline, so devnet edits do not move them) and blocks of transactions in
 * the JSON wire form with their signers. `runScenario` applies them and returns each block's state root and
 * receipts in JSON form. The vectors in test/spec/vectors/ were produced by scripts/update-spec-vectors.ts and
 * change only through it.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import fc from 'fast-check'
import type { Address, TxKind, VerifiedTx } from '../../engine/index.ts'
import { allLeaves, applyBlock, decodeMessage, genesisState, leafWrites, parseGenesis } from '../../engine/index.ts'
import type { Json } from '../../rpc/index.ts'
import { toJson } from '../../rpc/index.ts'
import { SparseMerkleTree, toHex } from '../../state/index.ts'
import { commandArb, commandsToBlocks } from '../property/engineModel.ts'

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

const here = import.meta.dirname
const devnetGenesis = (): unknown => JSON.parse(readFileSync(join(here, '../../genesis.json'), 'utf8'))

function wire(tx: VerifiedTx): WireTx {
  const message = toJson(tx.message) as Record<string, unknown>
  return { kind: tx.kind, signer: tx.signer, message }
}

/** The scenarios the vectors are made from: hand-made ones and seeded random command runs. */
export function buildScenarios(): Scenario[] {
  const genesis = devnetGenesis()
  const random = (name: string, seed: number, count: number, blockSize: number): Scenario => {
    const cmds = fc.sample(fc.array(commandArb, { minLength: count, maxLength: count }), { numRuns: 1, seed })[0] ?? []
    const blocks = commandsToBlocks(cmds, blockSize)
    return { name, genesis, blocks: blocks.map((b) => ({ time: b.time.toString(), txs: b.txs.map(wire) })) }
  }
  return [
    random('random-300-seed-7', 7, 300, 6),
    random('random-1000-seed-11', 11, 1000, 16),
    random('random-2000-seed-19', 19, 2000, 4),
  ]
}
