/**
 * @module Order messages from trader terms: a side, decimal price and size in the market's own scales, a
 * time in force by name. A market order is an IOC with a limit price: the caller's, or the best opposite
 * quote moved by `slippage` (the mark price when that side of the book is empty), rounded to the tick toward
 * the quote so the bound is never looser than asked. Cancels name the order by its clientId.
 */
import { appError } from './clientAppErrors.ts'
import { parsePrice, parseSize, parseUnits } from './clientDecimals.ts'
import type { MarketRef } from './clientMarkets.ts'
import type { SubaccountOptions, UnsignedTx, WriteContext } from './clientTx.ts'
import { timeMs, uint, uint32 } from './clientTx.ts'
import type { Market } from './clientTypes.ts'

export type Side = 'buy' | 'sell'
export type TimeInForce = 'GTC' | 'IOC' | 'FOK'

/** DESIGN §3: 0 GTC, 1 IOC, 2 FOK */
const TIME_IN_FORCE: Readonly<Record<TimeInForce, number>> = { GTC: 0, IOC: 1, FOK: 2 }

export interface PlaceOrderParameters extends SubaccountOptions {
  market: MarketRef
  side: Side
  /** decimal, in quote per whole base unit ("60000.5"); must be on the market's tick */
  price: string
  /** decimal, in base units ("0.01"); must be a multiple of the market's lot */
  size: string
  /** default GTC */
  timeInForce?: TimeInForce | undefined
  reduceOnly?: boolean | undefined
  postOnly?: boolean | undefined
  /** your uint64 id for the order, unique among your resting orders in the market; default: the nonce */
  clientId?: bigint | undefined
  /** block time in ms (or a Date) after which the order no longer trades; default none */
  expiresAt?: Date | bigint | number | undefined
}

export interface MarketOrderParameters extends SubaccountOptions {
  market: MarketRef
  side: Side
  size: string
  /** the worst price accepted, as a fraction of the reference price ("0.01" = 1%); default "0.01" */
  slippage?: string | undefined
  /** or the worst price itself (decimal, on tick); wins over slippage */
  price?: string | undefined
  /** IOC (default: the unfilled rest is canceled) or FOK (all or nothing) */
  timeInForce?: 'IOC' | 'FOK' | undefined
  reduceOnly?: boolean | undefined
  clientId?: bigint | undefined
}

export interface CancelParameters extends SubaccountOptions {
  market: MarketRef
  clientId: bigint
}

export interface CancelAllParameters extends SubaccountOptions {
  market: MarketRef
}

export type OrderTx = UnsignedTx<{ clientId: bigint }>

function orderMessage(
  ctx: WriteContext,
  p: SubaccountOptions & { side: Side; reduceOnly?: boolean | undefined; clientId?: bigint | undefined },
  market: Market,
  fields: { price: bigint; size: bigint; timeInForce: number; postOnly: boolean; expiresAt: bigint },
): OrderTx {
  if (p.side !== 'buy' && p.side !== 'sell')
    throw appError('INVALID_MESSAGE', `side must be 'buy' or 'sell'`, { origin: 'client', field: 'side' })
  const nonce = ctx.nonce(p.nonce === undefined ? undefined : uint(p.nonce, 64, 'nonce'))
  const clientId = p.clientId === undefined ? nonce : uint(p.clientId, 64, 'clientId')
  const message = {
    account: ctx.owner,
    subaccount: uint32(p.subaccount ?? ctx.subaccount, 'subaccount'),
    market: market.id,
    isBuy: p.side === 'buy',
    price: fields.price,
    size: fields.size,
    timeInForce: fields.timeInForce,
    reduceOnly: p.reduceOnly ?? false,
    postOnly: fields.postOnly,
    clientId,
    nonce,
    expiresAt: fields.expiresAt,
  }
  return { kind: 'order', message, extra: { clientId, nonce } }
}

