/**
 * @module What a block touched, so the node re-encodes and re-hashes only those leaves.
 */
import type { Address } from './messages.ts'

export interface Dirty {
  global: boolean
  markets: Set<number>
  subaccounts: Set<string>
  /** order id → its market (kept because a removed order is gone from state) */
  orders: Map<bigint, number>
  nonces: Set<Address>
}

export function emptyDirty(): Dirty {
  return { global: false, markets: new Set(), subaccounts: new Set(), orders: new Map(), nonces: new Set() }
}
