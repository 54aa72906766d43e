/**
 * @module Deposit: an L1 deposit credited to subaccount 0 of its L2 account. A system transaction: the sequencer
 * makes it from the L1 contract's Deposited event and validators check it against their own view of L1 (node/), so
 * the engine checks only what the block itself can show: deposits are credited in the contract's sequence order,
 * each exactly once (`bridge.nextDepositSeq`), and before any user transaction of the block (so a forced deposit
 * cannot be front-run within its block). A rejected deposit writes nothing and can be included again.
 */
import type { Dirty } from '../dirty.ts'
import { touchCollateral } from '../dirty.ts'
import { REJECT, reject } from '../errors.ts'
import type { DepositMessage } from '../messages.ts'
import { writableSubaccount } from '../subaccounts.ts'
import type { State, TxEvent } from '../types.ts'

/** `afterUserTx`: a user transaction came earlier in the block. Returns the credited amount's event. */
export function applyDeposit(state: State, d: DepositMessage, afterUserTx: boolean, dirty: Dirty): TxEvent[] {
  if (afterUserTx) reject(REJECT.depositOutOfOrder, 'deposits come before the user transactions of a block')
  if (d.seq !== state.bridge.nextDepositSeq)
    reject(
      REJECT.depositOutOfOrder,
      `deposit ${d.seq} out of order: the next to credit is ${state.bridge.nextDepositSeq}`,
    )
  if (d.amount <= 0n) reject(REJECT.invalidMessage, 'a deposit credits a positive amount')
  const sub = writableSubaccount(state, d.account, 0)
  touchCollateral(dirty, sub)
  sub.collateral += d.amount
  state.bridge.nextDepositSeq += 1n
  state.bridge.totalDeposited += d.amount
  dirty.bridge = true
  return [{ type: 'deposit', seq: d.seq, account: d.account, amount: d.amount }]
}
