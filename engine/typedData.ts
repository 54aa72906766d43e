/**
 * @module EIP-712 domain, message types and digests of every perpd transaction (DESIGN §3). The field lists
 * are part of the protocol: a wallet signs exactly these, `perp_chainInfo().eip712` publishes them, and the
 * binary transaction codec (txCodec.ts) writes fields in this order.
 */
import { concatBytes, fromHex, keccak256 } from '../state/index.ts'

export const TX_KINDS = [
  'order',
  'cancel',
  'cancelAll',
  'withdraw',
  'transfer',
  'approveAgent',
  'auctionBid',
  'oracleReport',
  // a system transaction: made by the sequencer from an L1 deposit event, never signed (SYSTEM_KINDS)
  'deposit',
] as const
export type TxKind = (typeof TX_KINDS)[number]

export type FieldType = 'address' | 'bool' | 'uint8' | 'uint32' | 'uint64' | 'uint256' | 'uint32[]' | 'uint256[]'
export interface TypedField {
  readonly name: string
  readonly type: FieldType
}

const f = (name: string, type: FieldType): TypedField => ({ name, type })

export const PRIMARY_TYPE: Readonly<Record<TxKind, string>> = {
  order: 'Order',
  cancel: 'Cancel',
  cancelAll: 'CancelAll',
  withdraw: 'Withdraw',
  transfer: 'Transfer',
  approveAgent: 'ApproveAgent',
  auctionBid: 'AuctionBid',
  oracleReport: 'OracleReport',
  deposit: 'Deposit',
}

/** Kinds no user signs: the RPC and gossip refuse them; only the sequencer puts them in a block. */
export const SYSTEM_KINDS: ReadonlySet<TxKind> = new Set(['deposit'])

export const EIP712_TYPES: Readonly<Record<string, readonly TypedField[]>> = {
  Order: [
    f('account', 'address'),
    f('subaccount', 'uint32'),
    f('market', 'uint32'),
    f('isBuy', 'bool'),
    f('price', 'uint256'),
    f('size', 'uint256'),
    f('timeInForce', 'uint8'),
    f('reduceOnly', 'bool'),
    f('postOnly', 'bool'),
    f('clientId', 'uint64'),
    f('nonce', 'uint64'),
    f('expiresAt', 'uint64'),
  ],
  Cancel: [
    f('account', 'address'),
    f('subaccount', 'uint32'),
    f('market', 'uint32'),
    f('clientId', 'uint64'),
    f('nonce', 'uint64'),
  ],
  CancelAll: [f('account', 'address'), f('subaccount', 'uint32'), f('market', 'uint32'), f('nonce', 'uint64')],
  Withdraw: [
    f('account', 'address'),
    f('subaccount', 'uint32'),
    f('recipient', 'address'),
    f('amount', 'uint256'),
    f('nonce', 'uint64'),
  ],
  Transfer: [
    f('account', 'address'),
    f('fromSubaccount', 'uint32'),
    f('toSubaccount', 'uint32'),
    f('amount', 'uint256'),
    f('nonce', 'uint64'),
  ],
  ApproveAgent: [f('account', 'address'), f('agent', 'address'), f('validUntil', 'uint64'), f('nonce', 'uint64')],
  AuctionBid: [
    f('account', 'address'),
    f('subaccount', 'uint32'),
    f('auctionId', 'uint64'),
    f('size', 'uint256'),
    f('limitPrice', 'uint256'),
    f('nonce', 'uint64'),
  ],
  OracleReport: [f('signer', 'address'), f('timestamp', 'uint64'), f('markets', 'uint32[]'), f('prices', 'uint256[]')],
  // seq: the L1 contract's deposit sequence number; amount: USDC units (6 decimals); l1Time: L1 block time, s
  Deposit: [f('seq', 'uint64'), f('account', 'address'), f('amount', 'uint256'), f('l1Time', 'uint64')],
}

export interface Eip712Domain {
  name: 'perpd'
  version: '1'
  chainId: number
}

export function eip712Domain(chainId: number): Eip712Domain {
  return { name: 'perpd', version: '1', chainId }
}

/**
 * A decoded message field: addresses as lowercase 0x-hex, uint8/uint32 as number, uint64/uint256 as bigint,
 * booleans, and arrays of those integers.
 */
export type FieldValue = string | number | bigint | boolean | readonly number[] | readonly bigint[]
export type MessageFields = Readonly<Record<string, FieldValue>>

const encoder = new TextEncoder()

function encodeType(primaryType: string): string {
  const fields = EIP712_TYPES[primaryType] as readonly TypedField[]
  return `${primaryType}(${fields.map((x) => `${x.type} ${x.name}`).join(',')})`
}

const TYPE_HASH = new Map<string, Uint8Array>(
  Object.keys(EIP712_TYPES).map((t) => [t, keccak256(encoder.encode(encodeType(t)))]),
)

function word(v: bigint): Uint8Array {
  const out = new Uint8Array(32)
  let x = v
  for (let i = 31; i >= 0 && x > 0n; i--) {
    out[i] = Number(x & 0xffn)
    x >>= 8n
  }
  return out
}

function encodeValue(type: FieldType, value: FieldValue): Uint8Array {
  switch (type) {
    case 'address': {
      const out = new Uint8Array(32)
      out.set(fromHex(value as string), 12)
      return out
    }
    case 'bool':
      return word(value ? 1n : 0n)
    case 'uint32[]':
    case 'uint256[]':
      return keccak256(concatBytes(...(value as readonly (number | bigint)[]).map((x) => word(BigInt(x)))))
    default:
      return word(BigInt(value as number | bigint))
  }
}

export function structHash(primaryType: string, message: MessageFields): Uint8Array {
  const fields = EIP712_TYPES[primaryType] as readonly TypedField[]
  const parts = [TYPE_HASH.get(primaryType) as Uint8Array]
  for (const field of fields) parts.push(encodeValue(field.type, message[field.name] as FieldValue))
  return keccak256(concatBytes(...parts))
}

const DOMAIN_TYPE_HASH = keccak256(encoder.encode('EIP712Domain(string name,string version,uint256 chainId)'))

export function domainSeparator(chainId: number): Uint8Array {
  return keccak256(
    concatBytes(
      DOMAIN_TYPE_HASH,
      keccak256(encoder.encode('perpd')),
      keccak256(encoder.encode('1')),
      word(BigInt(chainId)),
    ),
  )
}

/** The 32-byte EIP-712 digest a wallet signs; also the transaction's hash in perpd. */
export function typedDataDigest(domainSep: Uint8Array, kind: TxKind, message: MessageFields): Uint8Array {
  return keccak256(concatBytes(Uint8Array.of(0x19, 0x01), domainSep, structHash(PRIMARY_TYPE[kind], message)))
}

/** The domain and types in the JSON shape viem's signTypedData takes (minus primaryType and message). */
export function eip712Description(chainId: number): {
  domain: Eip712Domain
  types: Record<string, { name: string; type: string }[]>
  primaryTypes: Record<TxKind, string>
} {
  const types: Record<string, { name: string; type: string }[]> = {
    EIP712Domain: [
      { name: 'name', type: 'string' },
      { name: 'version', type: 'string' },
      { name: 'chainId', type: 'uint256' },
    ],
  }
  for (const [name, fields] of Object.entries(EIP712_TYPES)) types[name] = fields.map((x) => ({ ...x }))
  return { domain: eip712Domain(chainId), types, primaryTypes: { ...PRIMARY_TYPE } }
}
