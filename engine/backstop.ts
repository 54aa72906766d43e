/**
 * @module The end of the liquidation pipeline (docs/risk-model.md, Backstop and deleveraging).
 *
 * takeover: the account is bankrupt or its auction reached the bankruptcy price. If the insurance fund's equity
 *   covers the account's loss (fund equity ≥ −equity), the fund takes everything over: each position at its
 *   oracle value (positionValue, floor), then the account's USDC (negative or not) and its non-USD assets.
 *   The fund's equity changes by exactly the account's equity: the same as buying the positions at the
 *   bankruptcy price. The account is left empty.
 * deleverage (ADL): the fund cannot cover. The deficit D = −equity is split over the account's positions by
 *   notional (floor; the remainder to the first by market id), and each position is closed against opposite
 *   positions ranked by profit × leverage, highest first:
 *     score = (positionValue − cost) / max(|cost|, 1) × openNotional / max(equity, 1)   (compared exactly)
 *   ties by subaccount id ascending; the fund comes last. The counterparties trade at the bankruptcy price:
 *   for cumulative size X of the position closed, value(X) = floor(X × oracle / quoteDivisor) and
 *   deficit(X) = floor(D_m × X / |size|); each piece moves the differences, so the pieces sum to exactly the
 *   position's value ± D_m and the account ends at zero equity. An account with no position is never touched.
 */
import { auctionsOf, removeAuction } from './auctions.ts'
import type { Dirty } from './dirty.ts'
import { touchCollateral } from './dirty.ts'
import { InvariantViolation } from './errors.ts'
import { transferPosition } from './fills.ts'
import { abs } from './fixedPoint.ts'
import { settleFunding } from './funding.ts'
import { INSURANCE_FUND_ADDRESS, INSURANCE_FUND_SUBACCOUNT, insuranceFund, insuranceFundId } from './insuranceFund.ts'
import { equity, notional, openNotional, positionValue } from './margin.ts'
import { readSubaccount } from './subaccounts.ts'
import type { Market, State, Subaccount, TxEvent } from './types.ts'
import { subaccountId } from './types.ts'

function clearAuctions(state: State, sub: Subaccount, dirty: Dirty): void {
  for (const a of auctionsOf(state, subaccountId(sub.address, sub.subaccount))) {
    removeAuction(state, a)
    dirty.auctions.add(a.id)
  }
}

function takeover(state: State, sub: Subaccount, accountEquity: bigint, dirty: Dirty): TxEvent {
  const fund = insuranceFund(state)
  for (const id of [...sub.positions.keys()].sort((a, b) => a - b)) {
    const market = state.markets[id] as Market
    const size = (sub.positions.get(id) as { size: bigint }).size
    const value = positionValue(market, size)
    if (size > 0n) transferPosition(state, market, fund, sub, size, value, dirty)
    else transferPosition(state, market, sub, fund, -size, -value, dirty)
  }
  touchCollateral(dirty, sub)
  touchCollateral(dirty, fund)
  fund.collateral += sub.collateral
  sub.collateral = 0n
  for (const [asset, amount] of sub.assets) fund.assets.set(asset, (fund.assets.get(asset) ?? 0n) + amount)
  sub.assets.clear()
  return { type: 'insuranceTakeover', address: sub.address, subaccount: sub.subaccount, equity: accountEquity }
}

interface Ranked {
  sub: Subaccount
  id: string
  /** score = num / den, den > 0 */
  num: bigint
  den: bigint
}

/** Opposite positions in `market`, best score first (module comment); the fund last. */
function rankCounterparties(state: State, market: Market, bankrupt: Subaccount, long: boolean): Ranked[] {
  const fundId = insuranceFundId()
  const bankruptId = subaccountId(bankrupt.address, bankrupt.subaccount)
  const ranked: Ranked[] = []
  let fund: Ranked | undefined
  for (const [id, sub] of state.subaccounts) {
    const p = sub.positions.get(market.id)
    if (p === undefined || id === bankruptId || p.size > 0n === long) continue
    const pnl = positionValue(market, p.size) - p.cost
    const e = equity(state, sub)
    const entry = {
      sub,
      id,
      num: pnl * openNotional(state, sub),
      den: (abs(p.cost) > 0n ? abs(p.cost) : 1n) * (e > 0n ? e : 1n),
    }
    if (id === fundId) fund = entry
    else ranked.push(entry)
  }
  ranked.sort((a, b) => {
    const left = a.num * b.den
    const right = b.num * a.den
    if (left !== right) return left > right ? -1 : 1
    return a.id < b.id ? -1 : 1
  })
  if (fund !== undefined) ranked.push(fund)
  return ranked
}

function deleverage(state: State, sub: Subaccount, deficit: bigint, dirty: Dirty): TxEvent[] {
  const events: TxEvent[] = []
  const ids = [...sub.positions.keys()].sort((a, b) => a - b)
  const notionals = ids.map((id) =>
    notional(state.markets[id] as Market, (sub.positions.get(id) as { size: bigint }).size),
  )
  const total = notionals.reduce((a, b) => a + b, 0n)
  const shares = notionals.map((n) => (total === 0n ? 0n : (deficit * n) / total))
  shares[0] = (shares[0] as bigint) + deficit - shares.reduce((a, b) => a + b, 0n)
  ids.forEach((id, i) => {
    const market = state.markets[id] as Market
    const size = (sub.positions.get(id) as { size: bigint }).size
    const long = size > 0n
    const whole = abs(size)
    const share = shares[i] as bigint
    let closed = 0n
    for (const c of rankCounterparties(state, market, sub, long)) {
      if (closed === whole) break
      const theirs = abs((c.sub.positions.get(id) as { size: bigint }).size)
      const x = theirs < whole - closed ? theirs : whole - closed
      const next = closed + x
      const value =
        (next * market.oraclePrice) / market.quoteDivisor - (closed * market.oraclePrice) / market.quoteDivisor
      const owed = (share * next) / whole - (share * closed) / whole
      // a bankrupt long sells above the oracle value, a bankrupt short buys back below it
      const quote = long ? value + owed : value - owed
      if (long) transferPosition(state, market, c.sub, sub, x, quote, dirty)
      else transferPosition(state, market, sub, c.sub, x, quote, dirty)
      events.push({
        type: 'deleveraged',
        market: id,
        address: sub.address,
        subaccount: sub.subaccount,
        counterparty: c.sub.address,
        counterpartySubaccount: c.sub.subaccount,
        size: x,
        quote: long ? quote : -quote,
      })
      closed = next
    }
    if (closed !== whole)
      throw new InvariantViolation(`market ${id}: no opposite positions left to deleverage ${whole - closed}`)
  })
  return events
}

/** Takes a bankrupt (or auction-exhausted) subaccount out of the market: takeover if the fund covers, else ADL. */
export function backstop(state: State, sub: Subaccount, dirty: Dirty): TxEvent[] {
  clearAuctions(state, sub, dirty)
  settleFunding(state, sub, dirty)
  const accountEquity = equity(state, sub)
  const fundEquity = equity(state, readSubaccount(state, INSURANCE_FUND_ADDRESS, INSURANCE_FUND_SUBACCOUNT))
  // with no position there is nobody to deleverage against: the fund takes the debt and the collateral
  const covered = accountEquity >= 0n || fundEquity >= -accountEquity || sub.positions.size === 0
  if (covered) return [takeover(state, sub, accountEquity, dirty)]
  return deleverage(state, sub, -accountEquity, dirty)
}
