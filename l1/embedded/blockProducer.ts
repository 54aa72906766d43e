/**
 * @module Making blocks: the genesis block (funded accounts, fixed header) and every later block, built with
 * @ethereumjs/vm's block builder from a timestamp and the transactions in arrival order. Deterministic: the same
 * parent, timestamp and transactions give the same block hash and receipts, which is what journal replay
 * relies on. A transaction the rules refuse (nonce, balance, fee below base fee, gas over the block) leaves no
 * block and no state change; one that reverts is mined with status 0, as on Ethereum.
 */

import { createBlock } from '@ethereumjs/block'
import type { Common } from '@ethereumjs/common'
import type { TypedTransaction } from '@ethereumjs/tx'
import { Account, bigIntToBytes, bytesToHex, createAddressFromString, generateAddress } from '@ethereumjs/util'
import type { RunTxResult, VM } from '@ethereumjs/vm'
import { buildBlock } from '@ethereumjs/vm'
import { BLOCK_GAS_LIMIT, INITIAL_BASE_FEE } from './chainParams.ts'
import type { MinedBlock, MinedLog, MinedReceipt } from './chainStore.ts'
import { emptyBlock, emptyBlockIsStateless } from './emptyBlock.ts'
import { rejected } from './rpcError.ts'
import type { Hex } from './rpcParams.ts'

export interface FundedAccount {
  address: Hex
  /** wei */
  wei: bigint
}

/** Funds the accounts in `vm` (which must be empty) and returns block 0 over that state. */
export async function createGenesis(
  vm: VM,
  common: Common,
  fund: readonly FundedAccount[],
  timestamp: bigint,
): Promise<MinedBlock> {
  await vm.stateManager.checkpoint()
  for (const f of fund) {
    const address = createAddressFromString(f.address)
    const existing = await vm.stateManager.getAccount(address)
    // the same address listed twice gets the sum, not the last amount
    await vm.stateManager.putAccount(address, new Account(0n, (existing?.balance ?? 0n) + f.wei))
  }
  await vm.stateManager.commit()
  const stateRoot = await vm.stateManager.getStateRoot()
  const block = createBlock(
    {
      header: { number: 0n, timestamp, gasLimit: BLOCK_GAS_LIMIT, baseFeePerGas: INITIAL_BASE_FEE, stateRoot },
      withdrawals: [],
    },
    { common },
  )
  return { block, hash: bytesToHex(block.hash()), number: 0n, timestamp, receipts: [] }
}

/**
 * Executes `txs` in order on top of `parent` and seals the block. Throws (with the state untouched) if any
 * transaction is not valid for inclusion.
 */
export async function mineBlock(
  vm: VM,
  parent: MinedBlock,
  timestamp: bigint,
  txs: readonly TypedTransaction[],
  opts: { emptyShortcut: boolean } = { emptyShortcut: true },
): Promise<MinedBlock> {
  // block 1 keeps the genesis base fee (as anvil does); later blocks follow EIP-1559 from their parent
  const baseFeePerGas = parent.number === 0n ? INITIAL_BASE_FEE : parent.block.header.calcNextBaseFee()
  if (txs.length === 0 && opts.emptyShortcut && (await emptyBlockIsStateless(vm, parent.block))) {
    const block = emptyBlock(vm.common, parent.block, timestamp, BLOCK_GAS_LIMIT, baseFeePerGas)
    return { block, hash: bytesToHex(block.hash()), number: block.header.number, timestamp, receipts: [] }
  }
  const builder = await buildBlock(vm, {
    parentBlock: parent.block,
    headerData: { timestamp, gasLimit: BLOCK_GAS_LIMIT, baseFeePerGas },
    withdrawals: [],
    blockOpts: { putBlockIntoBlockchain: false },
  })
  const results: RunTxResult[] = []
  for (const tx of txs) {
    try {
      results.push(await builder.addTransaction(tx))
    } catch (e) {
      await builder.revert()
      throw rejected(e instanceof Error ? e.message : String(e))
    }
  }
  const { block } = await builder.build()
  const baseFee = block.header.baseFeePerGas ?? 0n
  const receipts: MinedReceipt[] = []
  let logIndex = 0
  let previousCumulative = 0n
  for (const [i, result] of results.entries()) {
    // the caller's transaction object, not the block's copy: it holds the sender recovered on arrival
    const tx = txs[i]
    if (tx === undefined) throw new Error('block builder dropped a transaction')
    const receipt = toReceipt(tx, i, result, baseFee, previousCumulative, logIndex)
    previousCumulative = receipt.cumulativeGasUsed
    logIndex += receipt.logs.length
    receipts.push(receipt)
  }
  return { block, hash: bytesToHex(block.hash()), number: block.header.number, timestamp, receipts }
}

function toReceipt(
  tx: TypedTransaction,
  index: number,
  result: RunTxResult,
  baseFee: bigint,
  previousCumulative: bigint,
  firstLogIndex: number,
): MinedReceipt {
  const from = tx.getSenderAddress()
  const cumulativeGasUsed = result.receipt.cumulativeBlockGasUsed
  const status = 'status' in result.receipt ? result.receipt.status : 1
  const logs: MinedLog[] = result.receipt.logs.map(([address, topics, data], j) => ({
    address: bytesToHex(address),
    topics: topics.map((t) => bytesToHex(t)),
    data: bytesToHex(data),
    logIndex: firstLogIndex + j,
  }))
  const creation = tx.to === undefined
  return {
    transactionHash: bytesToHex(tx.hash()),
    transactionIndex: index,
    from: from.toString(),
    to: creation ? null : (tx.to?.toString() ?? null),
    contractAddress: creation ? bytesToHex(generateAddress(from.bytes, bigIntToBytes(tx.nonce))) : null,
    status,
    gasUsed: cumulativeGasUsed - previousCumulative,
    cumulativeGasUsed,
    effectiveGasPrice: effectiveGasPrice(tx, baseFee),
    type: tx.type,
    logs,
    logsBloom: result.receipt.bitvector,
  }
}

/** wei per gas: an EIP-1559-style transaction pays min(maxFee, baseFee + maxPriorityFee); older types their gasPrice. */
export function effectiveGasPrice(tx: TypedTransaction, baseFee: bigint): bigint {
  if ('maxFeePerGas' in tx) {
    const capped = baseFee + tx.maxPriorityFeePerGas
    return capped < tx.maxFeePerGas ? capped : tx.maxFeePerGas
  }
  return tx.gasPrice
}
