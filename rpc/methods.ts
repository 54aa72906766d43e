/**
 * @module The JSON-RPC methods, schema first: each declares its positional params and result as JSON Schema and
 * the application errors it can raise. Dispatch validates a call's params against the declaration
 * (rpc/params.ts) before `run` sees them, and `rpc.discover` publishes the same table as OpenRPC (rpc/openrpc.ts).
 */
import type { RpcBackend } from './backend.ts'
import type { AppErrorReason } from './errors.ts'
import { APP_ERRORS } from './errors.ts'
import type { Json } from './json.ts'
import type { ParamSpec } from './params.ts'
import { asBlockTag, asLowerHex, asUint, readParams } from './params.ts'
import type { JsonSchema } from './schema.ts'
import { ref, UINT32_MAX, uintParam } from './schemaComponents.ts'
import { SUBSCRIBE_PARAMS, SUBSCRIBE_RESULT, UNSUBSCRIBE_PARAMS } from './schemaSubscriptions.ts'
import { SCHEMA_TABLE } from './schemaTable.ts'

export interface CallContext {
  backend: RpcBackend
  /** the OpenRPC document (rpc.discover) */
  openrpc: () => Json
}

export interface MethodSpec {
  name: string
  summary: string
  description?: string
  params: readonly ParamSpec[]
  result: { name: string; schema: JsonSchema }
  /** application errors it can raise (besides -32602 on bad params) */
  errors: readonly AppErrorReason[]
  /** where it is served; `run` is absent for methods the WebSocket server answers itself */
  transports: readonly ('http' | 'ws')[]
  run?: (args: unknown[], ctx: CallContext) => Json | Promise<Json>
  /**
   * true for admission (perp_sendTransaction): it checks against the live state, which between a block's execution
   * and the end of its commit is that block's, and answers nothing that names a height, so it does not wait for the
   * commit. Every other method waits (Chain.settled()) so that what it reads is the head it names.
   */
  admission?: true
}

const BOTH = ['http', 'ws'] as const
const MAX_DEPTH = 500

/** Every reason perp_sendTransaction can answer: admission runs the engine's own checks. */
const ADMISSION_ERRORS = (Object.keys(APP_ERRORS) as AppErrorReason[]).filter((r) => {
  const code = APP_ERRORS[r]
  return code >= 1001 && code <= 1081
})

const market = (required: boolean): ParamSpec => ({
  name: 'market',
  summary: 'market id',
  schema: uintParam(UINT32_MAX),
  required,
})
const address: ParamSpec = { name: 'address', summary: 'account address', schema: ref('Address'), required: true }
const subaccount: ParamSpec = {
  name: 'subaccount',
  summary: 'subaccount number (default 0)',
  schema: uintParam(UINT32_MAX),
  required: false,
  default: 0,
}
const height: ParamSpec = {
  name: 'height',
  summary: 'block height, or "latest" (default)',
  schema: ref('BlockTag'),
  required: false,
  default: 'latest',
}

function read(
  name: string,
  summary: string,
  resultSchema: JsonSchema,
  run: (b: RpcBackend) => Json,
  errors: readonly AppErrorReason[] = [],
): MethodSpec {
  return {
    name,
    summary,
    params: [],
    result: { name, schema: resultSchema },
    errors,
    transports: BOTH,
    run: (_a, c) => run(c.backend),
  }
}

