/**
 * @module JSON-RPC shapes of blocks, transactions, receipts and logs, as geth returns them (quantities 0x-hex).
 * viem parses exactly these fields, so their names and encodings matter more than their number.
 */

import type { TypedTransaction } from '@ethereumjs/tx'
import { bytesToHex } from '@ethereumjs/util'
import { effectiveGasPrice } from './blockProducer.ts'
import type { MinedBlock, MinedLog, MinedReceipt } from './chainStore.ts'
import { quantity } from './rpcParams.ts'

type Json = Record<string, unknown>

export function formatBlock(mined: MinedBlock, fullTransactions: boolean): Json {
  const h = mined.block.header
  return {
    number: quantity(h.number),
    hash: mined.hash,
    parentHash: bytesToHex(h.parentHash),
    nonce: bytesToHex(h.nonce),
    mixHash: bytesToHex(h.mixHash),
    sha3Uncles: bytesToHex(h.uncleHash),
    logsBloom: bytesToHex(h.logsBloom),
    transactionsRoot: bytesToHex(h.transactionsTrie),
    stateRoot: bytesToHex(h.stateRoot),
    receiptsRoot: bytesToHex(h.receiptTrie),
    miner: h.coinbase.toString(),
    difficulty: quantity(h.difficulty),
    totalDifficulty: '0x0',
    extraData: bytesToHex(h.extraData),
    size: quantity(mined.block.serialize().length),
    gasLimit: quantity(h.gasLimit),
    gasUsed: quantity(h.gasUsed),
    timestamp: quantity(h.timestamp),
    baseFeePerGas: quantity(h.baseFeePerGas ?? 0n),
    withdrawals: [],
    withdrawalsRoot: h.withdrawalsRoot === undefined ? undefined : bytesToHex(h.withdrawalsRoot),
    blobGasUsed: quantity(h.blobGasUsed ?? 0n),
    excessBlobGas: quantity(h.excessBlobGas ?? 0n),
    parentBeaconBlockRoot: h.parentBeaconBlockRoot === undefined ? undefined : bytesToHex(h.parentBeaconBlockRoot),
    requestsHash: h.requestsHash === undefined ? undefined : bytesToHex(h.requestsHash),
    uncles: [],
    transactions: mined.block.transactions.map((tx, i) =>
      fullTransactions ? formatTransaction(tx, mined, i) : bytesToHex(tx.hash()),
    ),
  }
}

/** `from` comes from the receipt: recovering it from the signature again would cost an ecrecover per call. */
export function formatTransaction(tx: TypedTransaction, mined: MinedBlock, index: number): Json {
  const { gasLimit, data, ...rest } = tx.toJSON()
  const baseFee = mined.block.header.baseFeePerGas ?? 0n
  return {
    ...rest,
    hash: bytesToHex(tx.hash()),
    from: mined.receipts[index]?.from ?? tx.getSenderAddress().toString(),
    to: tx.to?.toString() ?? null,
    gas: gasLimit,
    input: data,
    // geth reports what the sender paid per gas once mined, also for EIP-1559 types
    gasPrice: quantity(effectiveGasPrice(tx, baseFee)),
    blockHash: mined.hash,
    blockNumber: quantity(mined.number),
    transactionIndex: quantity(index),
  }
}

export function formatReceipt(mined: MinedBlock, r: MinedReceipt): Json {
  return {
    transactionHash: r.transactionHash,
    transactionIndex: quantity(r.transactionIndex),
    blockHash: mined.hash,
    blockNumber: quantity(mined.number),
    from: r.from,
    to: r.to,
    contractAddress: r.contractAddress,
    status: quantity(r.status),
    gasUsed: quantity(r.gasUsed),
    cumulativeGasUsed: quantity(r.cumulativeGasUsed),
    effectiveGasPrice: quantity(r.effectiveGasPrice),
    type: quantity(r.type),
    logsBloom: bytesToHex(r.logsBloom),
    logs: r.logs.map((log) => formatLog(mined, r, log)),
  }
}

export function formatLog(mined: MinedBlock, r: MinedReceipt, log: MinedLog): Json {
  return {
    address: log.address,
    topics: log.topics,
    data: log.data,
    blockNumber: quantity(mined.number),
    blockHash: mined.hash,
    blockTimestamp: quantity(mined.timestamp),
    transactionHash: r.transactionHash,
    transactionIndex: quantity(r.transactionIndex),
    logIndex: quantity(log.logIndex),
    removed: false,
  }
}
