/**
 * @module The embedded L1 of a devnet or of `perpd start --l1 embedded`: starts the in-process L1
 * (l1/ on @ethereumjs/vm, journaled under `<dataDir>`), deploys the mock USDC and the rollup on first start and
 * records the deployment in `<dataDir>/deployment.json`, so a resumed chain finds its contract again.
 *
 * Devnet facts: the rollup's sequencer is genesis.sequencer (devnet account 13, which also posts the roots);
 * devnet accounts 0–13 get 1,000 ETH for gas; traders 0–9 get 1,000,000 mock USDC on L1 to deposit; the rollup is
 * minted the USDC that genesis credits on L2 (its backing: the escape hatch can pay every genesis balance).
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Address, Hex } from 'viem'
import { createPublicClient, createWalletClient, custom } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import type { Genesis } from '../engine/index.ts'
import type { EmbeddedL1, RollupParams } from '../l1/index.ts'
import { deployRollup, startEmbeddedL1 } from '../l1/index.ts'
import { toHex } from '../state/index.ts'
import { genesisBlock } from './chain.ts'
import { devnetKey, SEQUENCER_KEY_INDEX } from './devnetKeys.ts'
import type { L1Options } from './l1Link.ts'

export interface RollupDeploymentRecord {
  l1ChainId: number
  rollup: Address
  token: Address
  deployedAtBlock: string
  challengeWindowSec: string
  escapeTimeoutSec: string
}

export interface EmbeddedSettlement {
  readonly l1: EmbeddedL1
  readonly deployment: RollupDeploymentRecord
  /** the L1 options a node on this process uses (the in-process EIP-1193 endpoint) */
  readonly options: L1Options
  stop(): Promise<void>
}

export interface EmbeddedSettlementInit {
  genesis: Genesis
  dataDir: string
  /** serve the L1's Ethereum JSON-RPC here too (other processes, wallets, `cast`); omit to stay in-process */
  host?: string
  port?: number
  /** seconds a settled root waits before its withdrawals finalize (devnet default 10) */
  challengeWindowSec?: bigint
  /** seconds without a settled root before escape mode (devnet default 3,600) */
  escapeTimeoutSec?: bigint
  log: (msg: string) => void
}

const ETH = 10n ** 18n
const USDC = 1_000_000n
const TRADERS = 10
const DEPLOYER_INDEX = 0

/** USDC units genesis credits on L2: every account's collateral and the insurance fund */
function genesisUsdc(genesis: Genesis): bigint {
  let total = genesis.insuranceFund
  for (const a of genesis.accounts) total += a.collateral
  return total
}

/**
 * The devnet's rollup: sequencer = genesis.sequencer, backed by the USDC genesis credits, traders 0–9 holding
 * 1,000,000 mock USDC on L1 to deposit.
 */
export function devnetRollupParams(
  genesis: Genesis,
  challengeWindowSec: bigint,
  escapeTimeoutSec: bigint,
): RollupParams {
  return {
    sequencer: genesis.sequencer as Address,
    challengeWindowSec,
    escapeTimeoutSec,
    genesisStateRoot: toHex(genesisBlock(genesis).block.header.stateRoot) as Hex,
    backing: genesisUsdc(genesis),
    mint: Array.from({ length: TRADERS }, (_, i) => ({
      address: devnetKey(i).account.address,
      amount: 1_000_000n * USDC,
    })),
  }
}

export async function startEmbeddedSettlement(init: EmbeddedSettlementInit): Promise<EmbeddedSettlement> {
  mkdirSync(init.dataDir, { recursive: true })
  const l1 = await startEmbeddedL1({
    fund: Array.from({ length: SEQUENCER_KEY_INDEX + 1 }, (_, i) => ({
      address: devnetKey(i).account.address,
      wei: 1_000n * ETH,
    })),
    dataDir: init.dataDir,
    ...(init.host !== undefined ? { host: init.host, port: init.port ?? 0 } : {}),
    log: init.log,
  })
  try {
    const file = join(init.dataDir, 'deployment.json')
    let deployment: RollupDeploymentRecord
    if (existsSync(file)) deployment = JSON.parse(readFileSync(file, 'utf8')) as RollupDeploymentRecord
    else {
      const transport = custom(l1)
      const account = privateKeyToAccount(toHex(devnetKey(DEPLOYER_INDEX).privateKey) as Hex)
      // short enough that the root a withdrawal finalizes against is still within the devnet's kept heights
      const challengeWindowSec = init.challengeWindowSec ?? 10n
      const escapeTimeoutSec = init.escapeTimeoutSec ?? 3_600n
      const d = await deployRollup(
        createWalletClient({ transport, account }),
        createPublicClient({ transport }),
        devnetRollupParams(init.genesis, challengeWindowSec, escapeTimeoutSec),
      )
      deployment = {
        l1ChainId: l1.chainId,
        rollup: d.rollup,
        token: d.token,
        deployedAtBlock: d.deployedAtBlock.toString(),
        challengeWindowSec: challengeWindowSec.toString(),
        escapeTimeoutSec: escapeTimeoutSec.toString(),
      }
      writeFileSync(`${file}.tmp`, `${JSON.stringify(deployment, null, 2)}\n`)
      renameSync(`${file}.tmp`, file)
      init.log(`l1: deployed the rollup at ${d.rollup} and mock USDC at ${d.token} on the embedded L1 ${l1.chainId}`)
    }
    return {
      l1,
      deployment,
      options: { endpoint: l1, rollup: deployment.rollup },
      stop: () => l1.stop(),
    }
  } catch (e) {
    await l1.stop()
    throw e
  }
}
