/**
 * L1 deposits (engine/txs/deposit.ts): credited to subaccount 0 in the contract's sequence order, each exactly
 * once, before the block's user transactions; a rejected deposit writes nothing; the bridge leaf appears with the
 * first deposit (chains without deposits keep their roots) and survives a rebuild from leaves.
 */
import { describe, expect, it } from 'vitest'
import type { Address, VerifiedTx } from '../../engine/index.ts'
import { allLeaves, REJECT, stateFromLeaves } from '../../engine/index.ts'
import { bridgeKey, toHex } from '../../state/index.ts'
import {
  ACCOUNTS,
  addr,
  GENESIS_COLLATERAL,
  leafMap,
  orderMsg,
  orderTx,
  rootOf,
  run,
  run1,
  stateFromGenesisFile,
  subOf,
  uniqueHash,
} from './helpers/engineFixtures.ts'

const ZERO: Address = '0x0000000000000000000000000000000000000000'
const [A] = ACCOUNTS as [Address]
const USDC = 1_000_000n

const deposit = (seq: bigint, account: Address, amount: bigint): VerifiedTx => ({
  kind: 'deposit',
  message: { seq, account, amount, l1Time: 1_700_000_000n },
  hash: uniqueHash(),
  signer: ZERO,
})

describe('deposits', () => {
  it('credit subaccount 0 of an existing account and count the total', () => {
    const s = stateFromGenesisFile()
    const r = run(s, [deposit(0n, A, 250n * USDC), deposit(1n, A, 5n)])
    expect(r.receipts.map((x) => x.ok)).toEqual([true, true])
    expect(subOf(s, A).collateral).toBe(GENESIS_COLLATERAL + 250n * USDC + 5n)
    expect(s.bridge).toEqual({ nextDepositSeq: 2n, totalDeposited: 250n * USDC + 5n })
    expect(r.receipts[0]?.events).toEqual([{ type: 'deposit', seq: 0n, account: A, amount: 250n * USDC }])
  })

  it('open a new account, which may then trade', () => {
    const s = stateFromGenesisFile()
    const newcomer = addr(0x90)
    expect(s.subaccounts.has(`${newcomer}:0`)).toBe(false)
    const before = run1(s, orderTx(orderMsg(newcomer, { isBuy: true, size: 1_000n })))
    expect(before.code).toBe(REJECT.accountNotFound)
    expect(run1(s, deposit(0n, newcomer, 1_000n * USDC)).ok).toBe(true)
    expect(subOf(s, newcomer).collateral).toBe(1_000n * USDC)
    // 0.001 BTC at $60,000: $60 of notional against 1,000 USDC
    const after = run1(s, orderTx(orderMsg(newcomer, { isBuy: true, size: 1_000n })))
    expect(after.ok, after.error).toBe(true)
  })

  it('are taken exactly once, in sequence: a replayed or skipped seq is refused and writes nothing', () => {
    const s = stateFromGenesisFile()
    run(s, [deposit(0n, A, 10n)])
    const leaves = leafMap(s)
    const replay = run1(s, deposit(0n, A, 10n))
    const skip = run1(s, deposit(2n, A, 10n))
    expect([replay.code, skip.code]).toEqual([REJECT.depositOutOfOrder, REJECT.depositOutOfOrder])
    expect(leafMap(s)).toEqual(leaves)
    expect(s.bridge.nextDepositSeq).toBe(1n)
  })

  it('come before the user transactions of their block', () => {
    const s = stateFromGenesisFile()
    const r = run(s, [orderTx(orderMsg(A, { isBuy: true, size: 1_000n })), deposit(0n, A, 10n)])
    expect(r.receipts[1]?.code).toBe(REJECT.depositOutOfOrder)
    expect(s.bridge.nextDepositSeq).toBe(0n)
  })

  it('refuse a zero amount', () => {
    const s = stateFromGenesisFile()
    expect(run1(s, deposit(0n, A, 0n)).code).toBe(REJECT.invalidMessage)
  })

  it('leave no bridge leaf until the first one, then persist it through a rebuild from leaves', () => {
    const s = stateFromGenesisFile()
    const key = toHex(bridgeKey())
    expect(leafMap(s).has(key)).toBe(false)
    run(s, [deposit(0n, A, 7n)])
    // 0x08 ‖ nextDepositSeq u64 = 1 ‖ totalDeposited u256 = 7, big-endian (state/codec.ts)
    expect(leafMap(s).get(key)).toBe(`0x${'0'.repeat(15)}1${'0'.repeat(63)}7`)
    const rebuilt = stateFromLeaves(allLeaves(s).map((w) => [w.key, w.value as Uint8Array] as const))
    expect(rebuilt.bridge).toEqual(s.bridge)
    expect(rootOf(rebuilt)).toBe(rootOf(s))
  })
})
