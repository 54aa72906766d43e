/**
 * @module The client's market directory: markets by id or symbol ("BTC-USD", case-insensitive), loaded once
 * from perp_markets and kept; a name the cache does not know reloads it once before it is refused
 * (UnknownMarketError, origin `client`). Scales, tick and lot come from here; live prices are read fresh
 * (client.markets(), which also refreshes this cache).
 */
import { appError } from './clientAppErrors.ts'
import type { Market } from './clientTypes.ts'

/** A market's id (0, 1, …) or its symbol ("BTC-USD"). */
export type MarketRef = number | string

export interface MarketDirectory {
  get(ref: MarketRef): Promise<Market>
  /** replaces the cache (client.markets() calls it with what it read) */
  set(markets: readonly Market[]): void
}

function find(markets: readonly Market[], ref: MarketRef): Market | undefined {
  if (typeof ref === 'number') return markets.find((m) => m.id === ref)
  const symbol = ref.toUpperCase()
  return markets.find((m) => m.symbol.toUpperCase() === symbol)
}

export function createMarketDirectory(load: () => Promise<Market[]>): MarketDirectory {
  let cache: readonly Market[] | undefined
  let loading: Promise<readonly Market[]> | undefined

  async function reload(): Promise<readonly Market[]> {
    loading ??= load().finally(() => {
      loading = undefined
    })
    cache = await loading
    return cache
  }

  return {
    async get(ref) {
      const hit = cache === undefined ? undefined : find(cache, ref)
      if (hit !== undefined) return hit
      const found = find(await reload(), ref)
      if (found === undefined)
        throw appError('UNKNOWN_MARKET', `unknown market ${String(ref)}`, {
          origin: 'client',
          field: 'market',
          details: `markets: ${(cache ?? []).map((m) => `${m.id} ${m.symbol}`).join(', ')}`,
        })
      return found
    },
    set(markets) {
      cache = markets
    },
  }
}
