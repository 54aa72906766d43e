/**
 * @module Looking up subaccounts. A subaccount that does not exist reads as empty (zero collateral, no
 * positions) and enters state only when a transaction writes it.
 */
import type { Address } from './messages.ts'
import type { State, Subaccount } from './types.ts'
import { subaccountId } from './types.ts'

export function emptySubaccount(address: Address, subaccount: number): Subaccount {
  return { address, subaccount, collateral: 0n, positions: new Map(), assets: new Map(), openOrders: new Set() }
}

export function readSubaccount(state: State, address: Address, subaccount: number): Subaccount {
  return state.subaccounts.get(subaccountId(address, subaccount)) ?? emptySubaccount(address, subaccount)
}

/** The stored subaccount, created empty if absent (call only when about to write it). */
export function writableSubaccount(state: State, address: Address, subaccount: number): Subaccount {
  const id = subaccountId(address, subaccount)
  const sub = state.subaccounts.get(id) ?? emptySubaccount(address, subaccount)
  state.subaccounts.set(id, sub)
  return sub
}

/**
 * Empty: no collateral, position, order or asset. An empty subaccount has no leaf, so it must behave exactly as
 * an absent one (a node rebuilt from leaves has no entry for it).
 */
export function isEmptySubaccount(sub: Subaccount): boolean {
  if (sub.collateral !== 0n || sub.positions.size > 0 || sub.openOrders.size > 0) return false
  for (const amount of sub.assets.values()) if (amount !== 0n) return false
  return true
}

/**
 * A copy deep enough to try a trade on without touching state. `shareOrders`: the copy's open-order set is the
 * original itself (for a dry run that will not change it).
 */
export function cloneSubaccount(sub: Subaccount, shareOrders = false): Subaccount {
  const positions = new Map([...sub.positions].map(([id, p]) => [id, { ...p }]))
  const openOrders = shareOrders ? sub.openOrders : new Set(sub.openOrders)
  // the exposure memo describes the open-order set: it carries over only when the set is shared
  return {
    ...sub,
    positions,
    assets: new Map(sub.assets),
    openOrders,
    exposure: shareOrders ? sub.exposure : undefined,
  }
}
