/**
 * The escape hatch on anvil, on a hand-built L2 history whose escape values are worked out below:
 * no escape before the timeout; after it, roots and deposits are refused, markets are proven once, each
 * subaccount is paid its USDC equity once (the reference valuation, and the figures computed by hand), a
 * subaccount whose USDC equity is negative gets nothing (its WETH is not paid), a withdrawal pending in the
 * last root stays claimable, and a deposit the chain never credited goes back to its L2 account.
 *
 * L2 (devnet genesis: every trader 1,000,000 USDC and 10 WETH; BTC-USD quoteDivisor 1e8, fees 1 bp maker,
 * 5 bp taker):
 *   1  deposit 0 credits A 1,000 USDC; D and E move all their USDC to subaccount 1 (subaccount 0 keeps WETH)
 *   2  B rests a sell of 0.3 BTC at $60,000; D buys it (IOC): D collateral −18,009 USDC, B +17,998.2
 *   3  A rests a buy of 0.3 BTC at $60,000; E sells into it: E collateral +17,991, A −18,001.8
 *   4  the oracle moves BTC to $61,000 (two signers)
 *   5  an hour later: funding ticks at 12 PPM (empty book, interest only): index += 12 × 6.1e12 = 7.32e13,
 *      so 0.3 BTC owes 300,000 × 7.32e13 / (1e6 × 1e8) = 0.2196 USDC (long pays, short receives);
 *      C withdraws 5,000 USDC (pending)
 * Escape values at root 5 (USDC units, 10^-6): position value 0.3 BTC at $61,000 = 18,300,000,000
 *   A  1,000,000 + 1,000 − 18,001.8 + 18,300 − 0.2196  = 1,001,297,980,400
 *   B  1,000,000 + 17,998.2 − 18,300 + 0.2196          =   999,698,419,600
 *   C  1,000,000 − 5,000                                =   995,000,000,000
 *   D  −18,009 + 18,300 − 0.2196                        =       290,780,400
 *   E  17,991 − 18,300 + 0.2196 < 0                     →   nothing (its 10 WETH stay unpaid)
 */
import type { Address, Hex } from 'viem'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Address as EngineAddress, VerifiedTx } from '../../engine/index.ts'
import { accountView } from '../../engine/index.ts'
import { escapeValue, ROLLUP_ABI, TOKEN_ABI } from '../../l1/index.ts'
import { bridgeKey, marketKey, subaccountKey, toHex, withdrawalKey } from '../../state/index.ts'
import {
  ACCOUNTS,
  BTC_60000,
  GENESIS_COLLATERAL,
  oracleTx,
  orderMsg,
  orderTx,
  SIGNERS,
  stateFromGenesisFile,
  uniqueHash,
} from './helpers/engineFixtures.ts'
import type { AnvilChain } from './helpers/l1Chain.ts'
import { deployForTest, rollupTx, startAnvil, testAccounts, tokenBalance } from './helpers/l1Chain.ts'
import { CommittedChain, depositTx, withdrawTx } from './helpers/l1State.ts'

const USDC = 1_000_000n
const WINDOW = 100n
const TIMEOUT = 1_000n
const [A, B, C, D, E] = ACCOUNTS as [EngineAddress, EngineAddress, EngineAddress, EngineAddress, EngineAddress]
const L1_A = testAccounts[0]?.address as Address
const BTC_61000 = 6_100_000_000_000n
const THREE_TENTHS_BTC = 300_000n

const transferAll = (account: EngineAddress): VerifiedTx => ({
  kind: 'transfer',
  message: { account, fromSubaccount: 0, toSubaccount: 1, amount: GENESIS_COLLATERAL, nonce: 7n },
  hash: uniqueHash(),
  signer: account,
})
const trade = (account: EngineAddress, isBuy: boolean, timeInForce: number): VerifiedTx =>
  orderTx(orderMsg(account, { isBuy, price: BTC_60000, size: THREE_TENTHS_BTC, timeInForce }))

let chain: AnvilChain
let rollup: Address
let token: Address
let l2: CommittedChain

const read = <T>(functionName: string, args: readonly unknown[] = []): Promise<T> =>
  chain.publicClient.readContract({ address: rollup, abi: ROLLUP_ABI, functionName, args } as never) as Promise<T>

const claimArgs = (account: EngineAddress, subaccount = 0) => {
  const key = subaccountKey(Buffer.from(account.slice(2), 'hex'), subaccount)
  return [account as Address, subaccount, toHex(l2.leaf(key) as Uint8Array), l2.proof(key) as Hex] as const
}
const marketArgs = (id: number) =>
  [id, toHex(l2.leaf(marketKey(id)) as Uint8Array), l2.proof(marketKey(id)) as Hex] as const

