/**
 * @module Transfer (between two subaccounts of one address) and Withdraw (out of the chain, pending until an L1
 * root settles it). Both take USDC from a subaccount under the withdrawal rule (margin.ts withdrawalShortfall):
 * the subaccount keeps collateral ≥ 0 and equity with positive PnL haircut ≥ max(initial margin with orders,
 * withdrawal floor × open notional). `check*` only reads; `apply*` writes.
 */
import { inLiquidation } from '../auctions.ts'
import type { Dirty } from '../dirty.ts'
import { touchCollateral } from '../dirty.ts'
import { REJECT, reject } from '../errors.ts'
import { settleFunding, settleFundingOnCopy } from '../funding.ts'
import { withdrawalShortfall } from '../margin.ts'
import type { TransferMessage, WithdrawMessage } from '../messages.ts'
import { cloneSubaccount, readSubaccount, writableSubaccount } from '../subaccounts.ts'
import type { State, TxEvent } from '../types.ts'
import { subaccountId } from '../types.ts'

function checkTakeOut(state: State, account: TransferMessage['account'], subaccount: number, amount: bigint): void {
  if (amount <= 0n) reject(REJECT.invalidMessage, 'amount must be positive')
  if (inLiquidation(state, subaccountId(account, subaccount)))
    reject(REJECT.liquidating, `subaccount ${subaccount} is being liquidated: nothing may leave it`)
  const after = cloneSubaccount(readSubaccount(state, account, subaccount))
  settleFundingOnCopy(state, after)
  after.collateral -= amount
  const shortfall = withdrawalShortfall(state, after)
  if (shortfall !== undefined) reject(REJECT.insufficientCollateral, shortfall)
}

export function checkTransfer(state: State, t: TransferMessage): void {
  if (t.fromSubaccount === t.toSubaccount) reject(REJECT.invalidMessage, 'fromSubaccount and toSubaccount are the same')
  checkTakeOut(state, t.account, t.fromSubaccount, t.amount)
}

export function applyTransfer(state: State, t: TransferMessage, dirty: Dirty): TxEvent[] {
  checkTransfer(state, t)
  const from = writableSubaccount(state, t.account, t.fromSubaccount)
  const to = writableSubaccount(state, t.account, t.toSubaccount)
  settleFunding(state, from, dirty)
  touchCollateral(dirty, from)
  touchCollateral(dirty, to)
  from.collateral -= t.amount
  to.collateral += t.amount
  return [{ type: 'transfer', fromSubaccount: t.fromSubaccount, toSubaccount: t.toSubaccount, amount: t.amount }]
}

export function checkWithdraw(state: State, w: WithdrawMessage): void {
  checkTakeOut(state, w.account, w.subaccount, w.amount)
}

export function applyWithdraw(state: State, w: WithdrawMessage, height: bigint, dirty: Dirty): TxEvent[] {
  checkWithdraw(state, w)
  const sub = writableSubaccount(state, w.account, w.subaccount)
  settleFunding(state, sub, dirty)
  touchCollateral(dirty, sub)
  sub.collateral -= w.amount
  const id = state.global.nextWithdrawalId
  state.global.nextWithdrawalId += 1n
  state.global.pendingWithdrawals += w.amount
  state.withdrawals.set(id, {
    id,
    account: w.account,
    subaccount: w.subaccount,
    recipient: w.recipient,
    amount: w.amount,
    height,
  })
  dirty.withdrawals.add(id)
  dirty.global = true
  return [{ type: 'withdrawal', id, recipient: w.recipient, amount: w.amount }]
}
