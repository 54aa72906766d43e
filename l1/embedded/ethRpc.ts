/**
 * @module The embedded L1's Ethereum JSON-RPC method table and its EIP-1193 `request` function. Each method
 * parses its positional params (a malformed one is -32602), reads the chain store or a state copy, or queues a
 * write on the chain. Unknown methods are -32601; an unexpected failure is -32603 and is logged.
 */

import { bytesToHex, createAddressFromString, setLengthLeft } from '@ethereumjs/util'
import { BaseError } from 'viem'
import { call, estimateGas } from './callExecution.ts'
import { parseCallRequest } from './callRequest.ts'
import { CLIENT_VERSION, SUGGESTED_PRIORITY_FEE } from './chainParams.ts'
import type { EmbeddedChain } from './embeddedChain.ts'
import { formatBlock, formatReceipt, formatTransaction } from './ethFormat.ts'
import { feeHistory, parsePercentiles } from './feeHistory.ts'
import { getLogs, parseLogQuery } from './logFilter.ts'
import { ETH_RPC_ERRORS, EthRpcError, invalidParams } from './rpcError.ts'
import type { Hex } from './rpcParams.ts'
import {
  hexData,
  parseAddress,
  parseBlockRef,
  parseBoolean,
  parseData,
  parseHash,
  parseQuantity,
  parseSeconds,
  quantity,
} from './rpcParams.ts'

export interface RequestArguments {
  method: string
  /** positional params; anything but an array (or nothing) is -32602 */
  params?: unknown
}

export type EthRequest = (args: RequestArguments) => Promise<unknown>

type Method = (p: unknown[]) => unknown

/** blocks one anvil_mine may ask for (each takes about 0.4 ms) */
export const MAX_BLOCKS_PER_MINE = 100_000n

/** Builds `request` for `chain`: the one entry point of the in-process transport and of the HTTP server. */
export function createEthRequest(chain: EmbeddedChain, log: (msg: string) => void): EthRequest {
  const methods: Record<string, Method> = { ...readMethods(chain), ...stateMethods(chain), ...testMethods(chain) }
  return async ({ method, params }) => {
    if (typeof method !== 'string' || !Object.hasOwn(methods, method))
      throw new EthRpcError(
        ETH_RPC_ERRORS.methodNotFound,
        `the method ${String(method)} does not exist/is not available`,
      )
    if (params !== undefined && !Array.isArray(params)) throw invalidParams('params: expected an array')
    try {
      return await (methods[method] as Method)((params as unknown[] | undefined) ?? [])
    } catch (e) {
      if (e instanceof EthRpcError) throw e
      log(`l1 rpc: ${method} failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`)
      const message = e instanceof BaseError ? e.shortMessage : e instanceof Error ? e.message : String(e)
      throw new EthRpcError(ETH_RPC_ERRORS.internalError, `internal error: ${message}`)
    }
  }
}

/** Methods answered from the chain store alone (no state access). */
function readMethods(chain: EmbeddedChain): Record<string, Method> {
  const store = chain.store
  const chainId = chain.common.chainId()
  return {
    eth_chainId: () => quantity(chainId),
    net_version: () => chainId.toString(),
    web3_clientVersion: () => CLIENT_VERSION,
    eth_accounts: () => [],
    eth_syncing: () => false,
    eth_blockNumber: () => quantity(store.head().number),
    eth_getBlockByNumber: (p) => {
      const mined = store.find(parseBlockRef(p[0], 'block'))
      return mined === undefined ? null : formatBlock(mined, parseBoolean(p[1], 'fullTransactions'))
    },
    eth_getBlockByHash: (p) => {
      const mined = store.byHash(parseHash(p[0], 'blockHash'))
      return mined === undefined ? null : formatBlock(mined, parseBoolean(p[1], 'fullTransactions'))
    },
    eth_getBlockTransactionCountByNumber: (p) => {
      const mined = store.find(parseBlockRef(p[0], 'block'))
      return mined === undefined ? null : quantity(mined.block.transactions.length)
    },
    eth_getTransactionByHash: (p) => {
      const found = store.transaction(parseHash(p[0], 'hash'))
      return found === undefined ? null : formatTransaction(found.tx, found.mined, found.index)
    },
    eth_getTransactionReceipt: (p) => {
      const found = store.transaction(parseHash(p[0], 'hash'))
      return found === undefined ? null : formatReceipt(found.mined, found.receipt)
    },
    eth_getLogs: (p) => getLogs(store, parseLogQuery(p[0])),
    eth_gasPrice: () => quantity(store.head().block.header.calcNextBaseFee() + SUGGESTED_PRIORITY_FEE),
    eth_maxPriorityFeePerGas: () => quantity(SUGGESTED_PRIORITY_FEE),
    eth_feeHistory: (p) =>
      feeHistory(store, parseSeconds(p[0], 'blockCount'), parseBlockRef(p[1], 'newestBlock'), parsePercentiles(p[2])),
  }
}

