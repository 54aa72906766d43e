/**
 * @module The embedded L1's chain in memory: every mined block with its transactions' receipts, indexed by
 * number, hash and transaction hash. Blocks enter only through `append` (after they are journaled) and leave
 * only through `truncate` (evm_revert), so a reader always sees whole blocks.
 */

import type { Block } from '@ethereumjs/block'
import type { TypedTransaction } from '@ethereumjs/tx'
import { ETH_RPC_ERRORS, EthRpcError } from './rpcError.ts'
import type { BlockRef, Hex } from './rpcParams.ts'

export interface MinedLog {
  address: Hex
  topics: Hex[]
  data: Hex
  /** position among all logs of the block, as Ethereum numbers them */
  logIndex: number
}

export interface MinedReceipt {
  transactionHash: Hex
  transactionIndex: number
  from: Hex
  to: Hex | null
  /** set for a contract creation, also when it reverted (derived from sender and nonce, as geth does) */
  contractAddress: Hex | null
  status: 0 | 1
  /** gas units charged to this transaction */
  gasUsed: bigint
  cumulativeGasUsed: bigint
  /** wei per gas the sender paid: baseFee + effective tip (EIP-1559 types) or gasPrice (legacy, EIP-2930) */
  effectiveGasPrice: bigint
  type: number
  logs: MinedLog[]
  logsBloom: Uint8Array
}

export interface MinedBlock {
  block: Block
  hash: Hex
  number: bigint
  timestamp: bigint
  receipts: MinedReceipt[]
}

export interface MinedTransaction {
  mined: MinedBlock
  index: number
  tx: TypedTransaction
  receipt: MinedReceipt
}

export class ChainStore {
  private readonly blocks: MinedBlock[] = []
  private readonly numberByHash = new Map<Hex, number>()
  private readonly txByHash = new Map<Hex, { number: number; index: number }>()

  append(mined: MinedBlock): void {
    if (mined.number !== BigInt(this.blocks.length))
      throw new Error(`chain store: block ${mined.number} appended at height ${this.blocks.length}`)
    this.blocks.push(mined)
    this.numberByHash.set(mined.hash, this.blocks.length - 1)
    for (const r of mined.receipts)
      this.txByHash.set(r.transactionHash, { number: this.blocks.length - 1, index: r.transactionIndex })
  }

  /** Drops every block above `number` (evm_revert). */
  truncate(number: bigint): void {
    while (BigInt(this.blocks.length - 1) > number) {
      const dropped = this.blocks.pop()
      if (dropped === undefined) break
      this.numberByHash.delete(dropped.hash)
      for (const r of dropped.receipts) this.txByHash.delete(r.transactionHash)
    }
  }

  head(): MinedBlock {
    const head = this.blocks.at(-1)
    if (head === undefined) throw new Error('chain store: no genesis block')
    return head
  }

  byNumber(number: bigint): MinedBlock | undefined {
    return number < 0n || number >= BigInt(this.blocks.length) ? undefined : this.blocks[Number(number)]
  }

  byHash(hash: Hex): MinedBlock | undefined {
    const n = this.numberByHash.get(hash.toLowerCase() as Hex)
    return n === undefined ? undefined : this.blocks[n]
  }

  transaction(hash: Hex): MinedTransaction | undefined {
    const at = this.txByHash.get(hash.toLowerCase() as Hex)
    if (at === undefined) return undefined
    const mined = this.blocks[at.number]
    const tx = mined?.block.transactions[at.index]
    const receipt = mined?.receipts[at.index]
    if (mined === undefined || tx === undefined || receipt === undefined) return undefined
    return { mined, index: at.index, tx, receipt }
  }

  /** The block a request names, or undefined when it does not exist (yet). Pending is the latest block:
   * transactions are mined as they arrive, so nothing is ever pending. Safe and finalized are the latest too:
   * a single-node chain has no reorgs except an explicit evm_revert. */
  find(ref: BlockRef): MinedBlock | undefined {
    if (ref.kind === 'hash') return this.byHash(ref.hash)
    if (ref.kind === 'number') return this.byNumber(ref.number)
    return ref.tag === 'earliest' ? this.blocks[0] : this.head()
  }

  /** Like `find`, but a missing block is an error (geth's "header not found"). */
  resolve(ref: BlockRef): MinedBlock {
    const found = this.find(ref)
    if (found === undefined) throw new EthRpcError(ETH_RPC_ERRORS.rejected, 'header not found')
    return found
  }
}
