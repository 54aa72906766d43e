/**
 * @module Fixtures for the embedded L1 tests: a small contract compiled here with solc-js at its default EVM
 * target (so the bytecode uses what solc 0.8.37 emits by default), the well-known test keys, and viem clients
 * over either transport.
 */

import solc from 'solc'
import type { Abi, Hex, Transport } from 'viem'
import { createPublicClient, createWalletClient, defineChain, parseAbi } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { formatAbiItem } from 'viem/utils'

/**
 * Counter: an event with two indexed fields, a custom error, a timestamp reader, and one function that runs
 * each newer opcode in inline assembly (tstore/tload: Cancun, mcopy: Cancun, clz: Osaka).
 */
export const COUNTER_SOURCE = `// SPDX-License-Identifier: MIT
pragma solidity ^0.8.31;

contract Counter {
    uint256 public count;
    uint256 public constant LIMIT = 100;

    event Incremented(address indexed by, uint256 indexed newCount, uint256 amount);
    error TooLarge(uint256 amount, uint256 limit);

    function increment(uint256 amount) external returns (uint256) {
        if (amount > LIMIT) revert TooLarge(amount, LIMIT);
        count += amount;
        emit Incremented(msg.sender, count, amount);
        return count;
    }

    function now_() external view returns (uint256 timestamp, uint256 number) {
        return (block.timestamp, block.number);
    }

    /// tload after tstore in the same call; a 32-byte word moved with mcopy; leading zero bits of x
    function opcodes(uint256 x) external returns (uint256 loaded, uint256 copied, uint256 leadingZeros) {
        assembly {
            tstore(7, add(x, 1))
            loaded := tload(7)
            mstore(0x80, x)
            mcopy(0xa0, 0x80, 32)
            copied := mload(0xa0)
            leadingZeros := clz(x)
        }
    }
}
`

/** Counter's interface, typed for viem; `counterContract()` checks that solc's ABI has exactly these items */
export const COUNTER_ABI = parseAbi([
  'function count() view returns (uint256)',
  'function LIMIT() view returns (uint256)',
  'function increment(uint256 amount) returns (uint256)',
  'function now_() view returns (uint256 timestamp, uint256 number)',
  'function opcodes(uint256 x) returns (uint256 loaded, uint256 copied, uint256 leadingZeros)',
  'event Incremented(address indexed by, uint256 indexed newCount, uint256 amount)',
  'error TooLarge(uint256 amount, uint256 limit)',
])

export interface Compiled {
  abi: typeof COUNTER_ABI
  bytecode: Hex
  /** the runtime code a deployment leaves at the contract's address */
  deployedBytecode: Hex
  evmVersion: string
}

let compiled: Compiled | undefined

/** Compiles COUNTER_SOURCE once per test file (solc-js takes a second or two). */
export function counterContract(): Compiled {
  if (compiled !== undefined) return compiled
  const input = {
    language: 'Solidity',
    sources: { 'Counter.sol': { content: COUNTER_SOURCE } },
    settings: {
      outputSelection: { '*': { '*': ['abi', 'evm.bytecode.object', 'evm.deployedBytecode.object', 'metadata'] } },
    },
  }
  const out = JSON.parse(solc.compile(JSON.stringify(input))) as {
    errors?: { severity: string; formattedMessage: string }[]
    contracts: Record<
      string,
      Record<
        string,
        { abi: Abi; evm: { bytecode: { object: string }; deployedBytecode: { object: string } }; metadata: string }
      >
    >
  }
  const errors = (out.errors ?? []).filter((e) => e.severity === 'error')
  if (errors.length > 0) throw new Error(errors.map((e) => e.formattedMessage).join('\n'))
  const c = out.contracts['Counter.sol']?.Counter
  if (c === undefined) throw new Error('Counter not compiled')
  const metadata = JSON.parse(c.metadata) as { settings: { evmVersion: string } }
  const signatures = (abi: Abi) => abi.map((item) => formatAbiItem(item)).sort()
  if (JSON.stringify(signatures(c.abi)) !== JSON.stringify(signatures(COUNTER_ABI)))
    throw new Error(`Counter's ABI changed: ${signatures(c.abi).join('; ')}`)
  compiled = {
    abi: COUNTER_ABI,
    bytecode: `0x${c.evm.bytecode.object}`,
    deployedBytecode: `0x${c.evm.deployedBytecode.object}`,
    evmVersion: metadata.settings.evmVersion,
  }
  return compiled
}

/** anvil's and Hardhat's default accounts 0–2 (the `test … junk` mnemonic) */
export const TEST_KEYS: readonly Hex[] = [
  '0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80',
  '0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d',
  '0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a',
]
export const TEST_ACCOUNTS = TEST_KEYS.map((k) => privateKeyToAccount(k))
/** wei each test account starts with, as on anvil (10,000 ETH) */
export const FUNDED_WEI = 10_000n * 10n ** 18n

export function testChain(id: number) {
  return defineChain({
    id,
    name: `test-${id}`,
    nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 },
    rpcUrls: { default: { http: [] } },
  })
}

export function clients(transport: Transport, chainId: number, accountIndex = 0) {
  const chain = testChain(chainId)
  const account = TEST_ACCOUNTS[accountIndex]
  if (account === undefined) throw new Error(`no test account ${accountIndex}`)
  return {
    public: createPublicClient({ chain, transport, pollingInterval: 20 }),
    wallet: createWalletClient({ chain, transport, account }),
    account,
  }
}

type Clients = ReturnType<typeof clients>

/** Deploys Counter from the clients' account; returns its address and the deployment receipt. */
export async function deployCounter(c: Clients) {
  const { abi, bytecode } = counterContract()
  const hash = await c.wallet.deployContract({ abi, bytecode })
  const receipt = await c.public.waitForTransactionReceipt({ hash })
  if (receipt.contractAddress === null || receipt.contractAddress === undefined) throw new Error('no contract address')
  return { address: receipt.contractAddress, receipt }
}

/** Sends `increment(amount)` and waits for its receipt. */
export async function increment(c: Clients, address: Hex, amount: bigint) {
  const { abi } = counterContract()
  const hash = await c.wallet.writeContract({ address, abi, functionName: 'increment', args: [amount] })
  return c.public.waitForTransactionReceipt({ hash })
}
