/**
 * Moving collateral (engine/txs/moveCollateral.ts): transfers between subaccounts, withdrawals into pending
 * withdrawals, the withdrawal rule (collateral ≥ 0 and haircut equity ≥ max(IM, 10% of open notional)), the
 * 50% haircut of positive unrealized PnL, and isolated subaccounts (≥ 128, one market).
 */
import { describe, expect, it } from 'vitest'
import type { State, VerifiedTx } from '../../engine/index.ts'
import { accountView, allLeaves, REJECT, stateFromLeaves } from '../../engine/index.ts'
import { MerkleState, toHex } from '../../state/index.ts'
import {
  ACCOUNTS,
  BTC_60000,
  ETH_3000,
  fresh,
  oracleTx,
  orderMsg,
  orderTx,
  run,
  run1,
  SIGNERS,
  stateFromGenesisFile,
  subOf,
  T0,
  uniqueHash,
  withoutVolatilityScaling,
} from './helpers/engineFixtures.ts'

const [A, B] = ACCOUNTS as [`0x${string}`, `0x${string}`]
const [S0, S1] = SIGNERS as [`0x${string}`, `0x${string}`]
const USDC = 1_000_000n

const transfer = (fromSubaccount: number, toSubaccount: number, amount: bigint): VerifiedTx => ({
  kind: 'transfer',
  message: { account: A, fromSubaccount, toSubaccount, amount, nonce: fresh() },
  hash: uniqueHash(),
  signer: A,
})
const withdraw = (amount: bigint, subaccount = 0): VerifiedTx => ({
  kind: 'withdraw',
  message: { account: A, subaccount, recipient: B, amount, nonce: fresh() },
  hash: uniqueHash(),
  signer: A,
})

/**
 * A sells 10 BTC at $60,000 into B's bid: A short 10 BTC, collateral 1,000,000 + 600,000 − 300 (5 bp taker fee).
 * USDC only: the devnet's 10 WETH of A are removed so the figures are the worked examples of risk-model.md.
 */
function shortTenBtc(): State {
  const s = withoutVolatilityScaling(stateFromGenesisFile())
  subOf(s, A).assets.clear()
  run(s, [orderTx(orderMsg(B, { isBuy: true, size: 10_000_000n, price: BTC_60000 }))])
  run(s, [orderTx(orderMsg(A, { isBuy: false, size: 10_000_000n, price: BTC_60000, timeInForce: 1 }))])
  expect(subOf(s, A).collateral).toBe(1_599_700n * USDC)
  return s
}

describe('transfers', () => {
  it('move USDC between subaccounts of one address, creating the destination', () => {
    const s = stateFromGenesisFile()
    const r = run1(s, transfer(0, 1, 100_000n * USDC))
    expect(r.events).toEqual([{ type: 'transfer', fromSubaccount: 0, toSubaccount: 1, amount: 100_000n * USDC }])
    expect(subOf(s, A, 0).collateral).toBe(900_000n * USDC)
    expect(subOf(s, A, 1).collateral).toBe(100_000n * USDC)
  })

  it('refuse a transfer to the same subaccount, and more than the subaccount holds', () => {
    const s = stateFromGenesisFile()
    expect(run1(s, transfer(0, 0, USDC)).code).toBe(REJECT.invalidMessage)
    expect(run1(s, transfer(0, 1, 1_000_000n * USDC + 1n)).code).toBe(REJECT.insufficientCollateral)
  })
})

describe('withdrawals', () => {
  it('take collateral into a pending withdrawal (conservation holds with it)', () => {
    const s = stateFromGenesisFile()
    const r = run1(s, withdraw(250_000n * USDC))
    expect(r.events).toEqual([{ type: 'withdrawal', id: 1n, recipient: B, amount: 250_000n * USDC }])
    expect(subOf(s, A).collateral).toBe(750_000n * USDC)
    expect(s.global.pendingWithdrawals).toBe(250_000n * USDC)
    expect(s.withdrawals.get(1n)).toMatchObject({ account: A, recipient: B, amount: 250_000n * USDC })
  })

  it('must leave equity ≥ 10% of open notional: short 10 BTC allows exactly 939,700 USDC out', () => {
    // equity = 1,599,700 − 600,000 = 999,700; floor = 10% × 600,000 = 60,000 (> IM 5% = 30,000)
    const s = shortTenBtc()
    expect(run1(s, withdraw(939_700n * USDC + 1n)).code).toBe(REJECT.insufficientCollateral)
    expect(run1(s, withdraw(939_700n * USDC)).ok).toBe(true)
  })

  it('haircuts positive unrealized PnL by 50%: after BTC falls to $57,000, 957,700 USDC may leave, not 972,700', () => {
    const s = shortTenBtc()
    const p = 5_700_000_000_000n
    run(s, [oracleTx(S0, T0, [0], [p]), oracleTx(S1, T0, [0], [p])])
    // equity = 1,599,700 − 570,000 = 1,029,700; profit 30,000 haircut by half → 1,014,700
    // floor = 10% × 570,000 = 57,000 (> IM 28,500): at most 1,014,700 − 57,000 = 957,700
    expect(run1(s, withdraw(957_700n * USDC + 1n)).code).toBe(REJECT.insufficientCollateral)
    expect(run1(s, withdraw(957_700n * USDC)).ok).toBe(true)
  })
})

