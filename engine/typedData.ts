/**
 * @module EIP-712 domain, message types and digests of every perpd transaction (DESIGN §3). The field lists
 * are part of the protocol: a wallet signs exactly these, `perp_chainInfo().eip712` publishes them, and the
 * binary transaction codec (txCodec.ts) writes fields in this order.
 */
import { concatBytes, keccak256, treeKeccak, treeKeccakInto } from '../state/index.ts'

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
  writeWord(new DataView(out.buffer), 0, v)
  return out
}

/** Writes `v` (0 ≤ v < 2^256) as a 32-byte big-endian word at `at`: four 64-bit limbs, not 32 byte steps. */
function writeWord(view: DataView, at: number, v: bigint): void {
  view.setBigUint64(at + 24, BigInt.asUintN(64, v))
  const high = v >> 64n
  if (high === 0n) {
    view.setBigUint64(at + 16, 0n)
    view.setBigUint64(at + 8, 0n)
    view.setBigUint64(at, 0n)
    return
  }
  view.setBigUint64(at + 16, BigInt.asUintN(64, high))
  view.setBigUint64(at + 8, BigInt.asUintN(64, high >> 64n))
  view.setBigUint64(at, BigInt.asUintN(64, high >> 128n))
}

const HEX_VALUE = new Int8Array(128).fill(-1)
for (let i = 0; i < 10; i++) HEX_VALUE[48 + i] = i
for (let i = 0; i < 6; i++) {
  HEX_VALUE[65 + i] = 10 + i
  HEX_VALUE[97 + i] = 10 + i
}

/** A 0x-prefixed 20-byte address into a word (12 zero bytes, then the address). */
function writeAddress(buf: Uint8Array, at: number, address: string): void {
  if (address.length !== 42) throw new Error(`not a 20-byte address: ${address}`)
  buf.fill(0, at, at + 12)
  for (let i = 0; i < 20; i++) {
    const hi = HEX_VALUE[address.charCodeAt(2 + 2 * i)] ?? -1
    const lo = HEX_VALUE[address.charCodeAt(3 + 2 * i)] ?? -1
    if (hi < 0 || lo < 0) throw new Error(`not a hex address: ${address}`)
    buf[at + 12 + i] = (hi << 4) | lo
  }
}

/**
 * Per primary type, one buffer of (1 + fields) words that structHash fills and hashes: the type hash is written
 * once, every call overwrites each field's word in full. Reused across calls (hashing is synchronous).
 */
const STRUCT_BUFFERS = new Map<string, { bytes: Uint8Array; view: DataView }>(
  Object.keys(EIP712_TYPES).map((t) => {
    const bytes = new Uint8Array(32 * (1 + (EIP712_TYPES[t] as readonly TypedField[]).length))
    bytes.set(TYPE_HASH.get(t) as Uint8Array)
    return [t, { bytes, view: new DataView(bytes.buffer) }]
  }),
)

function writeValue(buf: Uint8Array, view: DataView, at: number, type: FieldType, value: FieldValue): void {
  switch (type) {
    case 'address':
      writeAddress(buf, at, value as string)
      return
    case 'bool':
      writeWord(view, at, value ? 1n : 0n)
      return
    case 'uint32[]':
    case 'uint256[]': {
      const items = value as readonly (number | bigint)[]
      const packed = new Uint8Array(32 * items.length)
      const packedView = new DataView(packed.buffer)
      for (let i = 0; i < items.length; i++) writeWord(packedView, 32 * i, BigInt(items[i] as number | bigint))
      buf.set(treeKeccak(packed), at)
      return
    }
    default:
      if (typeof value === 'bigint') writeWord(view, at, value)
      else writeSmallWord(view, at, value as number)
  }
}

/** A uint8 or uint32 field's word without a bigint made for it: 28 zero bytes, then the value big-endian. */
function writeSmallWord(view: DataView, at: number, v: number): void {
  if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) throw new RangeError(`not a uint32: ${v}`)
  for (let k = 0; k < 28; k += 4) view.setUint32(at + k, 0)
  view.setUint32(at + 28, v)
}

/** The EIP-712 struct hash, written to out[at..at+32]: the digest takes it in place, with no array of its own. */
function structHash(primaryType: string, message: MessageFields, out: Uint8Array, at: number): void {
  const fields = EIP712_TYPES[primaryType] as readonly TypedField[]
  const { bytes, view } = STRUCT_BUFFERS.get(primaryType) as { bytes: Uint8Array; view: DataView }
  for (let i = 0; i < fields.length; i++) {
    const field = fields[i] as TypedField
    writeValue(bytes, view, 32 * (i + 1), field.type, message[field.name] as FieldValue)
  }
  treeKeccakInto(bytes, out, at)
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

/** 0x19 ‖ 0x01 ‖ domain separator ‖ struct hash, reused by typedDataDigest */
const DIGEST_INPUT = new Uint8Array(66)
DIGEST_INPUT[0] = 0x19
DIGEST_INPUT[1] = 0x01

/**
 * The 32-byte EIP-712 digest a wallet signs; also the transaction's hash in perpd. Hashed with the tree's keccak
 * (WebAssembly, identical output to noble's; state/treeHash.ts): digests are on every transaction's path.
 */
export function typedDataDigest(domainSep: Uint8Array, kind: TxKind, message: MessageFields): Uint8Array {
  DIGEST_INPUT.set(domainSep, 2)
  structHash(PRIMARY_TYPE[kind], message, DIGEST_INPUT, 34)
  return treeKeccak(DIGEST_INPUT)
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
