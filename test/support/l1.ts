/**
 * L1s for tests: anvil (@foundry-rs/anvil-linux-amd64, the Linux x64 binary package of @foundry-rs/anvil, an optional
 * dependency: the wrapper package lists every platform's binary, which a lockfile must resolve) or the embedded L1 (l1/ on @ethereumjs/vm), both on
 * loopback, both spoken to through viem, plus the devnet rollup deployed the way `perpd devnet` deploys it.
 */
import { spawn } from 'node:child_process'
import { join } from 'node:path'
import type { Address, Hex, PublicClient, Transport, WalletClient } from 'viem'
import { createPublicClient, createWalletClient, custom, http } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import type { RollupDeployment } from '../../l1/index.ts'
import { deployRollup, startEmbeddedL1 } from '../../l1/index.ts'
import { DEVNET_GENESIS_PATH, devnetKey, devnetRollupParams, loadGenesis } from '../../node/index.ts'
import { toHex } from '../../state/index.ts'
import { REPO_ROOT } from './cliNode.ts'
import { freePort } from './nodes.ts'

export interface TestL1 {
  kind: 'anvil' | 'embedded'
  url: string
  transport: Transport
  /** the endpoint a node takes in L1Options */
  endpoint: string | { request: never }
  /** moves L1 time forward by `seconds` and mines a block */
  increaseTime(seconds: number): Promise<void>
  stop(): Promise<void>
}

const ETH = 10n ** 18n
export const USDC = 1_000_000n

export async function startAnvil(): Promise<TestL1> {
  const port = await freePort()
  const bin = join(REPO_ROOT, 'node_modules', '.bin', 'anvil')
  // 14 accounts: the devnet mnemonic's traders 0–9, oracle signers 10–12 and the sequencer 13 all have ETH
  const child = spawn(bin, ['--host', '127.0.0.1', '--port', String(port), '--accounts', '14', '--silent'], {
    stdio: 'ignore',
  })
  const url = `http://127.0.0.1:${port}`
  const transport = http(url, { retryCount: 0 })
  const client = createPublicClient({ transport })
  const until = Date.now() + 20_000
  for (;;) {
    if (
      await client.getChainId().then(
        () => true,
        () => false,
      )
    )
      break
    if (Date.now() > until || child.exitCode !== null) throw new Error('anvil did not start')
    await new Promise((r) => setTimeout(r, 100))
  }
  return {
    kind: 'anvil',
    url,
    transport,
    endpoint: url,
    async increaseTime(seconds) {
      await client.request({ method: 'evm_increaseTime' as never, params: [seconds] as never })
      await client.request({ method: 'evm_mine' as never, params: [] as never })
    },
    async stop() {
      if (child.exitCode !== null) return
      const exited = new Promise((r) => child.once('exit', r))
      child.kill('SIGTERM')
      await exited
    },
  }
}

export async function startEmbedded(): Promise<TestL1> {
  const l1 = await startEmbeddedL1({
    fund: Array.from({ length: 14 }, (_, i) => ({ address: devnetKey(i).account.address, wei: 1_000n * ETH })),
    host: '127.0.0.1',
    port: 0,
    blockTimeMs: 500,
  })
  return {
    kind: 'embedded',
    url: l1.url as string,
    transport: custom(l1),
    endpoint: l1 as never,
    increaseTime: (seconds) => l1.increaseTime(seconds),
    stop: () => l1.stop(),
  }
}

export function clients(l1: TestL1, keyIndex: number): { wallet: WalletClient; pub: PublicClient; address: Address } {
  const account = privateKeyToAccount(toHex(devnetKey(keyIndex).privateKey) as Hex)
  return {
    wallet: createWalletClient({ transport: l1.transport, account }),
    pub: createPublicClient({ transport: l1.transport }) as PublicClient,
    address: account.address,
  }
}

/** The devnet rollup, deployed as `perpd devnet` deploys it (node/l1Setup.ts devnetRollupParams). */
export async function deployDevnetRollup(
  l1: TestL1,
  o: { challengeWindowSec?: bigint; escapeTimeoutSec?: bigint } = {},
): Promise<RollupDeployment> {
  const { wallet, pub } = clients(l1, 0)
  return deployRollup(
    wallet,
    pub,
    devnetRollupParams(loadGenesis(DEVNET_GENESIS_PATH), o.challengeWindowSec ?? 30n, o.escapeTimeoutSec ?? 3_600n),
  )
}
