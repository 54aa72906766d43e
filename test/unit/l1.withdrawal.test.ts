/**
 * Roots and withdrawals on anvil: an engine state with a pending withdrawal is committed to the tree, its root
 * settled; finalizing pays the recipient only after the challenge window, exactly once, only with the leaf's
 * exact fields, and never from a challenged root. Root submission is the sequencer's alone, heights increase,
 * and a challenge (listed challengers, within the window, never genesis) moves the head back.
 */
import type { Address, Hex } from 'viem'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Address as EngineAddress } from '../../engine/index.ts'
import type { WithdrawalLeaf } from '../../l1/index.ts'
import { ROLLUP_ABI, withdrawalLeafValue } from '../../l1/index.ts'
import { toHex, withdrawalKey } from '../../state/index.ts'
import { ACCOUNTS, GENESIS_COLLATERAL, stateFromGenesisFile } from './helpers/engineFixtures.ts'
import type { AnvilChain } from './helpers/l1Chain.ts'
import { deployForTest, rollupTx, startAnvil, testAccounts, tokenBalance } from './helpers/l1Chain.ts'
import { CommittedChain, withdrawTx } from './helpers/l1State.ts'

const USDC = 1_000_000n
const WINDOW = 100n
const [, , CHALLENGER, RECIPIENT] = testAccounts.map((a) => a.address) as [Address, Address, Address, Address]
const TRADER = ACCOUNTS[2] as EngineAddress
/** the engine's addresses are lowercase hex */
const RECIPIENT_L2 = RECIPIENT.toLowerCase() as EngineAddress
const blockHashOf = (h: bigint): Hex => `0x${h.toString(16).padStart(64, 'b')}`

let chain: AnvilChain
let rollup: Address
let token: Address
let l2: CommittedChain
/** withdrawal 1 (in root 1) and its proof at height 1 */
let w1: WithdrawalLeaf
let proof1: Hex

beforeAll(async () => {
  l2 = new CommittedChain(stateFromGenesisFile())
  const genesisRoot = l2.root
  l2.block([withdrawTx(TRADER, RECIPIENT_L2, 12_345n * USDC)])
  w1 = l2.state.withdrawals.get(1n) as WithdrawalLeaf
  proof1 = l2.proof(withdrawalKey(1n))
  chain = await startAnvil()
  const d = await deployForTest(chain, {
    genesisStateRoot: genesisRoot,
    challengeWindowSec: WINDOW,
    challengers: [CHALLENGER],
    backing: 11n * GENESIS_COLLATERAL,
  })
  rollup = d.rollup
  token = d.token
  await rollupTx(chain, rollup, 1, 'submitRoot', [1n, blockHashOf(1n), l2.root])
})

afterAll(async () => {
  await chain?.stop()
})

const finalizeArgs = (w: WithdrawalLeaf, rootHeight: bigint, proof: Hex, amount = w.amount) =>
  [rootHeight, w.id, w.account, w.subaccount, w.recipient, amount, w.height, proof] as const

const read = <T>(functionName: string, args: readonly unknown[] = []): Promise<T> =>
  chain.publicClient.readContract({ address: rollup, abi: ROLLUP_ABI, functionName, args } as never) as Promise<T>

