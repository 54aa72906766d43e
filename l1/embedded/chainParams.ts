/**
 * @module The embedded L1's fixed chain parameters: an Osaka-rules chain with a custom chain id, a 30M gas
 * block limit and a 1 gwei initial base fee, blocks with no coinbase reward (proof of stake: only priority fees
 * go to the zero-address coinbase).
 *
 * Osaka because solc 0.8.37 targets it by default: PUSH0 (Shanghai), MCOPY and transient storage (Cancun) and
 * CLZ (Osaka) must all execute. Osaka also caps a transaction's gas at 2^24 (EIP-7825), as on mainnet.
 */

import { type Common, createCustomCommon, Hardfork, Mainnet } from '@ethereumjs/common'
import { paramsTx } from '@ethereumjs/tx'
import { ecrecover } from './nativeEcrecover.ts'

export const DEFAULT_CHAIN_ID = 31337
/** gas per block, as anvil's default */
export const BLOCK_GAS_LIMIT = 30_000_000n
/** wei per gas of the genesis block; EIP-1559 moves it from there (empty blocks lower it 12.5% each) */
export const INITIAL_BASE_FEE = 1_000_000_000n
/** wei per gas suggested as a tip (eth_maxPriorityFeePerGas), as geth and anvil suggest */
export const SUGGESTED_PRIORITY_FEE = 1_000_000_000n
export const CLIENT_VERSION = 'perpd-embedded-l1/0.1.0'

export function createChainCommon(chainId: number): Common {
  return createCustomCommon({ chainId, name: `embedded-${chainId}` }, Mainnet, {
    hardfork: Hardfork.Osaka,
    customCrypto: { ecrecover },
  })
}

/** Osaka's per-transaction gas cap (EIP-7825, 2^24), read from the tx library's rules rather than restated */
export function transactionGasCap(common: Common): bigint {
  if (gasCap === undefined) {
    const rules = common.copy()
    rules.updateParams(paramsTx)
    gasCap = rules.param('maxTransactionGasLimit')
  }
  return gasCap
}
let gasCap: bigint | undefined