/** Methods that read account state at a block, or change the chain. */
function stateMethods(chain: EmbeddedChain): Record<string, Method> {
  return {
    eth_getBalance: (p) => {
      const address = createAddressFromString(parseAddress(p[0], 'address'))
      return chain.atBlock(parseBlockRef(p[1], 'block'), async (vm) =>
        quantity((await vm.stateManager.getAccount(address))?.balance ?? 0n),
      )
    },
    eth_getTransactionCount: (p) => {
      const address = createAddressFromString(parseAddress(p[0], 'address'))
      // 'pending' is the latest block: transactions are mined on arrival, so none ever wait
      return chain.atBlock(parseBlockRef(p[1], 'block'), async (vm) =>
        quantity((await vm.stateManager.getAccount(address))?.nonce ?? 0n),
      )
    },
    eth_getCode: (p) => {
      const address = createAddressFromString(parseAddress(p[0], 'address'))
      return chain.atBlock(parseBlockRef(p[1], 'block'), async (vm) => hexData(await vm.stateManager.getCode(address)))
    },
    eth_getStorageAt: (p) => {
      const address = createAddressFromString(parseAddress(p[0], 'address'))
      const slot = setLengthLeft(parseStorageSlot(p[1]), 32)
      return chain.atBlock(parseBlockRef(p[2], 'block'), async (vm) =>
        bytesToHex(setLengthLeft(await vm.stateManager.getStorage(address, slot), 32)),
      )
    },
    eth_call: (p) => {
      const req = parseCallRequest(p[0])
      if (p[2] !== undefined && p[2] !== null && Object.keys(p[2] as object).length > 0)
        throw invalidParams('state overrides are not supported by this node')
      return chain.atBlock(parseBlockRef(p[1], 'block'), (vm, mined) => call(vm, mined, req))
    },
    eth_estimateGas: (p) => {
      const req = parseCallRequest(p[0])
      return chain.atBlock(parseBlockRef(p[1], 'block'), async (vm, mined) =>
        quantity(await estimateGas(vm, mined, req)),
      )
    },
    eth_sendRawTransaction: (p) => chain.sendRawTransaction(parseData(p[0], 'transaction')),
  }
}

/** anvil/hardhat test methods: time travel, explicit mining, snapshots. */
function testMethods(chain: EmbeddedChain): Record<string, Method> {
  return {
    evm_increaseTime: (p) => {
      const seconds = parseSeconds(p[0], 'seconds')
      return chain.exclusive(async () => quantity(chain.clock.increase(seconds)))
    },
    evm_setNextBlockTimestamp: (p) => {
      const timestamp = parseSeconds(p[0], 'timestamp')
      return chain.exclusive(async () => {
        chain.clock.setNext(timestamp, chain.store.head().timestamp)
        return null
      })
    },
    evm_mine: async (p) => {
      const timestamp = p[0] === undefined || p[0] === null ? undefined : parseSeconds(p[0], 'timestamp')
      await chain.mine(timestamp === undefined ? {} : { timestamp })
      return '0x0'
    },
    anvil_mine: async (p) => {
      const count = p[0] === undefined || p[0] === null ? 1n : parseSeconds(p[0], 'blocks')
      if (count < 1n || count > MAX_BLOCKS_PER_MINE)
        throw invalidParams(`blocks: expected 1 to ${MAX_BLOCKS_PER_MINE} blocks`)
      const interval = p[1] === undefined || p[1] === null ? undefined : parseSeconds(p[1], 'interval')
      if (interval === 0n) throw invalidParams('interval: blocks need at least 1 second between them')
      await chain.mineMany(Number(count), interval)
      return null
    },
    evm_snapshot: () => chain.snapshot(),
    evm_revert: (p) => chain.revert(Number(parseQuantity(p[0], 'snapshotId'))),
  }
}

/** A storage slot as a quantity (0x0) or as 32 bytes of hex (0x00…00): both are common. */
function parseStorageSlot(v: unknown): Uint8Array {
  if (typeof v === 'string' && /^0x[0-9a-fA-F]{1,64}$/.test(v)) {
    const hex = v.slice(2)
    return parseData(`0x${hex.length % 2 === 1 ? `0${hex}` : hex}` as Hex, 'slot')
  }
  throw invalidParams('slot: expected a storage slot as 0x-hex of at most 32 bytes')
}
