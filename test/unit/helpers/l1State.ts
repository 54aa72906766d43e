/**
 * The L2 side of the l1 tests: an engine state committed block by block into a sparse Merkle tree, as the node
 * does (genesis at height 0 from allLeaves, then each block's leafWrites), with the current leaf values kept so a
 * test can hand the contract a leaf and its proof at the latest height.
 */
import fc from 'fast-check'
import type { Address, BlockResult, State, VerifiedTx } from '../../../engine/index.ts'
import { allLeaves, applyBlock, leafWrites } from '../../../engine/index.ts'
import type { LeafWrite } from '../../../state/index.ts'
import { encodeProof, SparseMerkleTree, toHex } from '../../../state/index.ts'
import { commandArb, ModelDriver, modelGenesis } from '../../property/engineModel.ts'
import { fresh, GENESIS_TIME, uniqueHash } from './engineFixtures.ts'

export class CommittedChain {
  readonly state: State
  readonly tree = SparseMerkleTree.empty()
  readonly #leaves = new Map<string, Uint8Array>()
  height = 0n
  time = GENESIS_TIME + 1_000n

  constructor(state: State) {
    this.state = state
    this.#write(allLeaves(state))
  }

  #write(writes: LeafWrite[]): void {
    this.tree.commit(this.height, writes)
    for (const w of writes) {
      if (w.value === null) this.#leaves.delete(toHex(w.key))
      else this.#leaves.set(toHex(w.key), w.value)
    }
  }

  /** Applies one block (`ms` after the previous) and commits its leaves; throws if a transaction is refused. */
  block(txs: readonly VerifiedTx[], ms = 250n): void {
    const r = this.commitBlock(txs, this.time + ms, this.height + 1n)
    const refused = r.receipts.find((x) => !x.ok)
    if (refused !== undefined) throw new Error(`block ${this.height}: ${refused.kind} refused: ${refused.error}`)
  }

  /** Applies one block at the given time and height, refused transactions and all, and commits its leaves. */
  commitBlock(txs: readonly VerifiedTx[], time: bigint, height: bigint): BlockResult {
    this.height = height
    this.time = time
    const r = applyBlock(this.state, { txs }, { time, height })
    this.#write(leafWrites(this.state, r.dirty))
    return r
  }

  get root(): `0x${string}` {
    return toHex(this.tree.root)
  }

  /** The key's value at the latest height (undefined when absent). */
  leaf(key: Uint8Array): Uint8Array | undefined {
    return this.#leaves.get(toHex(key))
  }

  /** Every present leaf whose key starts with `prefix`. */
  leavesWithPrefix(prefix: number): [Uint8Array, Uint8Array][] {
    return [...this.#leaves]
      .filter(([k]) => k.startsWith(`0x${prefix.toString(16).padStart(2, '0')}`))
      .map(([k, v]) => [Uint8Array.from(Buffer.from(k.slice(2), 'hex')), v] as [Uint8Array, Uint8Array])
  }

  /** The key's proof at the latest height, as encodeProof bytes in hex (calldata). */
  proof(key: Uint8Array): `0x${string}` {
    return toHex(encodeProof(this.tree.prove(key)))
  }
}

export function withdrawTx(account: Address, recipient: Address, amount: bigint, subaccount = 0): VerifiedTx {
  return {
    kind: 'withdraw',
    message: { account, subaccount, recipient, amount, nonce: fresh() },
    hash: uniqueHash(),
    signer: account,
  }
}

const SYSTEM: Address = '0x0000000000000000000000000000000000000000'

export function depositTx(seq: bigint, account: Address, amount: bigint, l1Time = 1_700_000_000n): VerifiedTx {
  return { kind: 'deposit', message: { seq, account, amount, l1Time }, hash: uniqueHash(), signer: SYSTEM }
}

/**
 * A random engine state from the property model (test/property/engineModel.ts): `commands` random commands of
 * every kind (orders, oracle moves, hour-long time jumps that tick funding, transfers, withdrawals, auction bids)
 * from a fixed seed, applied in blocks of 12 and committed.
 */
export function randomCommittedChain(seed: number, commands = 600): CommittedChain {
  const [cmds] = fc.sample(fc.array(commandArb, { minLength: commands, maxLength: commands }), { seed, numRuns: 1 })
  const chain = new CommittedChain(modelGenesis())
  const driver = new ModelDriver(chain.state)
  const list = cmds ?? []
  for (let at = 0; at < list.length; at += 12) {
    const b = driver.next(list.slice(at, at + 12))
    chain.commitBlock(b.txs, b.time, b.height)
  }
  return chain
}
