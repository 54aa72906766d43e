/**
 * @module The at-risk index of a live state. The index is derived data (never encoded): it is built from the
 * state on first use and kept beside it, so a state rebuilt from leaves (a restart, a reload after a failed
 * block) builds its own.
 */
import { equity, maintenanceMargin } from './margin.ts'
import type { State } from './types.ts'

// placeholder until the index lands: a full scan
export interface AtRiskIndex {
  readonly kind: 'scan'
}
const indexes = new WeakMap<State, AtRiskIndex>()

export function atRiskIndex(state: State): AtRiskIndex {
  let index = indexes.get(state)
  if (index === undefined) {
    index = { kind: 'scan' }
    indexes.set(state, index)
  }
  return index
}

export function findLiquidatable(_index: AtRiskIndex, state: State): string[] {
  const out: string[] = []
  for (const [id, sub] of state.subaccounts)
    if ((sub.positions.size > 0 || sub.collateral < 0n) && equity(state, sub) < maintenanceMargin(state, sub))
      out.push(id)
  return out.sort()
}

export function noteChanged(_index: AtRiskIndex, _state: State, _ids: Iterable<string>): void {}
