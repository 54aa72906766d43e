import { createTxFromRLP } from '@ethereumjs/tx'
import { hexToBytes } from '@ethereumjs/util'
import { createVM } from '@ethereumjs/vm'
import { expect, it } from 'vitest'
import { createGenesis, mineBlock } from '../../l1/embedded/blockProducer.ts'
import { createChainCommon } from '../../l1/embedded/chainParams.ts'
import type { MinedBlock } from '../../l1/embedded/chainStore.ts'
import { FUNDED_WEI, TEST_ACCOUNTS } from './l1.embedded.fixtures.ts'

it('empty blocks made directly equal those the block builder makes, before and after transactions', async () => {
  const common = createChainCommon(31337)
  const fund = TEST_ACCOUNTS.map((a) => ({ address: a.address, wei: FUNDED_WEI }))
  const chains = await Promise.all(
    [true, false].map(async (emptyShortcut) => {
      const vm = await createVM({ common })
      return { vm, emptyShortcut, head: await createGenesis(vm, common, fund, 1_700_000_000n) }
    }),
  )
  const account = TEST_ACCOUNTS[0]
  if (account === undefined) throw new Error('no account')
  const raw = await account.signTransaction({
    chainId: 31337,
    type: 'eip1559',
    to: TEST_ACCOUNTS[1]?.address,
    value: 5n,
    gas: 21_000n,
    nonce: 0,
    maxFeePerGas: 2_000_000_000n,
    maxPriorityFeePerGas: 1n,
  })
  // empty, empty, a transfer, then empty ones with uneven gaps (the base fee and blob excess move each block)
  const plan: [bigint, boolean][] = [
    [1n, false],
    [1n, false],
    [3n, true],
    [1n, false],
    [7n, false],
    [1n, false],
  ]
  const hashes: string[][] = [[], []]
  for (const [gap, withTx] of plan) {
    for (const [i, c] of chains.entries()) {
      const txs = withTx ? [createTxFromRLP(hexToBytes(raw), { common })] : []
      c.head = (await mineBlock(c.vm, c.head, c.head.timestamp + gap, txs, {
        emptyShortcut: c.emptyShortcut,
      })) as MinedBlock
      hashes[i]?.push(c.head.hash)
    }
  }
  expect(hashes[0]).toEqual(hashes[1])
  expect(new Set(hashes[0]).size).toBe(plan.length)
})
