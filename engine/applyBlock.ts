/**
 * @module The state transition: one block of verified transactions at a block time.
 *
 * Steps, in order:
 * 0. expiry: resting orders whose expiresAt ≤ block time are removed (restingOrders.ts).
 * 1. oracle: every OracleReport of the block is checked and tallied; markets meeting the quorum take the
 *    median (oracle.ts). Reports go first so that every order of the block sees the block's prices.
 * 1b. funding: markets whose interval has run advance their funding index (funding.ts).
 * 1c. auctions: live liquidation auctions reset, or end in the backstop once their price reaches the account's
 *    bankruptcy point (liquidation.ts), before any bid of the block.
 * 2. user transactions in block order: authorization (signer is the account), nonce, then the handler.
 *    A handler validates everything before its first write, so a rejected transaction writes nothing; its
 *    nonce is still consumed, so the signed message can never execute later (replay of a once-rejected order
 *    when margin has grown back).
 * 2b. liquidations, after the transactions (so AuctionBids on earlier blocks' auctions are taken at this
 *    block's auction prices first): accounts below maintenance margin, found by the at-risk index, have their
 *    orders cancelled and slices of their positions auctioned (liquidation.ts).
 * 3. premiums: markets whose book or price changed take their new funding premium.
 * 4. invariants: no touched book is crossed; open interest and collateral balance (invariants.ts). A violation throws InvariantViolation: the caller must drop the
 *    state it passed in (reload it from the store), nothing of the block is committed.
 * 5. the at-risk index is told which subaccounts the block touched (those of the transactions before the
 *    liquidation step, those of the step after it), ready for the next block.
 *
 * Ownership: `state` is advanced in place and returned; the node keeps one live state and reloads it from
 * its store when a block fails. Deterministic: no clock, no randomness, iteration only in data-defined order.
 */

import { atRiskIndex, findLiquidatable, noteChanged } from './atRiskState.ts'
import { authorize } from './authorize.ts'
import type { Dirty } from './dirty.ts'
import { emptyDirty, mergeDirty } from './dirty.ts'
import type { RejectCode } from './errors.ts'
import { InvariantViolation, REJECT, reject, TxRejected } from './errors.ts'
import { fundingTick, updatePremiums } from './funding.ts'
import { checkInvariants, openBlock } from './invariants.ts'
import { auctionStep, liquidationStep } from './liquidation.ts'
import { useNonce } from './nonces.ts'
import type { OracleTally } from './oracle.ts'
import { aggregateOracle, checkOracleReport, tallyOracleReport } from './oracle.ts'
import { checkRate, countRate } from './rateLimits.ts'
import { sweepExpired } from './restingOrders.ts'
import { approveAgent } from './txs/approveAgent.ts'
import { auctionBid } from './txs/auctionBid.ts'
import { cancelAll, cancelOrder } from './txs/cancelOrder.ts'
import { applyDeposit } from './txs/deposit.ts'
import { applyTransfer, applyWithdraw } from './txs/moveCollateral.ts'
import { placeOrder } from './txs/placeOrder.ts'
import type { BlockEnv, Receipt, State, TxEvent, VerifiedTx } from './types.ts'

export interface BlockInput {
  txs: readonly VerifiedTx[]
}

export interface BlockResult {
  state: State
  /** one per transaction, in block order */
  receipts: Receipt[]
  /** block-level events: expired orders removed, oracle prices set or held for confirmation */
  events: TxEvent[]
  dirty: Dirty
}

