/**
 * @module Transaction messages: their typed shapes and the decoder from the JSON wire form (DESIGN §3).
 * Unsigned integers arrive as decimal strings (JSON numbers are accepted for values up to 2^53−1), booleans
 * as JSON booleans, addresses as 0x-hex of 20 bytes. Every error names the field.
 */

import { isHex } from '../state/index.ts'
import type { FieldType, FieldValue, MessageFields, TxKind } from './typedData.ts'
import { EIP712_TYPES, PRIMARY_TYPE, TX_KINDS } from './typedData.ts'
import { internAddress } from './types.ts'

/** Lowercase 0x-prefixed 20-byte hex. */
export type Address = `0x${string}`

export interface OrderMessage {
  account: Address
  subaccount: number
  market: number
  isBuy: boolean
  price: bigint
  size: bigint
  timeInForce: number
  reduceOnly: boolean
  postOnly: boolean
  clientId: bigint
  nonce: bigint
  expiresAt: bigint
}
export interface CancelMessage {
  account: Address
  subaccount: number
  market: number
  clientId: bigint
  nonce: bigint
}
export interface CancelAllMessage {
  account: Address
  subaccount: number
  market: number
  nonce: bigint
}
export interface WithdrawMessage {
  account: Address
  subaccount: number
  recipient: Address
  amount: bigint
  nonce: bigint
}
export interface TransferMessage {
  account: Address
  fromSubaccount: number
  toSubaccount: number
  amount: bigint
  nonce: bigint
}
export interface ApproveAgentMessage {
  account: Address
  agent: Address
  validUntil: bigint
  nonce: bigint
}
export interface AuctionBidMessage {
  account: Address
  subaccount: number
  auctionId: bigint
  size: bigint
  limitPrice: bigint
  nonce: bigint
}
export interface OracleReportMessage {
  signer: Address
  timestamp: bigint
  markets: readonly number[]
  prices: readonly bigint[]
}

/** An L1 deposit credited to subaccount 0 of `account` (a system transaction: never signed). */
export interface DepositMessage {
  seq: bigint
  account: Address
  amount: bigint
  l1Time: bigint
}

export interface MessageOf {
  order: OrderMessage
  cancel: CancelMessage
  cancelAll: CancelAllMessage
  withdraw: WithdrawMessage
  transfer: TransferMessage
  approveAgent: ApproveAgentMessage
  auctionBid: AuctionBidMessage
  oracleReport: OracleReportMessage
  deposit: DepositMessage
}

/** Messages signed by a trading account (all but OracleReport): each has `account` and `nonce`. */
export type UserTxMessage = Exclude<MessageOf[TxKind], OracleReportMessage | DepositMessage>

export type TxMessage = { [K in TxKind]: { kind: K; message: MessageOf[K] } }[TxKind]

/** Limit on array fields (OracleReport markets/prices): far above the market count, far below abuse. */
export const MAX_ARRAY_ITEMS = 256

export class MessageError extends Error {
  override name = 'MessageError'
  readonly field: string | undefined
  constructor(message: string, field?: string) {
    super(message)
    this.field = field
  }
}

const BITS: Record<string, number> = { uint8: 8, uint32: 32, uint64: 64, uint256: 256 }
/** 2^bits for each width: made once, not a bigint shift per decoded value */
const LIMIT: ReadonlyMap<number, bigint> = new Map([8, 32, 64, 256].map((bits) => [bits, 1n << BigInt(bits)]))
/** digits of 2^256 − 1: a longer decimal cannot fit any field */
const MAX_DIGITS = 78

/**
 * The wire form of an unsigned integer: 0, or 1–78 decimal digits without a leading zero (one wire form per value).
 * What /^(0|[1-9][0-9]{0,77})$/ tests, by char codes: the expression ran for every integer field of every order.
 */
function isDecimal(s: string): boolean {
  if (s.length === 0 || s.length > MAX_DIGITS || (s.length > 1 && s.charCodeAt(0) === 48)) return false
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (c < 48 || c > 57) return false
  }
  return true
}

function notUnsigned(field: string, index: number): MessageError {
  const name = index < 0 ? field : `${field}[${index}]`
  return new MessageError(`${name} must be an unsigned integer as a decimal string`, name)
}

function tooWide(field: string, index: number, bits: number): MessageError {
  const name = index < 0 ? field : `${field}[${index}]`
  return new MessageError(`${name} does not fit in uint${bits}`, name)
}

