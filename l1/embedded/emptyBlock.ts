/**
 * @module The shortcut for empty blocks, most of this chain (one a second while idle): when no system contract
 * is deployed, an empty block changes no state, so its header follows from the parent alone and is made
 * directly instead of through the block builder (which looks up the system contracts, runs the request
 * accumulators and hashes empty tries, ~0.5 ms a block). That makes replaying a long-idle journal cheap.
 *
 * The system contracts are those Osaka's block processing calls: EIP-4788 beacon roots, EIP-2935 block hashes
 * (both only if they have code) and the EIP-7002 / EIP-7251 request predeploys (if the account exists). On this
 * chain they exist only if someone deploys them (their keyless deployment transactions work on any chain); then
 * every empty block goes through the builder again. A test builds blocks both ways and compares hashes.
 */

import type { Block } from '@ethereumjs/block'
import { createBlock } from '@ethereumjs/block'
import type { Common } from '@ethereumjs/common'
import { bytesToHex, createAddressFromString, KECCAK256_RLP } from '@ethereumjs/util'
import type { VM } from '@ethereumjs/vm'

const WITH_CODE = [
  '0x000F3df6D732807Ef1319fB7B8bB8522d0Beac02', // EIP-4788 beacon roots
  '0x0000F90827F1C53a10cb7A02335B175320002935', // EIP-2935 history storage
].map((a) => createAddressFromString(a))
const WITH_ACCOUNT = [
  '0x00000961Ef480Eb55e80D19ad83579A64c007002', // EIP-7002 withdrawal requests
  '0x0000BBdDc7CE488642fb579F8B00f3a590007251', // EIP-7251 consolidation requests
].map((a) => createAddressFromString(a))

/** state root (hex) → whether no system contract is present under it; one entry, as empty blocks repeat it */
let checked: { root: string; quiet: boolean } | undefined

/** True when an empty block on `parent` would not touch state (no system contract to call). */
export async function emptyBlockIsStateless(vm: VM, parent: Block): Promise<boolean> {
  const root = bytesToHex(parent.header.stateRoot)
  if (checked?.root === root) return checked.quiet
  let quiet = true
  for (const a of WITH_CODE) if ((await vm.stateManager.getCode(a)).length > 0) quiet = false
  for (const a of WITH_ACCOUNT) if ((await vm.stateManager.getAccount(a)) !== undefined) quiet = false
  checked = { root, quiet }
  return quiet
}

/**
 * The empty block the builder would make on `parent`: same state root, empty transaction, receipt and
 * withdrawal tries, zero bloom and gas, the next blob excess, and (by the header defaults) a zero parent beacon
 * root and the hash of no requests.
 */
export function emptyBlock(common: Common, parent: Block, timestamp: bigint, gasLimit: bigint, baseFee: bigint): Block {
  const p = parent.header
  return createBlock(
    {
      header: {
        parentHash: parent.hash(),
        number: p.number + 1n,
        timestamp,
        gasLimit,
        baseFeePerGas: baseFee,
        stateRoot: p.stateRoot,
        transactionsTrie: KECCAK256_RLP,
        receiptTrie: KECCAK256_RLP,
        withdrawalsRoot: KECCAK256_RLP,
        blobGasUsed: 0n,
        excessBlobGas: p.calcNextExcessBlobGas(common),
      },
      withdrawals: [],
    },
    { common },
  )
}
