/**
 * @module What each topic says about one block, read from the block feed (rpc/backend.ts BlockFeed): the head,
 * the fills, and the liquidation events. Each is built once per block, then filtered per group
 * (rpc/subscriptionHub.ts). Quantities stay the decimal strings of the feed.
 */
import type { BlockFeed } from './backend.ts'
import type { Json } from './json.ts'

type JsonObject = { [key: string]: Json }

export function newHeadsResult(feed: BlockFeed): JsonObject {
  const { height, hash, parentHash, time, proposer, stateRoot, txRoot, transactionCount } = feed
  return { height, hash, parentHash, time, proposer, stateRoot, txRoot, transactionCount }
}

export interface FillRecord {
  json: JsonObject
  market: number
  maker: string
  taker: string
}

/** Every fill of the block in block order, with its block height and transaction. */
export function blockFills(feed: BlockFeed): FillRecord[] {
  const out: FillRecord[] = []
  for (const tx of feed.transactions)
    for (const e of tx.events) {
      if (e.type !== 'fill') continue
      const { type: _, ...fill } = e
      const maker = String(e.maker).toLowerCase()
      const taker = String(e.taker).toLowerCase()
      out.push({
        json: {
          height: feed.height,
          txHash: tx.hash,
          txIndex: tx.index,
          ...fill,
          side: e.takerIsBuy === true ? 'buy' : 'sell',
        },
        market: Number(e.market),
        maker,
        taker,
      })
    }
  return out
}

/** The group keys of `fills` subscriptions a fill goes to: any market or its own, any account or either side's. */
export function fillKeys(f: FillRecord): string[] {
  const keys = new Set<string>()
  for (const m of ['*', String(f.market)]) for (const a of ['*', f.maker, f.taker]) keys.add(`fills:${m}:${a}`)
  return [...keys]
}

const LIQUIDATION_BLOCK_EVENTS = new Set(['auctionStarted', 'auctionReset', 'insuranceTakeover', 'deleveraged'])

export interface LiquidationRecord {
  json: JsonObject
  /** undefined: the event names no market (insuranceTakeover), so it goes to every liquidations subscription */
  market: number | undefined
}

/**
 * The block's liquidation events: block-level ones in block order (auction resets and backstops before the
 * block's transactions, new auctions and their order cancellations after them), then the auction fills of its
 * transactions in transaction order, each with its transaction's hash.
 */
export function blockLiquidations(feed: BlockFeed): LiquidationRecord[] {
  const out: LiquidationRecord[] = []
  const record = (json: JsonObject): void => {
    out.push({ json, market: json.market === undefined || json.market === null ? undefined : Number(json.market) })
  }
  for (const e of feed.events)
    if (LIQUIDATION_BLOCK_EVENTS.has(String(e.type)) || (e.type === 'orderCanceled' && e.reason === 'liquidation'))
      record(e)
  for (const tx of feed.transactions)
    for (const e of tx.events) if (e.type === 'auctionFill') record({ ...e, txHash: tx.hash, txIndex: tx.index })
  return out
}
