/**
 * perp_subscribe's params (rpc/subscriptionParams.ts against rpc/subscriptionSchemas.ts): normalization, the
 * field named by each refusal, group keys that treat equivalent params alike, and what each topic reads out of
 * a block feed (rpc/subscriptionTopics.ts) on hand-made feeds.
 */
import { describe, expect, it } from 'vitest'
import type { BlockFeed } from '../../rpc/index.ts'
import { RpcError } from '../../rpc/index.ts'
import { groupKey, readSubscribeParams, readUnsubscribeParams } from '../../rpc/subscriptionParams.ts'
import { SUBSCRIPTION_PARAM_SCHEMAS, SUBSCRIPTION_TOPICS } from '../../rpc/subscriptionSchemas.ts'
import { blockFills, blockLiquidations, fillKeys, newHeadsResult } from '../../rpc/subscriptionTopics.ts'

const ADDR = '0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266'
const OTHER = '0x70997970c51812dc3a010c7d01b50e0d17dc79c8'

function refusal(params: unknown): { code: number; field: unknown } {
  try {
    readSubscribeParams(params)
  } catch (e) {
    if (e instanceof RpcError) return { code: e.code, field: e.data?.field }
    throw e
  }
  throw new Error(`accepted ${JSON.stringify(params)}`)
}

describe('perp_subscribe params', () => {
  it('has a schema for every topic', () => {
    expect(Object.keys(SUBSCRIPTION_PARAM_SCHEMAS).sort()).toEqual([...SUBSCRIPTION_TOPICS].sort())
  })

  it('normalizes numbers, addresses and defaults', () => {
    expect(readSubscribeParams(['newHeads'])).toEqual({ topic: 'newHeads' })
    expect(readSubscribeParams(['newHeads', {}])).toEqual({ topic: 'newHeads' })
    expect(readSubscribeParams(['orderBook', { market: '1' }])).toEqual({ topic: 'orderBook', market: 1, depth: 20 })
    expect(readSubscribeParams(['orderBook', { market: 0, depth: 500 }])).toEqual({
      topic: 'orderBook',
      market: 0,
      depth: 500,
    })
    expect(readSubscribeParams(['account', { address: ADDR }])).toEqual({
      topic: 'account',
      address: ADDR.toLowerCase(),
      subaccount: 0,
    })
    expect(readSubscribeParams(['fills', { account: ADDR, market: 1 }])).toEqual({
      topic: 'fills',
      market: 1,
      account: ADDR.toLowerCase(),
    })
  })

  it('gives equivalent params one group and different params different groups', () => {
    const key = (p: unknown[]) => groupKey(readSubscribeParams(p))
    expect(key(['orderBook', { market: '0' }])).toBe(key(['orderBook', { market: 0, depth: 20 }]))
    expect(key(['account', { address: ADDR }])).toBe(key(['account', { address: ADDR.toLowerCase(), subaccount: '0' }]))
    expect(key(['orderBook', { market: 0, depth: 10 }])).not.toBe(key(['orderBook', { market: 0, depth: 11 }]))
    expect(key(['fills', { market: 0 }])).not.toBe(key(['fills', { account: ADDR }]))
  })

  it('refuses with -32602 naming the field', () => {
    const cases: [unknown, string][] = [
      ['newHeads', ''],
      [['candles'], 'topic'],
      [['orderBook', { depth: 5 }], 'market'],
      [['orderBook', { market: 0, depth: 501 }], 'depth'],
      [['orderBook', { market: 0, depth: '501' }], 'depth'],
      [['orderBook', { market: 0, depth: 1.5 }], 'depth'],
      [['orderBook', { market: '4294967296' }], 'market'],
      [['fills', { account: 'alice' }], 'account'],
      [['account', {}], 'address'],
      [['account', { address: ADDR, extra: true }], 'extra'],
      [['liquidations', 'all'], 'params'],
    ]
    for (const [params, field] of cases) {
      const r = refusal(params)
      expect(r.code, JSON.stringify(params)).toBe(-32602)
      if (field !== '') expect(r.field, JSON.stringify(params)).toBe(field)
    }
  })

  it('reads a subscription id for perp_unsubscribe', () => {
    expect(readUnsubscribeParams(['0xABcd'])).toBe('0xabcd')
    expect(() => readUnsubscribeParams([])).toThrow(RpcError)
    expect(() => readUnsubscribeParams(['abcd'])).toThrow(RpcError)
  })
})

const FEED: BlockFeed = {
  height: '12',
  hash: '0xaa',
  parentHash: '0xbb',
  time: '1000',
  proposer: '0xcc',
  stateRoot: '0xdd',
  txRoot: '0xee',
  transactionCount: 3,
  transactions: [
    {
      hash: '0x01',
      index: 0,
      events: [
        { type: 'orderPlaced', market: 0, orderId: '1', price: '5', size: '1', isBuy: true },
        {
          type: 'fill',
          market: 1,
          price: '7',
          size: '2',
          takerIsBuy: false,
          maker: OTHER,
          makerSubaccount: 0,
          makerOrderId: '3',
          taker: ADDR.toLowerCase(),
          takerSubaccount: 0,
          makerFee: '1',
          takerFee: '2',
        },
      ],
    },
    { hash: '0x02', index: 2, events: [{ type: 'auctionFill', auctionId: '4', market: 0, size: '1' }] },
  ],
  events: [
    { type: 'oraclePrice', market: 0, price: '9', reports: 2 },
    { type: 'auctionReset', auctionId: '4', startPrice: '9', resets: 1, market: 0 },
    { type: 'insuranceTakeover', address: OTHER, subaccount: 1, equity: '-5' },
    { type: 'orderCanceled', market: 1, orderId: '8', reason: 'liquidation' },
    { type: 'orderCanceled', market: 1, orderId: '9', reason: 'user' },
  ],
  markets: [0, 1],
  subaccounts: [],
}

describe('topics read from a block feed', () => {
  it('newHeads: the header fields and the transaction count', () => {
    expect(newHeadsResult(FEED)).toEqual({
      height: '12',
      hash: '0xaa',
      parentHash: '0xbb',
      time: '1000',
      proposer: '0xcc',
      stateRoot: '0xdd',
      txRoot: '0xee',
      transactionCount: 3,
    })
  })

  it('fills: each fill with its height, transaction and taker side, keyed for both parties', () => {
    const fills = blockFills(FEED)
    expect(fills).toHaveLength(1)
    const f = fills[0] as (typeof fills)[number]
    expect(f.json).toMatchObject({ height: '12', txHash: '0x01', txIndex: 0, market: 1, side: 'sell', takerFee: '2' })
    expect(f.json.type).toBeUndefined()
    expect(fillKeys(f).sort()).toEqual(
      [
        'fills:*:*',
        `fills:*:${OTHER}`,
        `fills:*:${ADDR.toLowerCase()}`,
        'fills:1:*',
        `fills:1:${OTHER}`,
        `fills:1:${ADDR.toLowerCase()}`,
      ].sort(),
    )
  })

  it('liquidations: block events first, then auction fills with their transaction; no other events', () => {
    const records = blockLiquidations(FEED)
    expect(records.map((r) => [r.json.type, r.market])).toEqual([
      ['auctionReset', 0],
      ['insuranceTakeover', undefined],
      ['orderCanceled', 1],
      ['auctionFill', 0],
    ])
    expect(records[3]?.json).toMatchObject({ txHash: '0x02', txIndex: 2 })
  })
})
