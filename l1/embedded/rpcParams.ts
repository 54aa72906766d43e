/**
 * @module Parsing and encoding of Ethereum JSON-RPC values: quantities are 0x-hex without leading zeros,
 * data is 0x-hex of whole bytes, addresses 20 bytes, hashes 32 bytes. A malformed parameter is a -32602 that
 * names it; nothing here throws anything else.
 */

import { bytesToHex, hexToBytes } from '@ethereumjs/util'
import { invalidParams } from './rpcError.ts'

export type Hex = `0x${string}`

/** A block as a request names it: a tag, a number or a hash (EIP-1898 objects included). */
export type BlockRef =
  | { kind: 'tag'; tag: 'latest' | 'earliest' | 'pending' | 'safe' | 'finalized' }
  | { kind: 'number'; number: bigint }
  | { kind: 'hash'; hash: Hex }

const QUANTITY = /^0x(0|[1-9a-fA-F][0-9a-fA-F]*)$/
const DATA = /^0x([0-9a-fA-F]{2})*$/
const TAGS = new Set(['latest', 'earliest', 'pending', 'safe', 'finalized'])

export function quantity(n: bigint | number): Hex {
  return `0x${n.toString(16)}`
}

export function hexData(bytes: Uint8Array): Hex {
  return bytesToHex(bytes)
}

/** A quantity; lenient on leading zeros (some clients send 0x01), strict on everything else. */
export function parseQuantity(v: unknown, name: string): bigint {
  if (typeof v === 'string' && /^0x[0-9a-fA-F]{1,64}$/.test(v)) return BigInt(v)
  throw invalidParams(`${name}: expected a hex quantity, got ${preview(v)}`)
}

/** A count of seconds for the anvil-style test methods, which accept a JSON number or a hex quantity. */
export function parseSeconds(v: unknown, name: string): bigint {
  if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) return BigInt(v)
  return parseQuantity(v, name)
}

export function parseData(v: unknown, name: string): Uint8Array {
  if (typeof v === 'string' && DATA.test(v)) return hexToBytes(v as Hex)
  throw invalidParams(`${name}: expected 0x-hex bytes, got ${preview(v)}`)
}

export function parseAddress(v: unknown, name: string): Hex {
  if (typeof v === 'string' && /^0x[0-9a-fA-F]{40}$/.test(v)) return v.toLowerCase() as Hex
  throw invalidParams(`${name}: expected a 20-byte 0x-hex address, got ${preview(v)}`)
}

export function parseHash(v: unknown, name: string): Hex {
  if (typeof v === 'string' && /^0x[0-9a-fA-F]{64}$/.test(v)) return v.toLowerCase() as Hex
  throw invalidParams(`${name}: expected a 32-byte 0x-hex hash, got ${preview(v)}`)
}

/** A block parameter; absent means `latest`, as in geth. */
export function parseBlockRef(v: unknown, name: string): BlockRef {
  if (v === undefined || v === null) return { kind: 'tag', tag: 'latest' }
  if (typeof v === 'string') {
    if (TAGS.has(v)) return { kind: 'tag', tag: v as 'latest' }
    if (QUANTITY.test(v) || /^0x[0-9a-fA-F]{1,16}$/.test(v)) return { kind: 'number', number: BigInt(v) }
  }
  if (typeof v === 'object' && v !== null) {
    const o = v as { blockHash?: unknown; blockNumber?: unknown }
    if (o.blockHash !== undefined) return { kind: 'hash', hash: parseHash(o.blockHash, `${name}.blockHash`) }
    if (o.blockNumber !== undefined) return parseBlockRef(o.blockNumber, `${name}.blockNumber`)
  }
  throw invalidParams(`${name}: expected a block number, tag or {blockHash}, got ${preview(v)}`)
}

export function parseBoolean(v: unknown, name: string): boolean {
  if (v === undefined) return false
  if (typeof v === 'boolean') return v
  throw invalidParams(`${name}: expected a boolean, got ${preview(v)}`)
}

export function parseObject(v: unknown, name: string): Record<string, unknown> {
  if (typeof v === 'object' && v !== null && !Array.isArray(v)) return v as Record<string, unknown>
  throw invalidParams(`${name}: expected an object, got ${preview(v)}`)
}

function preview(v: unknown): string {
  const s = typeof v === 'bigint' ? `${v}n` : JSON.stringify(v)
  if (s === undefined) return String(v)
  return s.length > 80 ? `${s.slice(0, 77)}...` : s
}
