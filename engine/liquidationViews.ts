/**
 * @module Read views of the liquidation pipeline for the RPC: live auctions with their price at a block time,
 * and the insurance fund.
 */
import { auctionPrice } from './auctions.ts'
import { INSURANCE_FUND_ADDRESS, INSURANCE_FUND_SUBACCOUNT } from './insuranceFund.ts'
import { equityAfterAuction, liveSize } from './liquidation.ts'
import { equity } from './margin.ts'
import { readSubaccount } from './subaccounts.ts'
import type { Auction, Market, State } from './types.ts'
import { subaccountId } from './types.ts'
import type { AccountView } from './views.ts'
import { accountView } from './views.ts'

/** An auction as state holds it, with `size` what is still backed, and two figures at the view's block time. */
export type AuctionView = Auction & {
  /** the price a bid pays now (at `time`), price units */
  price: bigint
  /** the liquidated account's equity if the whole rest traded at `price`, USDC units (≤ 0: the fund takes over) */
  equityAfter: bigint
}

/** Live auctions ascending by id, of one market or all; prices at block time `time`. */
export function auctionsView(state: State, time: bigint, market?: number): AuctionView[] {
  const out: AuctionView[] = []
  for (const a of [...state.auctions.values()].sort((x, y) => (x.id < y.id ? -1 : 1))) {
    if (market !== undefined && a.market !== market) continue
    const m = state.markets[a.market] as Market
    const sub = state.subaccounts.get(subaccountId(a.address, a.subaccount))
    const size = liveSize(sub, a)
    const price = auctionPrice(m, a, time)
    const equityAfter = sub === undefined ? 0n : equityAfterAuction(state, sub, a, size, price)
    out.push({ ...a, size, price, equityAfter })
  }
  return out
}

export interface InsuranceFundView extends AccountView {
  /** USDC the fund holds (its collateral), USDC units */
  balance: bigint
  liveAuctions: number
}

export function insuranceFundView(state: State): InsuranceFundView {
  const sub = readSubaccount(state, INSURANCE_FUND_ADDRESS, INSURANCE_FUND_SUBACCOUNT)
  return {
    ...accountView(state, INSURANCE_FUND_ADDRESS, INSURANCE_FUND_SUBACCOUNT),
    balance: sub.collateral,
    equity: equity(state, sub),
    liveAuctions: state.auctions.size,
  }
}
