/**
 * @module Result schemas of the methods, as docs/rpc.md describes them. They name the fields every answer has
 * (required) and leave room for more (objects are open), so a field added later is not a breaking change.
 * test/e2e/rpcDiscover checks live answers of a running node against them.
 */
import type { JsonSchema } from './schema.ts'
import { ref } from './schemaComponents.ts'

const Q = ref('Quantity')
const int: JsonSchema = { type: 'integer', minimum: 0 }

function obj(props: Record<string, JsonSchema>, extra: Partial<JsonSchema> = {}): JsonSchema {
  return { type: 'object', properties: props, required: Object.keys(props), ...extra }
}
const nullable = (s: JsonSchema): JsonSchema => ({ anyOf: [s, { type: 'null' }] })

const ALARM: JsonSchema = obj(
  {
    kind: { type: 'string', enum: ['root-mismatch', 'equivocation'] },
    height: Q,
    detail: { type: 'string' },
    evidence: { type: 'object' },
  },
  { title: 'Alarm', description: 'the latest fraud evidence this node recorded (docs/rpc.md, Alarms)' },
)

const CHAIN_INFO: JsonSchema = obj(
  {
    chainId: int,
    genesisHash: ref('Hex'),
    height: Q,
    stateRoot: ref('Hex'),
    blockTimeMs: int,
    role: { type: 'string', enum: ['sequencer', 'validator'] },
    peers: int,
    sequencer: ref('Address'),
    eip712: obj({ domain: { type: 'object' }, types: { type: 'object' }, primaryTypes: { type: 'object' } }),
    alarm: nullable(ref('Alarm')),
  },
  { title: 'ChainInfo' },
)

const MARKET: JsonSchema = obj(
  {
    id: int,
    symbol: { type: 'string' },
    priceDecimals: int,
    sizeDecimals: int,
    tickSize: Q,
    lotSize: Q,
    oraclePrice: Q,
    markPrice: Q,
    fundingRate: Q,
    openInterest: Q,
    initialMarginFraction: Q,
    maintenanceMarginFraction: Q,
    status: { type: 'string' },
  },
  { title: 'Market', description: 'prices in 10^-priceDecimals quote, sizes in 10^-sizeDecimals base, PPM' },
)

const LEVELS: JsonSchema = { type: 'array', items: { type: 'array', items: Q, minItems: 2, maxItems: 2 } }
const ORDER_BOOK: JsonSchema = obj({ market: int, height: Q, bids: LEVELS, asks: LEVELS }, { title: 'OrderBook' })

const POSITION: JsonSchema = obj({
  market: int,
  size: Q,
  entryPrice: Q,
  unrealizedPnl: Q,
  unsettledFunding: Q,
  liquidationPrice: nullable(Q),
})

const ACCOUNT: JsonSchema = obj(
  {
    address: ref('Address'),
    subaccount: int,
    collateral: Q,
    equity: Q,
    freeCollateral: Q,
    initialMargin: Q,
    maintenanceMargin: Q,
    marginMode: { type: 'string', enum: ['cross', 'isolated'] },
    assets: { type: 'array', items: { type: 'object' } },
    positions: { type: 'array', items: POSITION },
    openOrders: { type: 'array', items: { type: 'object' } },
    height: Q,
  },
  { title: 'Account', description: 'amounts in USDC base units (6 decimals); size negative for shorts' },
)

const TX_STATUS: JsonSchema = {
  title: 'TransactionStatus',
  anyOf: [
    { type: 'null' },
    obj({ hash: ref('Hash32'), status: { type: 'string', const: 'pending' } }),
    obj({
      hash: ref('Hash32'),
      status: { type: 'string', enum: ['included', 'rejected'] },
      height: Q,
      index: int,
      kind: nullable({ type: 'string' }),
      events: { type: 'array' },
    }),
  ],
}

const BLOCK: JsonSchema = {
  title: 'Block',
  anyOf: [
    { type: 'null' },
    obj({
      chainId: int,
      height: Q,
      parentHash: ref('Hex'),
      time: Q,
      proposer: ref('Address'),
      txRoot: ref('Hex'),
      stateRoot: ref('Hex'),
      signature: ref('Hex'),
      transactions: { type: 'array', items: ref('Hash32') },
      events: { anyOf: [{ type: 'array' }, { type: 'null' }] },
    }),
  ],
}

const PROOF: JsonSchema = obj(
  {
    height: Q,
    stateRoot: ref('Hex'),
    key: ref('Hex'),
    value: nullable(ref('Hex')),
    proof: ref('Hex'),
    kind: { type: 'string', enum: ['member', 'empty', 'other'] },
  },
  { title: 'Proof', description: 'verify with verifyProof(root, key, value, decodeProof(proof)) from state/' },
)

const AUCTIONS: JsonSchema = obj(
  { height: Q, auctions: { type: 'array', items: { type: 'object' } } },
  { title: 'Auctions' },
)

const INSURANCE_FUND: JsonSchema = {
  title: 'InsuranceFund',
  description: 'the fund subaccount as perp_account shows it, plus balance (USDC units) and liveAuctions',
  type: 'object',
  properties: { balance: Q, height: Q },
  required: ['balance', 'height'],
}

const TX_HASH: JsonSchema = obj({ hash: ref('Hash32') }, { title: 'TransactionHash' })

export const RESULT_SCHEMAS: Readonly<Record<string, JsonSchema>> = {
  Alarm: ALARM,
  ChainInfo: CHAIN_INFO,
  Market: MARKET,
  OrderBook: ORDER_BOOK,
  Account: ACCOUNT,
  TransactionStatus: TX_STATUS,
  Block: BLOCK,
  Proof: PROOF,
  Auctions: AUCTIONS,
  InsuranceFund: INSURANCE_FUND,
  TransactionHash: TX_HASH,
}
