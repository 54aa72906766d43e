/**
 * @module Deploying the settlement on any EIP-1193 chain viem can talk to (anvil, the embedded L1, a testnet):
 * the MockUSDC token, then PerpRollup holding it, then the token mints the parameters ask for. Each transaction
 * waits for its receipt before the next, so nonces never race and a revert stops the deployment at once.
 */
import type { Account, Address, Chain, Hex, PublicClient, TransactionReceipt, WalletClient } from 'viem'
import { ROLLUP_ABI, TOKEN_ABI } from './abi.ts'
import { ROLLUP_BYTECODE, TOKEN_BYTECODE } from './artifacts.ts'

export interface RollupParams {
  /** the only address allowed to submitRoot */
  sequencer: Address
  /** seconds a root can be challenged; its withdrawals are paid after it */
  challengeWindowSec: bigint
  /** seconds without a root before escape mode; must exceed challengeWindowSec (the constructor checks) */
  escapeTimeoutSec: bigint
  /** addresses allowed to challenge roots (none: roots are final after the window without any check) */
  challengers?: Address[]
  /** the state root of L2 genesis (height 0) */
  genesisStateRoot: Hex
  /** token minted to the rollup itself: backs genesis balances (USDC units) */
  backing?: bigint
  /** token minted to these addresses, e.g. devnet traders who will deposit (USDC units) */
  mint?: { address: Address; amount: bigint }[]
}

export interface RollupDeployment {
  rollup: Address
  token: Address
  /** the L1 block of the rollup's creation: where a deposit watcher starts reading events */
  deployedAtBlock: bigint
}

export class DeploymentError extends Error {
  override name = 'DeploymentError'
}

async function mined(publicClient: PublicClient, hash: Hex, what: string): Promise<TransactionReceipt> {
  const receipt = await publicClient.waitForTransactionReceipt({ hash })
  if (receipt.status !== 'success') throw new DeploymentError(`${what} reverted in transaction ${hash}`)
  return receipt
}

function createdAddress(receipt: TransactionReceipt, what: string): Address {
  if (receipt.contractAddress === null || receipt.contractAddress === undefined)
    throw new DeploymentError(`${what}: the receipt of ${receipt.transactionHash} names no created contract`)
  return receipt.contractAddress
}

/** Deploys token and rollup from `wallet`'s account and mints what `p` asks for. */
export async function deployRollup(
  wallet: WalletClient,
  publicClient: PublicClient,
  p: RollupParams,
): Promise<RollupDeployment> {
  const account: Account | undefined = wallet.account
  if (account === undefined) throw new DeploymentError('the wallet client has no account to deploy from')
  const chain: Chain | null = wallet.chain ?? null
  const tokenHash = await wallet.deployContract({ abi: TOKEN_ABI, bytecode: TOKEN_BYTECODE, account, chain })
  const token = createdAddress(await mined(publicClient, tokenHash, 'MockUSDC deployment'), 'MockUSDC deployment')
  const rollupHash = await wallet.deployContract({
    abi: ROLLUP_ABI,
    bytecode: ROLLUP_BYTECODE,
    account,
    chain,
    args: [token, p.sequencer, p.challengeWindowSec, p.escapeTimeoutSec, p.challengers ?? [], p.genesisStateRoot],
  })
  const rollupReceipt = await mined(publicClient, rollupHash, 'PerpRollup deployment')
  const rollup = createdAddress(rollupReceipt, 'PerpRollup deployment')
  const mints = [
    ...(p.backing !== undefined && p.backing > 0n ? [{ address: rollup, amount: p.backing }] : []),
    ...(p.mint ?? []),
  ]
  for (const m of mints) {
    const hash = await wallet.writeContract({
      address: token,
      abi: TOKEN_ABI,
      functionName: 'mint',
      args: [m.address, m.amount],
      account,
      chain,
    })
    await mined(publicClient, hash, `mint of ${m.amount} to ${m.address}`)
  }
  return { rollup, token, deployedAtBlock: rollupReceipt.blockNumber }
}