export const METHOD_SPECS: readonly MethodSpec[] = [
  {
    name: 'perp_sendTransaction',
    summary: 'Admits a signed transaction into the mempool; returns its hash (the EIP-712 digest).',
    description: 'Acceptance is not inclusion: poll perp_transaction.',
    params: [
      { name: 'transaction', summary: '{ kind, message, signature }', schema: ref('Transaction'), required: true },
    ],
    result: { name: 'hash', schema: ref('TransactionHash') },
    errors: ADMISSION_ERRORS,
    transports: BOTH,
    admission: true,
    run: ([tx], c) => {
      const t = tx as { kind: string; message: unknown; signature: string }
      return c.backend.sendTransaction(t.kind, t.message, t.signature) as Json | Promise<Json>
    },
  },
  read('perp_chainInfo', 'Chain id, head, roles, peers, EIP-712 domain and types, alarm.', ref('ChainInfo'), (b) =>
    b.chainInfo(),
  ),
  read(
    'perp_markets',
    'Every market with its parameters and live figures.',
    { type: 'array', items: ref('Market') },
    (b) => b.markets(),
  ),
  {
    name: 'perp_orderBook',
    summary: 'Aggregated price levels of one market, best first.',
    params: [
      market(true),
      {
        name: 'depth',
        summary: 'levels a side (default 20)',
        schema: uintParam(MAX_DEPTH),
        required: false,
        default: 20,
      },
    ],
    result: { name: 'orderBook', schema: ref('OrderBook') },
    errors: ['UNKNOWN_MARKET'],
    transports: BOTH,
    run: ([m, depth], c) => c.backend.orderBook(asUint(m), asUint(depth)),
  },
  {
    name: 'perp_account',
    summary: 'A subaccount: collateral, equity, margins, positions, open orders.',
    params: [address, subaccount],
    result: { name: 'account', schema: ref('Account') },
    errors: [],
    transports: BOTH,
    run: ([a, s], c) => c.backend.account(asLowerHex(a), asUint(s)),
  },
  {
    name: 'perp_transaction',
    summary: 'Status of a transaction by hash: pending, included or rejected (with receipt), or null.',
    params: [{ name: 'hash', summary: 'transaction hash', schema: ref('Hash32'), required: true }],
    result: { name: 'transaction', schema: ref('TransactionStatus') },
    errors: [],
    transports: BOTH,
    run: ([h], c) => c.backend.transaction(asLowerHex(h)),
  },
  {
    name: 'perp_block',
    summary: 'A block: header fields, signature, transaction hashes and block events; null if unknown.',
    params: [{ ...height, required: true }],
    result: { name: 'block', schema: ref('Block') },
    errors: [],
    transports: BOTH,
    run: ([tag], c) => c.backend.block(asBlockTag(tag)),
  },
  {
    name: 'perp_proof',
    summary: "A subaccount's state leaf and its Merkle proof against the state root at a kept height.",
    params: [address, subaccount, height],
    result: { name: 'proof', schema: ref('Proof') },
    errors: ['NODE_NOT_READY'],
    transports: BOTH,
    run: ([a, s, tag], c) => c.backend.proof(asLowerHex(a), asUint(s), asBlockTag(tag)),
  },
  {
    name: 'perp_auctions',
    summary: 'Live liquidation auctions (of one market), priced at the head.',
    params: [market(false)],
    result: { name: 'auctions', schema: ref('Auctions') },
    errors: ['UNKNOWN_MARKET'],
    transports: BOTH,
    run: ([m], c) => c.backend.auctions(m === undefined ? undefined : asUint(m)),
  },
  {
    name: 'perp_withdrawalProof',
    summary: "A pending withdrawal's leaf and its Merkle proof at a kept height (what L1 finalizeWithdrawal takes).",
    params: [
      { name: 'id', summary: 'withdrawal id (from the withdrawal event)', schema: ref('Uint64'), required: true },
      height,
    ],
    result: { name: 'proof', schema: ref('Proof') },
    errors: ['NODE_NOT_READY'],
    transports: BOTH,
    run: ([id, tag], c) => c.backend.withdrawalProof(BigInt(id as string | number), asBlockTag(tag)),
  },
  {
    name: 'perp_stateProof',
    summary:
      'Any state leaf by its key (docs/state-tree.md key layouts: 0x02‖market u32, 0x08 the bridge, …) with its ' +
      'Merkle proof at a kept height; an absent key gets a non-membership proof (value null).',
    params: [
      {
        name: 'key',
        summary: 'state key, 0x-hex (1 to 64 bytes)',
        schema: { type: 'string', pattern: '^0x([0-9a-fA-F]{2}){1,64}$' },
        required: true,
      },
      height,
    ],
    result: { name: 'proof', schema: ref('Proof') },
    errors: ['NODE_NOT_READY'],
    transports: BOTH,
    run: ([key, tag], c) => c.backend.stateProof(asLowerHex(key), asBlockTag(tag)),
  },
  {
    name: 'perp_settlement',
    summary: 'The L1 side: last settled root, escape mode, deposits, withdrawals and their L1 status.',
    params: [],
    result: { name: 'settlement', schema: { type: 'object' } },
    errors: ['NODE_NOT_READY'],
    transports: BOTH,
    run: (_a, c) => c.backend.settlement(),
  },
  read('perp_insuranceFund', "The insurance fund's subaccount, balance and live auctions.", ref('InsuranceFund'), (b) =>
    b.insuranceFund(),
  ),
  {
    name: 'perp_subscribe',
    summary: 'WebSocket only: subscribe to a topic; notifications arrive as perp_subscription.',
    params: SUBSCRIBE_PARAMS,
    result: { name: 'subscription', schema: SUBSCRIBE_RESULT },
    errors: ['TOO_MANY_SUBSCRIPTIONS' as AppErrorReason].filter((r) => r in APP_ERRORS),
    transports: ['ws'],
  },
  {
    name: 'perp_unsubscribe',
    summary: 'WebSocket only: end a subscription of this connection; true if it existed.',
    params: UNSUBSCRIBE_PARAMS,
    result: { name: 'removed', schema: { type: 'boolean' } },
    errors: [],
    transports: ['ws'],
  },
  read(
    'eth_chainId',
    'Chain id as 0x-hex (Ethereum tooling).',
    ref('HexQuantity'),
    (b) => `0x${b.chainId.toString(16)}`,
  ),
  read('net_version', 'Chain id as a decimal string.', { type: 'string', pattern: '^[0-9]+$' }, (b) =>
    String(b.chainId),
  ),
  read('web3_clientVersion', '"perpd/<version>".', { type: 'string' }, (b) => b.clientVersion),
  read('eth_blockNumber', 'Head height as 0x-hex.', ref('HexQuantity'), (b) => `0x${b.blockNumber().toString(16)}`),
  {
    name: 'rpc.discover',
    summary: 'This OpenRPC document.',
    params: [],
    result: { name: 'openrpcDocument', schema: { type: 'object', required: ['openrpc', 'info', 'methods'] } },
    errors: [],
    transports: BOTH,
    run: (_a, c) => c.openrpc(),
  },
]

export const METHODS_BY_NAME: ReadonlyMap<string, MethodSpec> = new Map(METHOD_SPECS.map((m) => [m.name, m]))

/** Validates params against the method's declaration, then runs it. Throws RpcError. */
export function runMethod(spec: MethodSpec, params: unknown, ctx: CallContext): Json | Promise<Json> {
  const args = readParams(spec.params, params, SCHEMA_TABLE)
  return (spec.run as NonNullable<MethodSpec['run']>)(args, ctx)
}
