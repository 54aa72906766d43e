/**
 * @module What every write of the client shares: the context a message is built in (who it acts for, the
 * default subaccount, markets, nonces), the options every write takes, and range checks on integer fields
 * that fail before signing with the node's own reason (INVALID_MESSAGE, origin `client`, naming the field).
 */
import { appError } from './clientAppErrors.ts'
import type { MarketDirectory } from './clientMarkets.ts'
import type { Address } from './clientTypes.ts'
import type { MessageValue } from './clientWire.ts'

export interface WriteContext {
  /** the account messages act for: the signer's own address, or the owner an agent trades for (lowercase) */
  owner: Address
  /** true when the signer is an agent of `owner` (agents may trade and cancel, never move money) */
  isAgent: boolean
  subaccount: number
  directory: MarketDirectory
  /** the explicit nonce, or the next default one (clientNonces.ts) */
  nonce(explicit: bigint | undefined): bigint
  /** reads a live view the builder needs (order book, auctions); the client's read actions */
  reads: {
    orderBook(market: number, depth: number): Promise<{ bids: [bigint, bigint][]; asks: [bigint, bigint][] }>
    auctions(): Promise<{ auctions: { id: bigint; market: number; asset: number }[] }>
    markPrice(market: number): Promise<bigint>
  }
}

/** Options of every write. */
export interface TxOptions {
  /** any unused uint64; default: the process's increasing nonce (ms × 1000 + counter) */
  nonce?: bigint | undefined
}

/** Options of writes that act on one subaccount. */
export interface SubaccountOptions extends TxOptions {
  /** default: the client's subaccount (0 unless createClient says otherwise) */
  subaccount?: number | undefined
}

/** A message ready to sign, with what the caller wants back besides the hash. */
export interface UnsignedTx<Extra = object> {
  kind: string
  message: Record<string, MessageValue>
  extra: Extra & { nonce: bigint }
}

const MAX: Readonly<Record<number, bigint>> = { 8: 0xffn, 32: 0xffff_ffffn, 64: 0xffff_ffff_ffff_ffffn }

/** An unsigned integer that fits `bits`, as a bigint; refused otherwise. */
export function uint(value: bigint | number, bits: 8 | 32 | 64, field: string): bigint {
  const ok =
    (typeof value === 'bigint' || (typeof value === 'number' && Number.isSafeInteger(value))) &&
    BigInt(value) >= 0n &&
    BigInt(value) <= (MAX[bits] as bigint)
  if (!ok)
    throw appError('INVALID_MESSAGE', `${field} must be an integer from 0 to 2^${bits} − 1`, {
      origin: 'client',
      field,
      details: `got ${String(value)}`,
    })
  return BigInt(value)
}

/** uint32 fields travel as numbers in the client (subaccounts, market ids). */
export function uint32(value: number, field: string): number {
  return Number(uint(value, 32, field))
}

export function address(value: string, field: string): Address {
  if (typeof value !== 'string' || !/^0x[0-9a-fA-F]{40}$/.test(value))
    throw appError('INVALID_MESSAGE', `${field} must be a 0x-prefixed 20-byte address`, { origin: 'client', field })
  return value.toLowerCase() as Address
}

/** Agents may trade and cancel only (DESIGN §3): refuse the rest before the node does. */
export function ownerOnly(ctx: WriteContext, what: string): void {
  if (ctx.isAgent)
    throw appError('UNAUTHORIZED', `an agent may not ${what}`, {
      origin: 'client',
      details: `this client signs as an agent of ${ctx.owner}; agents may trade and cancel, never move collateral`,
    })
}

/** ms since the epoch as a uint64: a Date, or a number/bigint of ms. */
export function timeMs(value: Date | bigint | number, field: string): bigint {
  return uint(value instanceof Date ? value.getTime() : value, 64, field)
}
