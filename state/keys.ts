/**
 * @module State key prefixes. Every leaf key starts with one of these bytes; a prefix is never reused for
 * another kind of leaf, even after the kind is retired (retire it here with a comment instead).
 */
import { Writer } from './codec.ts'

export const KEY_PREFIX = {
  /** chain-wide counters and pools: one leaf */
  global: 0x01,
  /** market parameters and live market data, by market id (u32) */
  market: 0x02,
  /** a subaccount: collateral and positions, by (address 20 bytes, subaccount u32) */
  subaccount: 0x03,
  /** a resting order, by (market u32, order id u64) */
  order: 0x04,
  /** an account's window of used nonces, by address 20 bytes */
  nonces: 0x05,
  /** a withdrawal waiting for L1, by withdrawal id (u64) */
  withdrawal: 0x06,
  /** a live liquidation auction, by auction id (u64) */
  auction: 0x07,
  /** the L1 bridge inbox: next deposit sequence number and total deposited; absent until the first deposit */
  bridge: 0x08,
  /** an account's approved agents (keys that may trade and cancel for it), by address 20 bytes */
  agents: 0x09,
} as const

export type KeyPrefix = (typeof KEY_PREFIX)[keyof typeof KEY_PREFIX]

export function globalKey(): Uint8Array {
  return Uint8Array.of(KEY_PREFIX.global)
}

export function marketKey(market: number): Uint8Array {
  return new Writer(5).u8(KEY_PREFIX.market).u32(market).finish()
}

export function subaccountKey(address: Uint8Array, subaccount: number): Uint8Array {
  return new Writer(25).u8(KEY_PREFIX.subaccount).fixed(address, 20).u32(subaccount).finish()
}

export function orderKey(market: number, orderId: bigint): Uint8Array {
  return new Writer(13).u8(KEY_PREFIX.order).u32(market).u64(orderId).finish()
}

export function noncesKey(address: Uint8Array): Uint8Array {
  return new Writer(21).u8(KEY_PREFIX.nonces).fixed(address, 20).finish()
}

export function withdrawalKey(id: bigint): Uint8Array {
  return new Writer(9).u8(KEY_PREFIX.withdrawal).u64(id).finish()
}

export function auctionKey(id: bigint): Uint8Array {
  return new Writer(9).u8(KEY_PREFIX.auction).u64(id).finish()
}

export function agentsKey(address: Uint8Array): Uint8Array {
  return new Writer(21).u8(KEY_PREFIX.agents).fixed(address, 20).finish()
}

export function bridgeKey(): Uint8Array {
  return Uint8Array.of(KEY_PREFIX.bridge)
}
