/**
 * @module eth_getLogs: logs of a block range (or one block by hash) filtered by address and topics, in chain
 * order. Topics are positional: each position is null (any), a hash, or an array of hashes (any of them).
 *
 * Bounded: a range over MAX_LOG_RANGE blocks, or a result over MAX_LOG_RESULTS logs, is refused with -32005
 * and a message saying how to narrow the query. The range is counted after `toBlock` is clamped to the head,
 * so `fromBlock: 0, toBlock: latest` works on a young chain.
 */

import type { ChainStore, MinedBlock } from './chainStore.ts'
import { formatLog } from './ethFormat.ts'
import { ETH_RPC_ERRORS, EthRpcError, invalidParams } from './rpcError.ts'
import type { BlockRef, Hex } from './rpcParams.ts'
import { parseAddress, parseBlockRef, parseHash, parseObject } from './rpcParams.ts'

/** blocks per eth_getLogs query */
export const MAX_LOG_RANGE = 10_000n
/** logs per eth_getLogs answer */
export const MAX_LOG_RESULTS = 10_000

export interface LogQuery {
  blocks: { from: BlockRef; to: BlockRef } | { hash: Hex }
  /** undefined = any address */
  addresses: Set<Hex> | undefined
  /** per position: undefined = any topic */
  topics: (Set<Hex> | undefined)[]
}

export function parseLogQuery(v: unknown): LogQuery {
  const o = parseObject(v ?? {}, 'filter')
  const addresses = parseAddresses(o.address)
  const topics = parseTopics(o.topics)
  if (o.blockHash !== undefined) {
    if (o.fromBlock !== undefined || o.toBlock !== undefined)
      throw invalidParams('filter: blockHash cannot be combined with fromBlock or toBlock')
    return { blocks: { hash: parseHash(o.blockHash, 'filter.blockHash') }, addresses, topics }
  }
  const from = parseBlockRef(o.fromBlock, 'filter.fromBlock')
  return { blocks: { from, to: parseBlockRef(o.toBlock, 'filter.toBlock') }, addresses, topics }
}

function parseAddresses(v: unknown): Set<Hex> | undefined {
  if (v === undefined || v === null) return undefined
  const list = Array.isArray(v) ? v : [v]
  if (list.length === 0) return undefined
  return new Set(list.map((a, i) => parseAddress(a, `filter.address[${i}]`)))
}

function parseTopics(v: unknown): (Set<Hex> | undefined)[] {
  if (v === undefined || v === null) return []
  if (!Array.isArray(v) || v.length > 4) throw invalidParams('filter.topics: expected an array of at most 4 entries')
  return v.map((t, i) => {
    if (t === null) return undefined
    const alternatives = Array.isArray(t) ? t : [t]
    // an empty alternative list matches any topic, as in geth
    if (alternatives.length === 0) return undefined
    return new Set(alternatives.map((h, j) => parseHash(h, `filter.topics[${i}][${j}]`)))
  })
}

export function getLogs(store: ChainStore, query: LogQuery): unknown[] {
  const out: unknown[] = []
  for (const mined of blocksOf(store, query)) {
    for (const r of mined.receipts)
      for (const log of r.logs) {
        if (!matches(query, log.address, log.topics)) continue
        if (out.length === MAX_LOG_RESULTS)
          throw new EthRpcError(
            ETH_RPC_ERRORS.limitExceeded,
            `eth_getLogs: more than ${MAX_LOG_RESULTS} logs match; query a smaller block range`,
          )
        out.push(formatLog(mined, r, log))
      }
  }
  return out
}

function blocksOf(store: ChainStore, query: LogQuery): MinedBlock[] {
  if ('hash' in query.blocks) {
    const mined = store.byHash(query.blocks.hash)
    if (mined === undefined) throw new EthRpcError(ETH_RPC_ERRORS.rejected, 'unknown block')
    return [mined]
  }
  const head = store.head().number
  const from = numberOf(store, query.blocks.from, head)
  const to = numberOf(store, query.blocks.to, head)
  if (from > to) throw invalidParams(`filter: fromBlock ${from} is after toBlock ${to}`)
  const last = to < head ? to : head
  if (last - from + 1n > MAX_LOG_RANGE)
    throw new EthRpcError(
      ETH_RPC_ERRORS.limitExceeded,
      `eth_getLogs: a range of ${last - from + 1n} blocks is over the limit of ${MAX_LOG_RANGE}; query in smaller ranges`,
    )
  const blocks: MinedBlock[] = []
  for (let n = from; n <= last; n++) {
    const mined = store.byNumber(n)
    if (mined !== undefined && mined.receipts.length > 0) blocks.push(mined)
  }
  return blocks
}

/** A block number for a range end; a hash names its block's number, a tag the head (or 0 for earliest). */
function numberOf(store: ChainStore, ref: BlockRef, head: bigint): bigint {
  if (ref.kind === 'number') return ref.number
  if (ref.kind === 'tag') return ref.tag === 'earliest' ? 0n : head
  const mined = store.byHash(ref.hash)
  if (mined === undefined) throw new EthRpcError(ETH_RPC_ERRORS.rejected, 'unknown block')
  return mined.number
}

function matches(query: LogQuery, address: Hex, topics: Hex[]): boolean {
  if (query.addresses !== undefined && !query.addresses.has(address.toLowerCase() as Hex)) return false
  for (const [i, wanted] of query.topics.entries()) {
    if (wanted === undefined) continue
    const topic = topics[i]
    if (topic === undefined || !wanted.has(topic)) return false
  }
  return true
}