export async function buildPlaceOrder(ctx: WriteContext, p: PlaceOrderParameters): Promise<OrderTx> {
  const market = await ctx.directory.get(p.market)
  const tif = p.timeInForce ?? 'GTC'
  if (!Object.hasOwn(TIME_IN_FORCE, tif))
    throw appError('UNSUPPORTED_ORDER', `timeInForce must be GTC, IOC or FOK`, {
      origin: 'client',
      field: 'timeInForce',
    })
  return orderMessage(ctx, p, market, {
    price: parsePrice(market, p.price),
    size: parseSize(market, p.size),
    timeInForce: TIME_IN_FORCE[tif],
    postOnly: p.postOnly ?? false,
    expiresAt: p.expiresAt === undefined ? 0n : timeMs(p.expiresAt, 'expiresAt'),
  })
}

/** ppm: slippage is parsed with 6 decimals ("0.005" = 5,000 ppm) */
const PPM = 1_000_000n

/** The slippage-bounded limit: buy ⌊ref × (1 + s)⌋ down to the tick, sell ⌈ref × (1 − s)⌉ up to the tick. */
export function slippageLimit(
  market: { tickSize: bigint },
  side: Side,
  reference: bigint,
  slippagePpm: bigint,
): bigint {
  const tick = market.tickSize
  if (side === 'buy') {
    const bound = (reference * (PPM + slippagePpm)) / PPM // floor: never above the bound
    return bound - (bound % tick)
  }
  const bound = (reference * (PPM - slippagePpm) + PPM - 1n) / PPM // ceil: never below the bound
  const off = bound % tick
  return off === 0n ? bound : bound - off + tick
}

async function marketOrderLimit(ctx: WriteContext, market: Market, p: MarketOrderParameters): Promise<bigint> {
  if (p.price !== undefined) return parsePrice(market, p.price)
  const slippagePpm = parseUnits(p.slippage ?? '0.01', 6, 'slippage')
  if (slippagePpm >= PPM)
    throw appError('INVALID_PRICE', `slippage must be below 1 (100%)`, { origin: 'client', field: 'slippage' })
  const book = await ctx.reads.orderBook(market.id, 1)
  const best = (p.side === 'buy' ? book.asks : book.bids)[0]?.[0]
  const reference = best ?? (await ctx.reads.markPrice(market.id))
  const limit = slippageLimit(market, p.side, reference, slippagePpm)
  if (limit <= 0n)
    throw appError('INVALID_PRICE', `no positive limit price within the slippage`, {
      origin: 'client',
      field: 'slippage',
    })
  return limit
}

export async function buildMarketOrder(ctx: WriteContext, p: MarketOrderParameters): Promise<OrderTx> {
  const market = await ctx.directory.get(p.market)
  const size = parseSize(market, p.size)
  const tif = p.timeInForce ?? 'IOC'
  if (tif !== 'IOC' && tif !== 'FOK')
    throw appError('UNSUPPORTED_ORDER', `a market order is IOC or FOK`, { origin: 'client', field: 'timeInForce' })
  const price = await marketOrderLimit(ctx, market, p)
  return orderMessage(ctx, p, market, { price, size, timeInForce: TIME_IN_FORCE[tif], postOnly: false, expiresAt: 0n })
}

export async function buildCancel(ctx: WriteContext, p: CancelParameters): Promise<UnsignedTx> {
  const market = await ctx.directory.get(p.market)
  const nonce = ctx.nonce(p.nonce === undefined ? undefined : uint(p.nonce, 64, 'nonce'))
  const message = {
    account: ctx.owner,
    subaccount: uint32(p.subaccount ?? ctx.subaccount, 'subaccount'),
    market: market.id,
    clientId: uint(p.clientId, 64, 'clientId'),
    nonce,
  }
  return { kind: 'cancel', message, extra: { nonce } }
}

export async function buildCancelAll(ctx: WriteContext, p: CancelAllParameters): Promise<UnsignedTx> {
  const market = await ctx.directory.get(p.market)
  const nonce = ctx.nonce(p.nonce === undefined ? undefined : uint(p.nonce, 64, 'nonce'))
  const message = {
    account: ctx.owner,
    subaccount: uint32(p.subaccount ?? ctx.subaccount, 'subaccount'),
    market: market.id,
    nonce,
  }
  return { kind: 'cancelAll', message, extra: { nonce } }
}
