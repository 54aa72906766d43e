/**
 * Moving collateral (engine/txs/moveCollateral.ts): transfers between subaccounts, withdrawals into pending
 * withdrawals, the withdrawal rule (collateral ≥ 0 and haircut equity ≥ max(IM, 10% of open notional)), the
 * 50% haircut of positive unrealized PnL, and isolated subaccounts (≥ 128, one market).
 */
import { describe, expect, it } from 'vitest'
import type { State, VerifiedTx } from '../../engine/index.ts'
import { accountView, REJECT } from '../../engine/index.ts'
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

/** A sells 10 BTC at $60,000 into B's bid: A short 10 BTC, collateral 1,000,000 + 600,000 − 300 (5 bp taker fee). */
function shortTenBtc(): State {
  const s = withoutVolatilityScaling(stateFromGenesisFile())
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
