/**
 * @module Invariants checked at the end of every block; a breach throws InvariantViolation and the block is
 * not committed (applyBlock.ts). Each check costs O(what the block touched):
 * - per touched market, long open interest = short open interest;
 * - conservation: Σ over touched subaccounts (collateral after − before) + Δ fee pool + Δ pending withdrawals
 *   = external inflow
 *   (deposits − withdrawals; none yet), so fills, fees and transfers create and destroy nothing.
 */
import type { Dirty } from './dirty.ts'
import { InvariantViolation } from './errors.ts'
import type { State } from './types.ts'

export interface BlockOpening {
  feePool: bigint
  pendingWithdrawals: bigint
}

export function openBlock(state: State): BlockOpening {
  return { feePool: state.global.feePool, pendingWithdrawals: state.global.pendingWithdrawals }
}

export function checkInvariants(state: State, dirty: Dirty, opening: BlockOpening, externalInflow = 0n): void {
  for (const id of dirty.markets) {
    const m = state.markets[id]
    if (m !== undefined && m.longOpenInterest !== m.shortOpenInterest)
      throw new InvariantViolation(
        `market ${id}: long open interest ${m.longOpenInterest} ≠ short ${m.shortOpenInterest}`,
      )
  }
  let change = state.global.feePool - opening.feePool + state.global.pendingWithdrawals - opening.pendingWithdrawals
  for (const [id, before] of dirty.collateralBefore) change += (state.subaccounts.get(id)?.collateral ?? 0n) - before
  if (change !== externalInflow)
    throw new InvariantViolation(
      `collateral not conserved: the block changed the total by ${change}, expected ${externalInflow}`,
    )
}