function applyUserTx(state: State, tx: VerifiedTx, env: BlockEnv, dirty: Dirty): TxEvent[] {
  if (tx.kind === 'oracleReport' || tx.kind === 'deposit') return []
  authorize(state, tx, env.time)
  const account = tx.message.account
  const activity = state.nonces.get(account) ?? { words: [], windowStart: 0n, orders: 0, cancels: 0 }
  state.nonces.set(account, activity)
  dirty.nonces.add(account)
  // from here on the transaction uses its nonce and counts toward its rate limit, whatever its outcome
  useNonce(activity, tx.message.nonce)
  checkRate(state, account, tx.kind, env.height)
  countRate(activity, tx.kind, state, env.height)
  switch (tx.kind) {
    case 'order':
      return placeOrder(state, tx.message, env, dirty)
    case 'cancel':
      return cancelOrder(state, tx.message, dirty)
    case 'cancelAll':
      return cancelAll(state, tx.message, dirty)
    case 'transfer':
      return applyTransfer(state, tx.message, dirty)
    case 'withdraw':
      return applyWithdraw(state, tx.message, env.height, dirty)
    case 'auctionBid':
      return auctionBid(state, tx.message, env, dirty)
    case 'approveAgent':
      return approveAgent(state, tx.message, env.time, dirty)
    default:
      return reject(REJECT.unsupportedKind, `${(tx as VerifiedTx).kind} transactions are not enabled on this chain`)
  }
}

function failed(tx: VerifiedTx, code: RejectCode, error: string): Receipt {
  return { hash: tx.hash, kind: tx.kind, ok: false, code, error, events: [] }
}

function checkBooks(state: State, dirty: Dirty): void {
  for (const id of dirty.markets) {
    const book = state.books[id]
    const bid = book?.bids[0]?.price
    const ask = book?.asks[0]?.price
    if (bid !== undefined && ask !== undefined && bid >= ask)
      throw new InvariantViolation(`book ${id} is crossed: bid ${bid} ≥ ask ${ask}`)
  }
}

export function applyBlock(state: State, block: BlockInput, env: BlockEnv): BlockResult {
  const dirty = emptyDirty()
  const opening = openBlock(state)
  const receipts = new Array<Receipt>(block.txs.length)
  const tally: OracleTally = new Set()
  const events = sweepExpired(state, env.time, dirty)

  block.txs.forEach((tx, i) => {
    if (tx.kind !== 'oracleReport') return
    try {
      checkOracleReport(state, tx.signer, tx.message, env)
      tallyOracleReport(state, tally, tx.message, dirty)
      receipts[i] = { hash: tx.hash, kind: tx.kind, ok: true, events: [] }
    } catch (e) {
      if (!(e instanceof TxRejected)) throw e
      receipts[i] = failed(tx, e.code, e.message)
    }
  })
  events.push(...aggregateOracle(state, tally, env, dirty))
  events.push(...fundingTick(state, env, dirty))
  events.push(...auctionStep(state, env, dirty))

  let deposited = 0n // USDC units credited by this block's deposits: the conservation invariant's inflow
  let afterUserTx = false
  block.txs.forEach((tx, i) => {
    if (tx.kind === 'oracleReport') return
    try {
      if (tx.kind === 'deposit') {
        const credited = applyDeposit(state, tx.message, afterUserTx, dirty)
        deposited += tx.message.amount
        receipts[i] = { hash: tx.hash, kind: tx.kind, ok: true, events: credited }
        return
      }
      afterUserTx = true
      const txEvents = applyUserTx(state, tx, env, dirty)
      for (const e of txEvents) if (e.type === 'orderPlaced' || e.type === 'fill') dirty.markets.add(e.market)
      receipts[i] = { hash: tx.hash, kind: tx.kind, ok: true, events: txEvents }
    } catch (e) {
      if (!(e instanceof TxRejected)) throw e
      receipts[i] = failed(tx, e.code, e.message)
    }
  })
  // after the transactions, so bids on the auctions of earlier blocks are taken before the pipeline moves on
  const index = atRiskIndex(state)
  noteChanged(index, state, dirty.subaccounts)
  // the step's own writes are kept apart first, so only they are reported to the index again at the end
  const liquidated = emptyDirty()
  events.push(...liquidationStep(state, env, liquidated, findLiquidatable(index, state)))
  mergeDirty(dirty, liquidated)
  updatePremiums(state, new Set([...dirty.markets, ...dirty.orders.values()]), env, dirty)
  checkBooks(state, dirty)
  checkInvariants(state, dirty, opening, deposited)
  noteChanged(index, state, liquidated.subaccounts)
  return { state, receipts, events, dirty }
}
