/**
 * @module The insurance fund is a subaccount of a reserved address that no key can sign for (the zero
 * address). Its USDC collateral is the fund's balance; it holds the positions it takes over from bankrupt
 * accounts (backstop.ts). Being a subaccount, it is committed, settles funding and counts in open interest
 * like any other, and conservation needs no special term for it.
 */
import type { Address } from './messages.ts'
import { writableSubaccount } from './subaccounts.ts'
import type { State, Subaccount } from './types.ts'
import { subaccountId } from './types.ts'

export const INSURANCE_FUND_ADDRESS = '0x0000000000000000000000000000000000000000' as Address
export const INSURANCE_FUND_SUBACCOUNT = 0

export function insuranceFundId(): string {
  return subaccountId(INSURANCE_FUND_ADDRESS, INSURANCE_FUND_SUBACCOUNT)
}

/** The fund's subaccount, created empty if absent (call only when about to write it). */
export function insuranceFund(state: State): Subaccount {
  return writableSubaccount(state, INSURANCE_FUND_ADDRESS, INSURANCE_FUND_SUBACCOUNT)
}

/** The fund's USDC balance (0 when it has never held anything). */
export function insuranceFundBalance(state: State): bigint {
  return state.subaccounts.get(insuranceFundId())?.collateral ?? 0n
}
