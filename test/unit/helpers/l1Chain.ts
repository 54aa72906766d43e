/**
 * An anvil L1 for the l1 tests: started from node_modules/.bin/anvil on 127.0.0.1 at a free port (silent,
 * auto-mining), with viem clients for the well-known test accounts 0–5 (genesis.json's traders 0–5 on L2), time
 * travel, and the rollup deployed from account 0. `stop()` kills the process and waits for it to exit.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { join } from 'node:path'
import { createEVM } from '@ethereumjs/evm'
import { createAddressFromString } from '@ethereumjs/util'
import type {
  Account,
  Address,
  ContractFunctionArgs,
  ContractFunctionName,
  Hex,
  PublicClient,
  WalletClient,
} from 'viem'
import { createPublicClient, createTestClient, createWalletClient, http } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { foundry } from 'viem/chains'
import type { RollupDeployment, RollupParams } from '../../../l1/index.ts'
import { deployRollup, ROLLUP_ABI, ROLLUP_DEPLOYED_BYTECODE, TOKEN_ABI } from '../../../l1/index.ts'
import { freePort } from '../../support/nodes.ts'

/** Private keys of the test mnemonic's accounts 0–5 (anvil's defaults; public knowledge). */
const KEYS: readonly Hex[] = [
  '0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80',
  '0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d',
  '0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a',
  '0x7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6',
  '0x47e179ec197488593b187f80a00eb0da91f1b9d0b13f8733639f19c30a34926a',
  '0x8b3a350cf5c34c9194ca85829a2df0ec3153be0318b5e2d3348e872092edffba',
]

export const testAccounts: readonly Account[] = KEYS.map((k) => privateKeyToAccount(k))

export interface AnvilChain {
  url: string
  publicClient: PublicClient
  /** a wallet client for test account i (0–5) */
  wallet(i: number): WalletClient
  /** moves the chain's clock forward by `seconds` and mines a block at the new time */
  advance(seconds: bigint): Promise<void>
  /** mines a block whose timestamp is exactly `timestamp` (s; not before the latest block's) */
  mineAt(timestamp: bigint): Promise<void>
  /** the latest block's timestamp, s */
  now(): Promise<bigint>
  stop(): Promise<void>
}

async function waitReady(url: string, child: ChildProcess): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (child.exitCode !== null) throw new Error(`anvil exited with code ${child.exitCode}`)
    try {
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_chainId', params: [] }),
      })
      if (res.ok) return
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 50))
  }
  throw new Error(`anvil did not answer at ${url} within 10 s`)
}

export async function startAnvil(): Promise<AnvilChain> {
  const port = await freePort()
  const bin = join(import.meta.dirname, '..', '..', '..', 'node_modules', '.bin', 'anvil')
  const child = spawn(bin, ['--host', '127.0.0.1', '--port', String(port), '--silent'], { stdio: 'ignore' })
  const url = `http://127.0.0.1:${port}`
  // a test process that dies without its afterAll must not leave anvil running
  const killOnExit = (): void => {
    child.kill('SIGKILL')
  }
  process.once('exit', killOnExit)
  try {
    await waitReady(url, child)
  } catch (e) {
    child.kill('SIGKILL')
    throw e
  }
  const transport = http(url, { retryCount: 0 })
  const publicClient = createPublicClient({ chain: foundry, transport, pollingInterval: 20 }) as PublicClient
  const testClient = createTestClient({ chain: foundry, mode: 'anvil', transport })
  const wallets = testAccounts.map((account) => createWalletClient({ account, chain: foundry, transport }))
  return {
    url,
    publicClient,
    wallet: (i) => wallets[i] as WalletClient,
    async advance(seconds) {
      await testClient.increaseTime({ seconds: Number(seconds) })
      await testClient.mine({ blocks: 1 })
    },
    async mineAt(timestamp) {
      await testClient.setNextBlockTimestamp({ timestamp })
      await testClient.mine({ blocks: 1 })
    },
    async now() {
      return (await publicClient.getBlock()).timestamp
    },
    stop: () =>
      new Promise<void>((resolve) => {
        process.off('exit', killOnExit)
        if (child.exitCode !== null) return resolve()
        child.once('exit', () => resolve())
        child.kill('SIGTERM')
      }),
  }
}

/** Deploys token and rollup from account 0 (account 1 is the sequencer unless `p` says otherwise). */
export function deployForTest(chain: AnvilChain, p: Partial<RollupParams> & { genesisStateRoot: Hex }) {
  return deployRollup(chain.wallet(0), chain.publicClient, {
    sequencer: testAccounts[1]?.address as Address,
    challengeWindowSec: 100n,
    escapeTimeoutSec: 1_000n,
    ...p,
  }) satisfies Promise<RollupDeployment>
}

export async function tokenBalance(chain: AnvilChain, token: Address, who: Address): Promise<bigint> {
  return chain.publicClient.readContract({ address: token, abi: TOKEN_ABI, functionName: 'balanceOf', args: [who] })
}

type RollupWrite = ContractFunctionName<typeof ROLLUP_ABI, 'nonpayable'>

/** Sends a rollup call from test account `from` and waits for it; throws (with the decoded error) on revert. */
export async function rollupTx<F extends RollupWrite>(
  chain: AnvilChain,
  rollup: Address,
  from: number,
  functionName: F,
  args: ContractFunctionArgs<typeof ROLLUP_ABI, 'nonpayable', F>,
): Promise<{ gasUsed: bigint }> {
  const wallet = chain.wallet(from)
  const { request } = await chain.publicClient.simulateContract({
    address: rollup,
    abi: ROLLUP_ABI,
    functionName,
    args,
    account: wallet.account,
  } as never)
  const hash = await wallet.writeContract(request as never)
  const receipt = await chain.publicClient.waitForTransactionReceipt({ hash })
  if (receipt.status !== 'success') throw new Error(`${functionName} reverted in ${hash}`)
  return { gasUsed: receipt.gasUsed }
}

/**
 * Execution gas (no intrinsic or calldata gas) of a call to the rollup's runtime code on @ethereumjs/evm, for
 * pure functions such as verifyStateProof (immutables are not set). Throws if the call reverts.
 */
export async function rollupExecutionGas(data: Hex): Promise<{ gas: bigint; returnValue: Uint8Array }> {
  const evm = await createEVM()
  const to = createAddressFromString(`0x${'42'.repeat(20)}`)
  await evm.stateManager.putCode(to, Buffer.from(ROLLUP_DEPLOYED_BYTECODE.slice(2), 'hex'))
  const r = await evm.runCall({ to, data: Buffer.from(data.slice(2), 'hex'), gasLimit: 1_000_000n })
  if (r.execResult.exceptionError !== undefined) throw new Error(`call reverted: ${r.execResult.exceptionError.error}`)
  return { gas: r.execResult.executionGasUsed, returnValue: r.execResult.returnValue }
}

/** Standard calldata gas (EIP-2028): 16 per non-zero byte, 4 per zero byte. */
export function calldataGas(data: Hex): bigint {
  let gas = 0n
  for (let i = 2; i < data.length; i += 2) gas += data.slice(i, i + 2) === '00' ? 4n : 16n
  return gas
}