describe('withdrawals', () => {
  it('the withdrawal leaf rebuilt from its fields is the engine’s leaf value', () => {
    expect(toHex(withdrawalLeafValue(w1))).toBe(toHex(l2.leaf(withdrawalKey(1n)) as Uint8Array))
    expect(w1).toMatchObject({ id: 1n, account: TRADER, recipient: RECIPIENT_L2, amount: 12_345n * USDC })
  })

  it('is refused inside the challenge window, paid once after it, and only with the leaf’s exact fields', async () => {
    await expect(rollupTx(chain, rollup, 4, 'finalizeWithdrawal', finalizeArgs(w1, 1n, proof1))).rejects.toThrow(
      /ChallengeWindowOpen/,
    )
    await chain.advance(WINDOW)
    await expect(
      rollupTx(chain, rollup, 4, 'finalizeWithdrawal', finalizeArgs(w1, 1n, proof1, w1.amount + 1n)),
    ).rejects.toThrow(/InvalidProof/)
    const otherRecipient = { ...w1, recipient: TRADER }
    await expect(
      rollupTx(chain, rollup, 4, 'finalizeWithdrawal', finalizeArgs(otherRecipient, 1n, proof1)),
    ).rejects.toThrow(/InvalidProof/)
    await expect(rollupTx(chain, rollup, 4, 'finalizeWithdrawal', finalizeArgs(w1, 0n, proof1))).rejects.toThrow(
      /InvalidProof/, // genesis has no withdrawal 1
    )
    await expect(rollupTx(chain, rollup, 4, 'finalizeWithdrawal', finalizeArgs(w1, 7n, proof1))).rejects.toThrow(
      /UnknownRoot/,
    )
    const before = await tokenBalance(chain, token, RECIPIENT)
    await rollupTx(chain, rollup, 4, 'finalizeWithdrawal', finalizeArgs(w1, 1n, proof1))
    expect(await tokenBalance(chain, token, RECIPIENT)).toBe(before + 12_345n * USDC)
    expect(await read<boolean>('withdrawn', [1n])).toBe(true)
    const logs = await chain.publicClient.getContractEvents({
      address: rollup,
      abi: ROLLUP_ABI,
      eventName: 'WithdrawalFinalized',
      fromBlock: 0n,
    })
    expect(logs.map((l) => l.args)).toEqual([{ id: 1n, recipient: RECIPIENT, amount: 12_345n * USDC }])
    await expect(rollupTx(chain, rollup, 4, 'finalizeWithdrawal', finalizeArgs(w1, 1n, proof1))).rejects.toThrow(
      /AlreadyWithdrawn/,
    )
  })

  it('is refused from a challenged root, whose challenge moves the head back to the root before it', async () => {
    const root1 = await read<readonly [Hex, Hex, bigint, boolean]>('roots', [1n])
    l2.block([withdrawTx(TRADER, RECIPIENT_L2, 500n * USDC)])
    const w2 = l2.state.withdrawals.get(2n) as WithdrawalLeaf
    const proof2 = l2.proof(withdrawalKey(2n))
    await rollupTx(chain, rollup, 1, 'submitRoot', [2n, blockHashOf(2n), l2.root])
    expect(await read<bigint>('lastSettledHeight')).toBe(2n)
    await expect(rollupTx(chain, rollup, 3, 'challengeRoot', [2n])).rejects.toThrow(/NotChallenger/)
    await rollupTx(chain, rollup, 2, 'challengeRoot', [2n])
    await expect(rollupTx(chain, rollup, 2, 'challengeRoot', [2n])).rejects.toThrow(/AlreadyChallenged/)
    expect(await read<readonly unknown[]>('roots', [2n])).toEqual([blockHashOf(2n), l2.root, expect.any(BigInt), true])
    expect(await read<bigint>('lastSettledHeight')).toBe(1n)
    expect(await read<bigint>('lastSettledAt')).toBe(root1[2])
    await chain.advance(WINDOW)
    await expect(rollupTx(chain, rollup, 4, 'finalizeWithdrawal', finalizeArgs(w2, 2n, proof2))).rejects.toThrow(
      /ChallengedRoot/,
    )
    // the sequencer settles the height again; that root pays once its own window has passed
    await rollupTx(chain, rollup, 1, 'submitRoot', [2n, blockHashOf(2n), l2.root])
    await expect(rollupTx(chain, rollup, 4, 'finalizeWithdrawal', finalizeArgs(w2, 2n, proof2))).rejects.toThrow(
      /ChallengeWindowOpen/,
    )
    await chain.advance(WINDOW)
    await rollupTx(chain, rollup, 4, 'finalizeWithdrawal', finalizeArgs(w2, 2n, proof2))
    expect(await read<boolean>('withdrawn', [2n])).toBe(true)
  })
})

describe('roots and challenges', () => {
  it('only the sequencer submits, at increasing heights; RootSubmitted carries the root', async () => {
    const head = await read<bigint>('lastSettledHeight')
    await expect(rollupTx(chain, rollup, 0, 'submitRoot', [head + 1n, blockHashOf(9n), l2.root])).rejects.toThrow(
      /NotSequencer/,
    )
    await expect(rollupTx(chain, rollup, 1, 'submitRoot', [head, blockHashOf(9n), l2.root])).rejects.toThrow(
      /HeightNotAboveLastSettled/,
    )
    await rollupTx(chain, rollup, 1, 'submitRoot', [head + 5n, blockHashOf(9n), l2.root])
    const [log] = await chain.publicClient.getContractEvents({
      address: rollup,
      abi: ROLLUP_ABI,
      eventName: 'RootSubmitted',
      args: { height: head + 5n },
      fromBlock: 0n,
    })
    expect(log?.args).toEqual({
      height: head + 5n,
      blockHash: blockHashOf(9n),
      stateRoot: l2.root,
      settledAt: await chain.now(),
    })
  })

  it('a challenge is refused after the window and for genesis', async () => {
    const head = await read<bigint>('lastSettledHeight')
    await chain.advance(WINDOW)
    await expect(rollupTx(chain, rollup, 2, 'challengeRoot', [head])).rejects.toThrow(/ChallengeWindowClosed/)
    await expect(rollupTx(chain, rollup, 2, 'challengeRoot', [0n])).rejects.toThrow(/GenesisRootFinal/)
    await expect(rollupTx(chain, rollup, 2, 'challengeRoot', [head + 1n])).rejects.toThrow(/UnknownRoot/)
  })
})
