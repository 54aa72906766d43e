/**
 * @module The read methods of the client: one JSON-RPC call each, the result converted by the rule of
 * clientTypes.ts (decimal-string integers → bigint). Markets may be named by id or symbol.
 */
import type { MarketDirectory, MarketRef } from './clientMarkets.ts'
import type { Transport } from './clientTransport.ts'
import type {
  AccountState,
  Auctions,
  Block,
  ChainInfo,
  Hex,
  InsuranceFund,
  Market,
  OrderBook,
  Proof,
  Receipt,
} from './clientTypes.ts'
import { fromWire } from './clientWire.ts'

export interface ReadActions {
  chainInfo(): Promise<ChainInfo>
  /** all markets with live prices; also refreshes the client's market cache */
  markets(): Promise<Market[]>
  /** one market by id or symbol, from the cache (scales, tick, lot); prices as of its last refresh */
  market(market: MarketRef): Promise<Market>
  /** depth: levels per side (node default 20, at most 500) */
  orderBook(market: MarketRef, depth?: number): Promise<OrderBook>
  /** subaccount defaults to the client's */
  account(address?: string, subaccount?: number): Promise<AccountState>
  /** null when the node does not know the hash */
  transaction(hash: Hex): Promise<Receipt | null>
  /** null past the head */
  block(height?: bigint | number | 'latest'): Promise<Block | null>
  proof(address?: string, subaccount?: number, height?: bigint | number): Promise<Proof>
  auctions(market?: MarketRef): Promise<Auctions>
  insuranceFund(): Promise<InsuranceFund>
}

export interface ReadContext {
  transport: Transport
  directory: MarketDirectory
  /** the address reads default to (the account the client acts for) */
  owner: string
  subaccount: number
}

export function createReadActions(ctx: ReadContext): ReadActions {
  const call = async <T>(method: string, params: unknown[] = []): Promise<T> =>
    fromWire<T>(await ctx.transport.request(method, params))
  const marketId = async (ref: MarketRef): Promise<number> => (await ctx.directory.get(ref)).id

  return {
    chainInfo: () => call<ChainInfo>('perp_chainInfo'),
    async markets() {
      const markets = await call<Market[]>('perp_markets')
      ctx.directory.set(markets)
      return markets
    },
    market: (ref) => ctx.directory.get(ref),
    async orderBook(ref, depth) {
      const params: unknown[] = [await marketId(ref)]
      if (depth !== undefined) params.push(depth)
      return call<OrderBook>('perp_orderBook', params)
    },
    account: (address = ctx.owner, subaccount = ctx.subaccount) =>
      call<AccountState>('perp_account', [address, subaccount]),
    transaction: (hash) => call<Receipt | null>('perp_transaction', [hash]),
    block: (height = 'latest') => call<Block | null>('perp_block', [height === 'latest' ? height : String(height)]),
    proof(address = ctx.owner, subaccount = ctx.subaccount, height) {
      const params: unknown[] = [address, subaccount]
      if (height !== undefined) params.push(String(height))
      return call<Proof>('perp_proof', params)
    },
    async auctions(ref) {
      return call<Auctions>('perp_auctions', ref === undefined ? [] : [await marketId(ref)])
    },
    insuranceFund: () => call<InsuranceFund>('perp_insuranceFund'),
  }
}
