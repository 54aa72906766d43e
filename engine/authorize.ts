/**
 * @module Who may act, checked before anything else of a user transaction (and before its nonce is used):
 * 1. the recovered signer is the account, or an agent the account approved (txs/approveAgent.ts) that is still in
 *    force at the block's time, for a kind an agent may sign (orders, cancels, auction bids: never withdrawals,
 *    transfers or approvals);
 * 2. the subaccount is not empty (holds collateral, an asset, a position or an order; subaccounts.ts). A key with nothing on the chain can get
 *    no transaction included, so unfunded keys cannot grow the state with nonce windows. Such a refusal
 *    consumes no nonce: there is no state of the account to protect from a later replay;
 * 3. the nonce is unused (nonces.ts).
 */
import { REJECT, reject } from './errors.ts'
import type { TxMessage } from './messages.ts'
import { checkNonce } from './nonces.ts'
import { isEmptySubaccount } from './subaccounts.ts'
import type { State, VerifiedTx } from './types.ts'
import { subaccountId } from './types.ts'

/** The subaccount a transaction acts on; ApproveAgent acts for the whole account, checked on subaccount 0. */
function actingSubaccount(tx: Exclude<TxMessage, { kind: 'oracleReport' | 'deposit' }>): number {
  // by kind, not by probing fields: one shape check per kind keeps this site monomorphic
  switch (tx.kind) {
    case 'transfer':
      return tx.message.fromSubaccount
    case 'approveAgent':
      return 0
    default:
      return tx.message.subaccount
  }
}

/** Kinds an approved agent may sign for its account. */
const AGENT_KINDS: ReadonlySet<TxMessage['kind']> = new Set(['order', 'cancel', 'cancelAll', 'auctionBid'])

/** `time`: the block's time (ms), for the agents' validity. */
export function authorize(
  state: State,
  tx: VerifiedTx & Exclude<TxMessage, { kind: 'oracleReport' | 'deposit' }>,
  time: bigint,
): void {
  const m = tx.message
  if (tx.signer !== m.account) {
    const until = state.agents.get(m.account)?.get(tx.signer)
    if (until === undefined || until <= time)
      reject(REJECT.unauthorized, `signer ${tx.signer} is not ${m.account} nor an agent it approved, in force now`)
    if (!AGENT_KINDS.has(tx.kind))
      reject(REJECT.unauthorized, `an agent may sign orders, cancels and bids for ${m.account}, not a ${tx.kind}`)
  }
  const sub = actingSubaccount(tx)
  // the stored subaccount, not readSubaccount: that builds an empty one (two Maps and a Set) for an absent id
  const held = state.subaccounts.get(subaccountId(m.account, sub))
  if (held === undefined || isEmptySubaccount(held))
    reject(REJECT.accountNotFound, `${m.account} has nothing in subaccount ${sub} (deposit first)`)
  checkNonce(state.nonces.get(m.account), m.nonce)
}