beforeAll(async () => {
  l2 = new CommittedChain(stateFromGenesisFile())
  const genesisRoot = l2.root
  l2.block([depositTx(0n, A, 1_000n * USDC), transferAll(D), transferAll(E)])
  l2.block([trade(B, false, 0), trade(D, true, 1)])
  l2.block([trade(A, true, 0), trade(E, false, 1)])
  const at = l2.time + 250n
  l2.block([0, 1].map((i) => oracleTx(SIGNERS[i] as EngineAddress, at, [0], [BTC_61000])))
  l2.block([withdrawTx(C, C, 5_000n * USDC)], 3_600_000n)
  chain = await startAnvil()
  const d = await deployForTest(chain, {
    genesisStateRoot: genesisRoot,
    challengeWindowSec: WINDOW,
    escapeTimeoutSec: TIMEOUT,
    backing: 11n * GENESIS_COLLATERAL,
    mint: [{ address: L1_A, amount: 10_000n * USDC }],
  })
  rollup = d.rollup
  token = d.token
  const wallet = chain.wallet(0)
  const approve = await wallet.writeContract({
    address: token,
    abi: TOKEN_ABI,
    functionName: 'approve',
    args: [rollup, 2n ** 256n - 1n],
    account: wallet.account ?? null,
    chain: wallet.chain,
  })
  await chain.publicClient.waitForTransactionReceipt({ hash: approve })
  await rollupTx(chain, rollup, 0, 'deposit', [1_000n * USDC, L1_A]) // seq 0: credited at L2 height 1
  await rollupTx(chain, rollup, 0, 'deposit', [77n * USDC, L1_A]) // seq 1: never credited
  await rollupTx(chain, rollup, 1, 'submitRoot', [5n, `0x${'5'.repeat(64)}`, l2.root])
})

afterAll(async () => {
  await chain?.stop()
})

describe('before the escape timeout', () => {
  it('there is no escape mode: markets, claims and reclaims are refused', async () => {
    expect(await read<boolean>('escapeMode')).toBe(false)
    await expect(rollupTx(chain, rollup, 5, 'proveMarket', marketArgs(0))).rejects.toThrow(/NotInEscapeMode/)
    await expect(rollupTx(chain, rollup, 5, 'escapeClaim', claimArgs(A))).rejects.toThrow(/NotInEscapeMode/)
    await expect(rollupTx(chain, rollup, 5, 'reclaimDeposit', [1n, '0x', l2.proof(bridgeKey())])).rejects.toThrow(
      /NotInEscapeMode/,
    )
    // exactly the timeout after the last root, not more (advancing by TIMEOUT from `now` raced the wall clock:
    // the node mines at wall-clock seconds, so a second that ticked since the root's block put it past)
    await chain.mineAt((await read<bigint>('lastSettledAt')) + TIMEOUT)
    expect(await read<boolean>('escapeMode')).toBe(false)
  })
})

