/**
 * @module Looking up subaccounts. A subaccount that does not exist reads as empty (zero collateral, no
 * positions) and enters state only when a transaction writes it.
 */
import type { Address } from './messages.ts'
import type { State, Subaccount } from './types.ts'
import { subaccountId } from './types.ts'

export function emptySubaccount(address: Address, subaccount: number): Subaccount {
  return { address, subaccount, collateral: 0n, positions: new Map(), openOrders: new Set() }
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

/** A copy deep enough to try a trade on without touching state. */
export function cloneSubaccount(sub: Subaccount): Subaccount {
  const positions = new Map([...sub.positions].map(([id, p]) => [id, { ...p }]))
  return { ...sub, positions, openOrders: new Set(sub.openOrders) }
}