/** `index`: the item's place in an array field (named `field[index]` in errors, a name built only for one). */
function decodeUint(raw: unknown, bits: number, field: string, index = -1): bigint {
  let v: bigint
  if (typeof raw === 'string' && isDecimal(raw)) v = BigInt(raw)
  else if (typeof raw === 'number' && Number.isSafeInteger(raw) && raw >= 0) v = BigInt(raw)
  else throw notUnsigned(field, index)
  if (v >= (LIMIT.get(bits) as bigint)) throw tooWide(field, index, bits)
  return v
}

/**
 * A uint8 or uint32 field as a number, with decodeUint's rules and errors but no bigint made: a decimal of at most
 * 10 digits is exact as a double.
 */
function decodeSmallUint(raw: unknown, bits: 8 | 32, field: string, index = -1): number {
  let v: number
  if (typeof raw === 'string' && isDecimal(raw)) v = raw.length <= 10 ? Number(raw) : Number.POSITIVE_INFINITY
  else if (typeof raw === 'number' && Number.isSafeInteger(raw) && raw >= 0) v = raw
  else throw notUnsigned(field, index)
  if (v >= 2 ** bits) throw tooWide(field, index, bits)
  return v
}

function decodeField(type: FieldType, raw: unknown, field: string): FieldValue {
  switch (type) {
    case 'address':
      if (typeof raw !== 'string' || !isHex(raw, 40))
        throw new MessageError(`${field} must be a 0x-prefixed 20-byte hex address`, field)
      return internAddress(raw.toLowerCase())
    case 'bool':
      if (typeof raw !== 'boolean') throw new MessageError(`${field} must be a JSON boolean`, field)
      return raw
    case 'uint8':
      return decodeSmallUint(raw, 8, field)
    case 'uint32':
      return decodeSmallUint(raw, 32, field)
    case 'uint64':
    case 'uint256':
      return decodeUint(raw, BITS[type] as number, field)
    case 'uint32[]':
    case 'uint256[]': {
      if (!Array.isArray(raw)) throw new MessageError(`${field} must be a JSON array`, field)
      if (raw.length > MAX_ARRAY_ITEMS) throw new MessageError(`${field} has more than ${MAX_ARRAY_ITEMS} items`, field)
      return type === 'uint32[]'
        ? raw.map((x, i) => decodeSmallUint(x, 32, field, i))
        : raw.map((x, i) => decodeUint(x, 256, field, i))
    }
  }
}

export function isTxKind(kind: unknown): kind is TxKind {
  return typeof kind === 'string' && (TX_KINDS as readonly string[]).includes(kind)
}

/** Each kind's field names, for the unknown-field check: a set lookup per key, not a scan of the fields. */
const FIELD_NAMES: ReadonlyMap<string, ReadonlySet<string>> = new Map(
  TX_KINDS.map((kind) => [kind, new Set((EIP712_TYPES[PRIMARY_TYPE[kind]] ?? []).map((x) => x.name))]),
)
const NO_NAMES: ReadonlySet<string> = new Set()

/** JSON wire message → typed message. Unknown and missing fields are errors. */
export function decodeMessage(kind: TxKind, raw: unknown): TxMessage {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    throw new MessageError('message must be a JSON object', 'message')
  const fields = EIP712_TYPES[PRIMARY_TYPE[kind]] ?? []
  const input = raw as Record<string, unknown>
  const out: Record<string, FieldValue> = {}
  for (const field of fields) {
    if (!(field.name in input)) throw new MessageError(`missing field ${field.name}`, field.name)
    out[field.name] = decodeField(field.type, input[field.name], field.name)
  }
  const names = FIELD_NAMES.get(kind) ?? NO_NAMES
  for (const name in input)
    if (Object.hasOwn(input, name) && !names.has(name)) throw new MessageError(`unknown field ${name}`, name)
  if (kind === 'oracleReport' && (out.markets as number[]).length !== (out.prices as bigint[]).length)
    throw new MessageError('markets and prices must have the same length', 'prices')
  return { kind, message: out } as unknown as TxMessage
}

/** Typed message → the JSON wire form (decimal strings), as clients send it. */
export function encodeMessageJson(tx: TxMessage): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const field of EIP712_TYPES[PRIMARY_TYPE[tx.kind]] ?? []) {
    const v = (tx.message as unknown as MessageFields)[field.name]
    if (typeof v === 'bigint' || typeof v === 'number') out[field.name] = v.toString()
    else if (Array.isArray(v)) out[field.name] = v.map((x: number | bigint) => x.toString())
    else out[field.name] = v
  }
  return out
}

/** The account a message acts for (the signer must be it or, later, its approved agent). */
export function messageAccount(tx: TxMessage): Address {
  return tx.kind === 'oracleReport' ? tx.message.signer : tx.message.account
}

export function messageNonce(tx: TxMessage): bigint | null {
  return tx.kind === 'oracleReport' || tx.kind === 'deposit' ? null : tx.message.nonce
}
