/**
 * @module The reusable schemas of the wire: parameters (addresses, hashes, block tags, small integers), the
 * transaction envelope of perp_sendTransaction, and one message schema per EIP-712 type, generated from the
 * engine's type table so the document cannot drift from what wallets sign. Each parameter schema's
 * `description` is the phrase a -32602 message uses ("address must be a 0x address").
 */
import { EIP712_TYPES, PRIMARY_TYPE, TX_KINDS } from '../engine/index.ts'
import type { JsonSchema } from './schema.ts'
import { decimalAtMost, SCHEMA_REF_PREFIX } from './schema.ts'

export const ref = (name: string): JsonSchema => ({ $ref: `${SCHEMA_REF_PREFIX}${name}` })

export const UINT32_MAX = 2 ** 32 - 1

/** Items of an array message field at most: engine/messages.ts MAX_ARRAY_ITEMS (test/unit/rpcSchema checks). */
export const MAX_ARRAY_ITEMS = 256

/** An RPC integer parameter: a JSON integer or a decimal string (up to 10 characters, zero padding allowed). */
export function uintParam(max: number): JsonSchema {
  return {
    description: `an integer from 0 to ${max}`,
    oneOf: [
      { type: 'integer', minimum: 0, maximum: max },
      { type: 'string', maxLength: 10, pattern: decimalAtMost(BigInt(max), true) },
    ],
  }
}

const ADDRESS: JsonSchema = {
  title: 'Address',
  description: 'a 0x address',
  type: 'string',
  pattern: '^0x[0-9a-fA-F]{40}$',
  examples: ['0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266'],
}

const HASH32: JsonSchema = {
  title: 'Hash32',
  description: 'a 32-byte 0x hash',
  type: 'string',
  pattern: '^0x[0-9a-fA-F]{64}$',
}

const SIGNATURE: JsonSchema = {
  title: 'Signature',
  description: '65 bytes of 0x-hex (r‖s‖v)',
  type: 'string',
  pattern: '^0x[0-9a-fA-F]{130}$',
}

const BLOCK_TAG: JsonSchema = {
  title: 'BlockTag',
  description: 'a block height (decimal) or "latest"',
  oneOf: [
    { type: 'string', const: 'latest' },
    { type: 'string', pattern: '^[0-9]{1,19}$' },
    { type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER },
  ],
}

const UINT64: JsonSchema = {
  title: 'Uint64',
  description: 'an unsigned 64-bit integer (decimal string, or a JSON integer up to 2^53−1)',
  oneOf: [
    { type: 'string', pattern: decimalAtMost((1n << 64n) - 1n) },
    { type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER },
  ],
}

/** Decimal strings as the node answers them: integers of any size, signed where a value can be negative. */
const QUANTITY: JsonSchema = { title: 'Quantity', type: 'string', pattern: '^-?(0|[1-9][0-9]*)$' }
const HEX: JsonSchema = { title: 'Hex', type: 'string', pattern: '^0x([0-9a-f][0-9a-f])*$' }
const HEX_QUANTITY: JsonSchema = { title: 'HexQuantity', type: 'string', pattern: '^0x(0|[1-9a-f][0-9a-f]*)$' }

const BITS: Record<string, bigint> = { uint8: 8n, uint32: 32n, uint64: 64n, uint256: 256n }

/** A message field as wallets send it: a decimal string without padding, or a JSON integer up to 2^53−1. */
function messageUint(type: string): JsonSchema {
  const max = (1n << (BITS[type] as bigint)) - 1n
  const asString: JsonSchema = { type: 'string', pattern: decimalAtMost(max) }
  const safe = Number.MAX_SAFE_INTEGER
  const asNumber: JsonSchema = { type: 'integer', minimum: 0, maximum: max < BigInt(safe) ? Number(max) : safe }
  return { description: `uint${BITS[type]}`, anyOf: [asString, asNumber] }
}

function messageField(type: string): JsonSchema {
  if (type === 'address') return ref('Address')
  if (type === 'bool') return { type: 'boolean' }
  if (type.endsWith('[]'))
    return { type: 'array', maxItems: MAX_ARRAY_ITEMS, items: messageUint(type.slice(0, -2)) as JsonSchema }
  return messageUint(type)
}

/** `<PrimaryType>Message`: the fields of one EIP-712 type, all required, no others. */
function messageSchemas(): Record<string, JsonSchema> {
  const out: Record<string, JsonSchema> = {}
  for (const kind of TX_KINDS) {
    const primary = PRIMARY_TYPE[kind]
    const fields = EIP712_TYPES[primary] ?? []
    out[`${primary}Message`] = {
      title: `${primary}Message`,
      description: `The message of kind "${kind}": EIP-712 type ${primary}(${fields.map((f) => `${f.type} ${f.name}`).join(',')})`,
      type: 'object',
      properties: Object.fromEntries(fields.map((f) => [f.name, messageField(f.type)])),
      required: fields.map((f) => f.name),
      additionalProperties: false,
    }
  }
  return out
}

/**
 * The envelope the RPC checks (-32602). `message` is checked after it by the node's decoder against the kind's
 * `<PrimaryType>Message` schema, so a wrong field is the application error 1061 INVALID_MESSAGE naming the field
 * (the same decoder checks gossiped transactions); an unknown kind is 1060 UNSUPPORTED_KIND.
 */
const TRANSACTION: JsonSchema = {
  title: 'Transaction',
  description: 'an object',
  type: 'object',
  properties: {
    kind: { type: 'string', description: 'a string', examples: [...TX_KINDS] },
    message: {
      description:
        'The fields of the kind\'s message schema (components/schemas: "order" → OrderMessage, "cancel" → ' +
        'CancelMessage, …); checked by the node after the envelope: 1061 INVALID_MESSAGE names a wrong field.',
    },
    signature: ref('Signature'),
  },
  required: ['kind', 'signature'],
}

export const PARAM_SCHEMAS: Readonly<Record<string, JsonSchema>> = {
  Address: ADDRESS,
  Hash32: HASH32,
  Signature: SIGNATURE,
  BlockTag: BLOCK_TAG,
  Uint64: UINT64,
  Quantity: QUANTITY,
  Hex: HEX,
  HexQuantity: HEX_QUANTITY,
  Transaction: TRANSACTION,
  ...messageSchemas(),
}
