/**
 * Deposits on anvil: the token moves by transferFrom, sequence numbers count from 0, each deposit is stored
 * (L2 account, amount, L1 time and block) and announced by Deposited; a zero amount, the zero L2 account and a
 * missing allowance are refused with nothing stored.
 */
import type { Address } from 'viem'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ROLLUP_ABI, TOKEN_ABI } from '../../l1/index.ts'
import type { AnvilChain } from './helpers/l1Chain.ts'
import { deployForTest, rollupTx, startAnvil, testAccounts, tokenBalance } from './helpers/l1Chain.ts'

const USDC = 1_000_000n
const [FIRST, SECOND, , , L2_ACCOUNT] = testAccounts.map((a) => a.address) as Address[] as [
  Address,
  Address,
  Address,
  Address,
  Address,
]

let chain: AnvilChain
let rollup: Address
let token: Address

const read = <T>(functionName: string, args: readonly unknown[] = []): Promise<T> =>
  chain.publicClient.readContract({ address: rollup, abi: ROLLUP_ABI, functionName, args } as never) as Promise<T>

async function approve(from: number, amount: bigint): Promise<void> {
  const wallet = chain.wallet(from)
  const hash = await wallet.writeContract({
    address: token,
    abi: TOKEN_ABI,
    functionName: 'approve',
    args: [rollup, amount],
    account: wallet.account ?? null,
    chain: wallet.chain,
  })
  await chain.publicClient.waitForTransactionReceipt({ hash })
}

beforeAll(async () => {
  chain = await startAnvil()
  const d = await deployForTest(chain, {
    genesisStateRoot: `0x${'00'.repeat(32)}`,
    mint: [
      { address: FIRST, amount: 500n * USDC },
      { address: SECOND, amount: 500n * USDC },
    ],
  })
  rollup = d.rollup
  token = d.token
})

afterAll(async () => {
  await chain?.stop()
})

describe('deposits', () => {
  it('move the token by transferFrom, number deposits from 0 and store and announce each', async () => {
    await approve(0, 300n * USDC)
    await approve(1, 2n ** 256n - 1n)
    await rollupTx(chain, rollup, 0, 'deposit', [120n * USDC, L2_ACCOUNT])
    const first = await chain.publicClient.getBlock()
    await rollupTx(chain, rollup, 1, 'deposit', [7n, FIRST])
    await rollupTx(chain, rollup, 0, 'deposit', [180n * USDC, SECOND])
    const last = await chain.publicClient.getBlock()
    expect(await read<bigint>('depositCount')).toBe(3n)
    expect(await read('deposits', [0n])).toEqual([L2_ACCOUNT, 120n * USDC, first.timestamp, first.number])
    expect(await read('deposits', [2n])).toEqual([SECOND, 180n * USDC, last.timestamp, last.number])
    expect(await read('deposits', [3n])).toEqual(['0x0000000000000000000000000000000000000000', 0n, 0n, 0n])
    expect(await tokenBalance(chain, token, rollup)).toBe(300n * USDC + 7n)
    expect(await tokenBalance(chain, token, FIRST)).toBe(200n * USDC)
    const logs = await chain.publicClient.getContractEvents({
      address: rollup,
      abi: ROLLUP_ABI,
      eventName: 'Deposited',
      fromBlock: 0n,
    })
    expect(logs.map((l) => l.args)).toEqual([
      { seq: 0n, from: FIRST, l2Account: L2_ACCOUNT, amount: 120n * USDC, l1Time: first.timestamp },
      { seq: 1n, from: SECOND, l2Account: FIRST, amount: 7n, l1Time: expect.any(BigInt) },
      { seq: 2n, from: FIRST, l2Account: SECOND, amount: 180n * USDC, l1Time: last.timestamp },
    ])
  })

  it('refuse a zero amount, the zero L2 account and an amount beyond the allowance, storing nothing', async () => {
    await expect(rollupTx(chain, rollup, 0, 'deposit', [0n, L2_ACCOUNT])).rejects.toThrow(/ZeroAmount/)
    const zero = '0x0000000000000000000000000000000000000000'
    await expect(rollupTx(chain, rollup, 0, 'deposit', [USDC, zero])).rejects.toThrow(/ZeroAddress/)
    // account 0 approved 300 USDC and used all of it
    await expect(rollupTx(chain, rollup, 0, 'deposit', [USDC, L2_ACCOUNT])).rejects.toThrow(/TokenTransferFailed/)
    expect(await read<bigint>('depositCount')).toBe(3n)
  })
})
