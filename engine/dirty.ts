/**
 * @module What a block touched, so the node re-encodes and re-hashes only those leaves, and the collateral each
 * touched subaccount had before the block, so the conservation invariant costs O(touched) (invariants.ts).
 */
import type { Address } from './messages.ts'
import type { Subaccount } from './types.ts'
import { subaccountId } from './types.ts'

export interface Dirty {
  global: boolean
  /** the bridge leaf (deposits) */
  bridge: boolean
  markets: Set<number>
  subaccounts: Set<string>
  /** order id → its market (kept because a removed order is gone from state) */
  orders: Map<bigint, number>
  nonces: Set<Address>
  /** accounts whose approved agents changed */
  agents: Set<Address>
  withdrawals: Set<bigint>
  auctions: Set<bigint>
  /** subaccount id → collateral at its first change in this block, USDC units */
  collateralBefore: Map<string, bigint>
}

export function emptyDirty(): Dirty {
  return {
    global: false,
    bridge: false,
    markets: new Set(),
    subaccounts: new Set(),
    orders: new Map(),
    nonces: new Set(),
    agents: new Set(),
    withdrawals: new Set(),
    auctions: new Set(),
    collateralBefore: new Map(),
  }
}

/** Call before changing a subaccount's collateral. */
export function touchCollateral(dirty: Dirty, sub: Subaccount): void {
  const id = subaccountId(sub.address, sub.subaccount)
  if (!dirty.collateralBefore.has(id)) dirty.collateralBefore.set(id, sub.collateral)
  dirty.subaccounts.add(id)
}

/** Adds what `later` touched to `into`; a collateral's first value in the block stays the earlier one. */
export function mergeDirty(into: Dirty, later: Dirty): void {
  into.global ||= later.global
  into.bridge ||= later.bridge
  for (const m of later.markets) into.markets.add(m)
  for (const id of later.subaccounts) into.subaccounts.add(id)
  for (const [id, market] of later.orders) into.orders.set(id, market)
  for (const a of later.nonces) into.nonces.add(a)
  for (const a of later.agents) into.agents.add(a)
  for (const w of later.withdrawals) into.withdrawals.add(w)
  for (const a of later.auctions) into.auctions.add(a)
  for (const [id, before] of later.collateralBefore)
    if (!into.collateralBefore.has(id)) into.collateralBefore.set(id, before)
}