describe('isolated subaccounts (≥ 128)', () => {
  it('hold one market only, and show marginMode isolated', () => {
    const s = stateFromGenesisFile()
    run(s, [transfer(0, 128, 100_000n * USDC)])
    expect(
      run1(s, orderTx(orderMsg(A, { subaccount: 128, isBuy: true, size: 1000n, price: 5_900_000_000_000n }))).ok,
    ).toBe(true)
    const eth = orderTx(
      orderMsg(A, { subaccount: 128, market: 1, isBuy: true, size: 10_000n, price: ETH_3000 - 1_000_000n }),
    )
    expect(run1(s, eth).code).toBe(REJECT.isolatedMarket)
    expect(accountView(s, A, 128).marginMode).toBe('isolated')
    expect(accountView(s, A, 0).marginMode).toBe('cross')
  })
})

describe('non-USD collateral (devnet: 10 WETH per trader, priced by ETH-USD, 10% haircut)', () => {
  it('counts at its oracle value less the haircut, and follows the ETH price', () => {
    const s = stateFromGenesisFile()
    const view = accountView(s, A, 0)
    // 10 WETH × $3,000 = 30,000 USDC; margin value × 0.9 = 27,000
    expect(view.assets).toEqual([
      { asset: 1, symbol: 'WETH', amount: 10n * 10n ** 18n, value: 30_000n * USDC, marginValue: 27_000n * USDC },
    ])
    expect(view.equity).toBe(1_027_000n * USDC)
    const p = 315_000_000_000n // $3,150 (+5%, within the deviation guard)
    run(s, [oracleTx(S0, T0, [1], [p]), oracleTx(S1, T0, [1], [p])])
    expect(accountView(s, A, 0).equity).toBe(1_028_350n * USDC) // 10 × 3,150 × 0.9 = 28,350
  })

  it('lets a subaccount with WETH and no USDC trade on it (it still cannot withdraw USDC it does not hold)', () => {
    const s = stateFromGenesisFile()
    run(s, [orderTx(orderMsg(B, { isBuy: false, size: 100_000n, price: BTC_60000 }))])
    run(s, [transfer(0, 1, 1_000_000n * USDC)]) // subaccount 0 keeps only its 10 WETH (margin value 27,000)
    // buy 0.1 BTC at $60,000: quote 6,000 USDC + 3 taker fee; equity −6,003 + 27,000 + 6,000 = 26,997 ≥ IM 300
    const r = run1(s, orderTx(orderMsg(A, { isBuy: true, size: 100_000n, price: BTC_60000, timeInForce: 1 })))
    expect(r.events.map((e) => e.type)).toEqual(['fill'])
    expect(subOf(s, A, 0).collateral).toBe(-6_003n * USDC)
    expect(run1(s, withdraw(USDC)).code).toBe(REJECT.insufficientCollateral)
  })
})

describe('an emptied subaccount behaves as an absent one (running node and node rebuilt from leaves agree)', () => {
  it('gives the same receipts and root after its last USDC left', () => {
    const live = stateFromGenesisFile()
    subOf(live, A, 0).assets.clear()
    run(live, [transfer(0, 1, 1_000_000n * USDC)]) // subaccount 0 is now empty: its leaf is deleted
    const leaves = allLeaves(live).flatMap((w) => (w.value === null ? [] : [[w.key, w.value] as const]))
    const rebuilt = stateFromLeaves(leaves)
    const tx = orderTx(orderMsg(A, { isBuy: true, size: 1000n, price: 5_000_000_000_000n }))
    const a = run(live, [tx])
    const b = run(rebuilt, [tx])
    expect(a.receipts.map((x) => x.code)).toEqual([REJECT.accountNotFound])
    expect(b.receipts.map((x) => x.code)).toEqual([REJECT.accountNotFound])
    const root = (s: State) => {
      const m = new MerkleState()
      m.apply(allLeaves(s))
      return toHex(m.root())
    }
    expect(root(live)).toBe(root(rebuilt))
  })
})
