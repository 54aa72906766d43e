/**
 * @module The at-risk index of a live state. The index is derived data (never encoded): it is built from the
 * state on first use (atRisk.ts) and kept beside it, so a state rebuilt from leaves (a restart, a reload after a
 * failed block) builds its own.
 */
import type { AtRiskIndex } from './atRisk.ts'
import { buildAtRiskIndex } from './atRisk.ts'
import type { State } from './types.ts'

export { findLiquidatable, noteChanged } from './atRisk.ts'

const indexes = new WeakMap<State, AtRiskIndex>()

export function atRiskIndex(state: State): AtRiskIndex {
  let index = indexes.get(state)
  if (index === undefined) {
    index = buildAtRiskIndex(state)
    indexes.set(state, index)
  }
  return index
}
