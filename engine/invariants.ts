/**
 * @module Invariants checked at the end of every block; a breach throws InvariantViolation and the block is
 * not committed (applyBlock.ts). Each check costs O(what the block touched):
 * - per touched market, long open interest = short open interest;
 * - conservation: Σ over touched subaccounts (collateral after − before; the insurance fund is one) + Δ (fee pool
 *   + pending withdrawals + Σ markets' funding balances) = external inflow
 *   (the block's L1 deposits; a withdrawal stays in pending withdrawals, a pool, until L1 pays it), so fills, fees
 *   and transfers create and destroy nothing.
 */
import type { Dirty } from './dirty.ts'
import { InvariantViolation } from './errors.ts'
import type { State } from './types.ts'

/** The chain's own balances (USDC units): fee pool, pending withdrawals, markets' funding balances. */
function poolBalances(state: State): bigint {
  const g = state.global
  let total = g.feePool + g.pendingWithdrawals
  for (const m of state.markets) total += m.fundingBalance
  return total
}

export interface BlockOpening {
  pools: bigint
}

export function openBlock(state: State): BlockOpening {
  return { pools: poolBalances(state) }
}

export function checkInvariants(state: State, dirty: Dirty, opening: BlockOpening, externalInflow = 0n): void {
  for (const id of dirty.markets) {
    const m = state.markets[id]
    if (m !== undefined && m.longOpenInterest !== m.shortOpenInterest)
      throw new InvariantViolation(
        `market ${id}: long open interest ${m.longOpenInterest} ≠ short ${m.shortOpenInterest}`,
      )
  }
  let change = poolBalances(state) - opening.pools
  for (const [id, before] of dirty.collateralBefore) change += (state.subaccounts.get(id)?.collateral ?? 0n) - before
  if (change !== externalInflow)
    throw new InvariantViolation(
      `collateral not conserved: the block changed the total by ${change}, expected ${externalInflow}`,
    )
}
