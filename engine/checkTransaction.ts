/**
 * @module Admission check: the same rules applyBlock applies, run read-only against the current state, so
 * the RPC can answer "not on tick" or "insufficient margin" at once instead of in a later receipt. Passing it
 * is no promise: the state may change before the transaction's block, which checks again.
 */

import { authorize } from './authorize.ts'
import { REJECT, reject } from './errors.ts'
import { checkOracleReport } from './oracle.ts'
import { checkRate } from './rateLimits.ts'
import { checkApproveAgent } from './txs/approveAgent.ts'
import { planBid } from './txs/auctionBid.ts'
import { findCancelTarget } from './txs/cancelOrder.ts'
import { checkTransfer, checkWithdraw } from './txs/moveCollateral.ts'
import { planOrder } from './txs/placeOrder.ts'
import type { BlockEnv, State, VerifiedTx } from './types.ts'

/** Throws TxRejected with the code the block would give; returns normally if the transaction would apply. */
export function checkTransaction(state: State, tx: VerifiedTx, env: BlockEnv): void {
  if (tx.kind === 'oracleReport') {
    checkOracleReport(state, tx.signer, tx.message, env)
    return
  }
  if (tx.kind === 'deposit')
    reject(REJECT.unsupportedKind, 'deposits come from L1 through the sequencer, not from users')
  authorize(state, tx, env.time)
  checkRate(state, tx.message.account, tx.kind, env.height)
  switch (tx.kind) {
    case 'order':
      planOrder(state, tx.message, env)
      return
    case 'cancel':
      findCancelTarget(state, tx.message)
      return
    case 'cancelAll':
      if (state.markets[tx.message.market] === undefined)
        reject(REJECT.unknownMarket, `unknown market ${tx.message.market}`)
      return
    case 'transfer':
      checkTransfer(state, tx.message)
      return
    case 'withdraw':
      checkWithdraw(state, tx.message)
      return
    case 'auctionBid':
      planBid(state, tx.message, env)
      return
    case 'approveAgent':
      checkApproveAgent(state, tx.message, env.time)
      return
    default:
      reject(REJECT.unsupportedKind, `${(tx as VerifiedTx).kind} transactions are not enabled on this chain`)
  }
}