describe('in escape mode', () => {
  beforeAll(async () => {
    await chain.advance(1n)
  })

  it('refuses new roots and deposits', async () => {
    expect(await read<boolean>('escapeMode')).toBe(true)
    await expect(rollupTx(chain, rollup, 1, 'submitRoot', [6n, `0x${'6'.repeat(64)}`, l2.root])).rejects.toThrow(
      /EscapeModeActive/,
    )
    await expect(rollupTx(chain, rollup, 0, 'deposit', [USDC, L1_A])).rejects.toThrow(/EscapeModeActive/)
  })

  it('proves each market once, from its own leaf', async () => {
    await expect(rollupTx(chain, rollup, 5, 'escapeClaim', claimArgs(A))).rejects.toThrow(/MarketNotProven/)
    const swapped = [0, marketArgs(1)[1], marketArgs(1)[2]] as const
    await expect(rollupTx(chain, rollup, 5, 'proveMarket', swapped)).rejects.toThrow(/InvalidProof/)
    await rollupTx(chain, rollup, 5, 'proveMarket', marketArgs(0))
    await rollupTx(chain, rollup, 5, 'proveMarket', marketArgs(1))
    await expect(rollupTx(chain, rollup, 5, 'proveMarket', marketArgs(0))).rejects.toThrow(/MarketAlreadyProven/)
    const btc = l2.state.markets[0]
    expect(btc?.oraclePrice).toBe(BTC_61000)
    expect(btc?.fundingIndex).toBe(12n * BTC_61000)
    expect(await read('marketPricing', [0])).toEqual([BTC_61000, 12n * BTC_61000, 100_000_000n, true])
  })

  it('pays each subaccount its USDC equity once, as worked out by hand and by the reference valuation', async () => {
    const expected: [EngineAddress, number, bigint][] = [
      [A, 0, 1_001_297_980_400n],
      [B, 0, 999_698_419_600n],
      [C, 0, 995_000_000_000n],
      [D, 0, 290_780_400n],
      [D, 1, GENESIS_COLLATERAL],
    ]
    const markets = new Map([0, 1].map((id) => [id, l2.leaf(marketKey(id)) as Uint8Array]))
    for (const [account, sub, amount] of expected) {
      const args = claimArgs(account, sub)
      expect(escapeValue(Buffer.from(args[2].slice(2), 'hex'), markets)).toBe(amount)
      const before = await tokenBalance(chain, token, account as Address)
      await rollupTx(chain, rollup, 5, 'escapeClaim', args)
      expect(await tokenBalance(chain, token, account as Address)).toBe(before + amount)
      expect(await read<boolean>('escapeClaimed', [account, sub])).toBe(true)
      await expect(rollupTx(chain, rollup, 5, 'escapeClaim', args)).rejects.toThrow(/AlreadyClaimed/)
    }
    const logs = await chain.publicClient.getContractEvents({
      address: rollup,
      abi: ROLLUP_ABI,
      eventName: 'EscapeClaimed',
      fromBlock: 0n,
    })
    expect(logs.map((l) => l.args.amount)).toEqual(expected.map(([, , amount]) => amount))
  })

  it('pays nothing for negative USDC equity, even when WETH makes the engine’s equity positive', async () => {
    expect(accountView(l2.state, E, 0).equity).toBeGreaterThan(0n) // 10 WETH at $3,000, 10% haircut: +27,000
    await expect(rollupTx(chain, rollup, 5, 'escapeClaim', claimArgs(E))).rejects.toThrow(/NothingToClaim/)
  })

  it('refuses a tampered leaf, another subaccount’s proof and the insurance fund', async () => {
    const [account, sub, value, proof] = claimArgs(E, 1)
    const richer = `${value.slice(0, 4)}f${value.slice(5)}` as Hex // collateral's top byte changed
    await expect(rollupTx(chain, rollup, 5, 'escapeClaim', [account, sub, richer, proof])).rejects.toThrow(
      /InvalidProof/,
    )
    await expect(rollupTx(chain, rollup, 5, 'escapeClaim', [account, 0, value, proof])).rejects.toThrow(/InvalidProof/)
    const fund = claimArgs('0x0000000000000000000000000000000000000000')
    await expect(rollupTx(chain, rollup, 5, 'escapeClaim', fund)).rejects.toThrow(/ZeroAddress/)
  })

  it('still pays the withdrawal pending in the last root', async () => {
    const w = l2.state.withdrawals.get(1n)
    expect(w).toMatchObject({ account: C, recipient: C, amount: 5_000n * USDC })
    const before = await tokenBalance(chain, token, C as Address)
    await rollupTx(chain, rollup, 5, 'finalizeWithdrawal', [
      5n,
      1n,
      C as Address,
      0,
      C as Address,
      5_000n * USDC,
      5n,
      l2.proof(withdrawalKey(1n)),
    ])
    expect(await tokenBalance(chain, token, C as Address)).toBe(before + 5_000n * USDC)
  })

  it('returns a deposit the last root never credited to its L2 account, once; a credited one stays', async () => {
    const bridge = toHex(l2.leaf(bridgeKey()) as Uint8Array)
    const proof = l2.proof(bridgeKey())
    await expect(rollupTx(chain, rollup, 5, 'reclaimDeposit', [0n, bridge, proof])).rejects.toThrow(/DepositCredited/)
    await expect(rollupTx(chain, rollup, 5, 'reclaimDeposit', [1n, '0x', proof])).rejects.toThrow(/InvalidProof/)
    const before = await tokenBalance(chain, token, L1_A)
    await rollupTx(chain, rollup, 5, 'reclaimDeposit', [1n, bridge, proof])
    expect(await tokenBalance(chain, token, L1_A)).toBe(before + 77n * USDC)
    await expect(rollupTx(chain, rollup, 5, 'reclaimDeposit', [1n, bridge, proof])).rejects.toThrow(/AlreadyReclaimed/)
    await expect(rollupTx(chain, rollup, 5, 'reclaimDeposit', [2n, bridge, proof])).rejects.toThrow(/UnknownDeposit/)
  })
})
