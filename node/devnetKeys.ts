/**
 * @module Devnet keys from the well-known test mnemonic (anvil's and Hardhat's default): accounts 0–9 are
 * funded traders, 10–12 the oracle signers, 13 the sequencer (DESIGN §5). Never use these keys with value.
 */

import { mnemonicToSeedSync } from '@scure/bip39'
import type { HDAccount } from 'viem/accounts'
import { HDKey, hdKeyToAccount } from 'viem/accounts'

export const DEVNET_MNEMONIC = 'test test test test test test test test test test test junk'
export const DEVNET_KEY_COUNT = 14
export const ORACLE_KEY_INDEXES = [10, 11, 12] as const
export const SEQUENCER_KEY_INDEX = 13

export interface DevnetKey {
  index: number
  account: HDAccount
  privateKey: Uint8Array
}

let cached: DevnetKey[] | undefined

/** The 14 devnet keys, derived once (m/44'/60'/0'/0/i). */
export function devnetKeys(): DevnetKey[] {
  if (cached !== undefined) return cached
  const root = HDKey.fromMasterSeed(mnemonicToSeedSync(DEVNET_MNEMONIC))
  cached = Array.from({ length: DEVNET_KEY_COUNT }, (_, index) => {
    const account = hdKeyToAccount(root, { addressIndex: index })
    const key = root.derive(`m/44'/60'/0'/0/${index}`).privateKey
    if (key === null) throw new Error(`devnet key ${index} did not derive`)
    return { index, account, privateKey: key }
  })
  return cached
}

export function devnetKey(index: number): DevnetKey {
  const key = devnetKeys()[index]
  if (key === undefined) throw new Error(`no devnet key ${index}`)
  return key
}
