/**
 * @module The WebSocket subscription topics and their schemas: what `perp_subscribe(topic, params)` accepts
 * for each topic (checked before a subscription is made, rpc/subscriptionParams.ts) and the shape of each
 * topic's notification `result`. Plain JSON Schema (draft-07 keywords: type, properties, required,
 * additionalProperties, anyOf, pattern, minimum, maximum, items, enum), so the OpenRPC document can embed them
 * as they are. A `description` on a parameter is the phrase an error message uses for it.
 */

export const SUBSCRIPTION_TOPICS = ['newHeads', 'fills', 'orderBook', 'liquidations', 'account'] as const
export type SubscriptionTopic = (typeof SUBSCRIPTION_TOPICS)[number]

/** The largest order-book depth a subscription may ask for (as perp_orderBook) and the default. */
export const MAX_BOOK_DEPTH = 500
export const DEFAULT_BOOK_DEPTH = 20

/** A JSON Schema as these tables use it (a subset of draft-07). */
export interface TopicSchema {
  description?: string
  type?: 'object' | 'array' | 'string' | 'integer' | 'boolean' | 'null'
  properties?: Readonly<Record<string, TopicSchema>>
  required?: readonly string[]
  additionalProperties?: boolean
  anyOf?: readonly TopicSchema[]
  pattern?: string
  minimum?: number
  maximum?: number
  items?: TopicSchema
  enum?: readonly string[]
  default?: number
}

/**
 * An unsigned integer as a JSON integer or a decimal string, as the HTTP methods accept it (the string's value
 * is range-checked after the pattern, rpc/subscriptionParams.ts).
 */
function uint(description: string, minimum = 0, maximum = 2 ** 32 - 1): TopicSchema {
  return {
    description,
    anyOf: [
      { type: 'integer', minimum, maximum },
      { type: 'string', pattern: `^[0-9]{1,${String(maximum).length}}$` },
    ],
  }
}

const market = uint('a market id (integer)')
const address: TopicSchema = { description: 'a 0x address', type: 'string', pattern: '^0x[0-9a-fA-F]{40}$' }

/** `params` of perp_subscribe per topic; an absent params is read as `{}`. */
export const SUBSCRIPTION_PARAM_SCHEMAS: Readonly<Record<SubscriptionTopic, TopicSchema>> = {
  newHeads: { type: 'object', properties: {}, additionalProperties: false },
  fills: {
    type: 'object',
    properties: { market, account: { ...address, description: 'a 0x address (maker or taker)' } },
    additionalProperties: false,
  },
  orderBook: {
    type: 'object',
    properties: {
      market,
      depth: { ...uint(`a depth from 1 to ${MAX_BOOK_DEPTH}`, 1, MAX_BOOK_DEPTH), default: DEFAULT_BOOK_DEPTH },
    },
    required: ['market'],
    additionalProperties: false,
  },
  liquidations: { type: 'object', properties: { market }, additionalProperties: false },
  account: {
    type: 'object',
    properties: { address, subaccount: { ...uint('a subaccount number (integer)'), default: 0 } },
    required: ['address'],
    additionalProperties: false,
  },
}

const decimal: TopicSchema = { type: 'string', pattern: '^-?[0-9]+$' }
const hex: TopicSchema = { type: 'string', pattern: '^0x[0-9a-f]*$' }
const levels: TopicSchema = {
  description: '[price, size] pairs, best first; in a diff, size "0" removes the level',
  type: 'array',
  items: { type: 'array', items: decimal },
}
const fill: TopicSchema = {
  type: 'object',
  properties: {
    height: decimal,
    txHash: hex,
    txIndex: { description: "the transaction's position in its block", type: 'integer' },
    market: { type: 'integer' },
    price: decimal,
    size: decimal,
    side: { description: "the taker's side", type: 'string', enum: ['buy', 'sell'] },
    takerIsBuy: { type: 'boolean' },
    maker: hex,
    makerSubaccount: { type: 'integer' },
    makerOrderId: decimal,
    taker: hex,
    takerSubaccount: { type: 'integer' },
    makerFee: decimal,
    takerFee: decimal,
  },
}

/** The `result` of each topic's `perp_subscription` notification. */
export const SUBSCRIPTION_RESULT_SCHEMAS: Readonly<Record<SubscriptionTopic, TopicSchema>> = {
  newHeads: {
    type: 'object',
    properties: {
      height: decimal,
      hash: hex,
      parentHash: hex,
      time: decimal,
      proposer: hex,
      stateRoot: hex,
      txRoot: hex,
      transactionCount: { type: 'integer' },
    },
  },
  fills: { type: 'object', properties: { height: decimal, fills: { type: 'array', items: fill } } },
  orderBook: {
    description: 'first a snapshot, then a diff after each block that changed the book within depth',
    type: 'object',
    properties: {
      type: { type: 'string', enum: ['snapshot', 'diff'] },
      market: { type: 'integer' },
      height: decimal,
      seq: { description: 'one more than the previous message of this subscription', type: 'integer' },
      bids: levels,
      asks: levels,
    },
  },
  liquidations: {
    type: 'object',
    properties: {
      height: decimal,
      events: {
        description:
          'auctionStarted, auctionReset, auctionFill, insuranceTakeover, deleveraged, orderCanceled (reason liquidation)',
        type: 'array',
        items: {
          type: 'object',
          properties: { type: { type: 'string' }, txHash: hex, txIndex: { type: 'integer' } },
        },
      },
    },
  },
  account: { description: 'the perp_account view at `height`', type: 'object', properties: { height: decimal } },
}
