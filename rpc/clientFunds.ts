/**
 * @module Messages that move collateral or authority — withdraw, transfer between subaccounts, approve an
 * agent — and liquidation-auction bids. Amounts are decimal USDC ("100.5", 6 decimals). Only the account's own
 * key may withdraw, transfer or approve an agent; an agent client is refused here before it signs.
 */
import { appError } from './clientAppErrors.ts'
import { parseAmount, parseSize, parseUnits } from './clientDecimals.ts'
import type { SubaccountOptions, TxOptions, UnsignedTx, WriteContext } from './clientTx.ts'
import { address, ownerOnly, timeMs, uint, uint32 } from './clientTx.ts'

export interface WithdrawParameters extends SubaccountOptions {
  /** decimal USDC, e.g. "100.5" */
  amount: string
  /** L1 address that receives it; default the account itself */
  recipient?: string | undefined
}

export interface TransferParameters extends TxOptions {
  /** subaccount numbers of the same account */
  from: number
  to: number
  /** decimal USDC */
  amount: string
}

export interface ApproveAgentParameters extends TxOptions {
  agent: string
  /** block time in ms (or a Date) until which the agent may act */
  validUntil: Date | bigint | number
}

export interface BidParameters extends SubaccountOptions {
  auctionId: bigint
  /** decimal: base units of the market (position auctions) or of the asset (collateral auctions) */
  size: string
  /** decimal price; bidders buy: the most they pay, bidders sell: the least they take */
  limitPrice: string
  /** collateral auctions only (asset ≥ 1): the asset's decimals, which perp_markets does not publish (WETH: 18) */
  assetDecimals?: number | undefined
}

const nonceOf = (ctx: WriteContext, p: TxOptions): bigint =>
  ctx.nonce(p.nonce === undefined ? undefined : uint(p.nonce, 64, 'nonce'))

export function buildWithdraw(ctx: WriteContext, p: WithdrawParameters): UnsignedTx {
  ownerOnly(ctx, 'withdraw')
  const amount = parseAmount(p.amount)
  const message = {
    account: ctx.owner,
    subaccount: uint32(p.subaccount ?? ctx.subaccount, 'subaccount'),
    recipient: p.recipient === undefined ? ctx.owner : address(p.recipient, 'recipient'),
    amount,
    nonce: nonceOf(ctx, p),
  }
  return { kind: 'withdraw', message, extra: { nonce: message.nonce } }
}

export function buildTransfer(ctx: WriteContext, p: TransferParameters): UnsignedTx {
  ownerOnly(ctx, 'transfer')
  const amount = parseAmount(p.amount)
  const message = {
    account: ctx.owner,
    fromSubaccount: uint32(p.from, 'fromSubaccount'),
    toSubaccount: uint32(p.to, 'toSubaccount'),
    amount,
    nonce: nonceOf(ctx, p),
  }
  return { kind: 'transfer', message, extra: { nonce: message.nonce } }
}

export function buildApproveAgent(ctx: WriteContext, p: ApproveAgentParameters): UnsignedTx {
  ownerOnly(ctx, 'approve agents')
  const message = {
    account: ctx.owner,
    agent: address(p.agent, 'agent'),
    validUntil: timeMs(p.validUntil, 'validUntil'),
    nonce: nonceOf(ctx, p),
  }
  return { kind: 'approveAgent', message, extra: { nonce: message.nonce } }
}

/** Looks the auction up for its market (and asset), so size and price convert in the right scales. */
export async function buildBid(ctx: WriteContext, p: BidParameters): Promise<UnsignedTx> {
  const auctionId = uint(p.auctionId, 64, 'auctionId')
  const auction = (await ctx.reads.auctions()).auctions.find((a) => a.id === auctionId)
  if (auction === undefined)
    throw appError('AUCTION_NOT_FOUND', `no live auction ${auctionId}`, {
      origin: 'client',
      field: 'auctionId',
      details: 'it may have just been filled or taken over by the insurance fund',
    })
  const market = await ctx.directory.get(auction.market)
  let size: bigint
  if (auction.asset === 0) size = parseSize(market, p.size)
  else if (p.assetDecimals === undefined)
    throw appError(
      'INVALID_MESSAGE',
      `auction ${auctionId} sells collateral asset ${auction.asset}: pass assetDecimals`,
      {
        origin: 'client',
        field: 'assetDecimals',
      },
    )
  else size = parseUnits(p.size, p.assetDecimals, 'size')
  const message = {
    account: ctx.owner,
    subaccount: uint32(p.subaccount ?? ctx.subaccount, 'subaccount'),
    auctionId,
    size,
    // auction prices move off the tick (the curve cuts by ppm), so a limit needs only the price scale
    limitPrice: parseUnits(p.limitPrice, market.priceDecimals, 'limitPrice'),
    nonce: nonceOf(ctx, p),
  }
  return { kind: 'auctionBid', message, extra: { nonce: message.nonce } }
}
