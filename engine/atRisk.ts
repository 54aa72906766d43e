/**
 * @module Liquidation detection: which subaccounts have equity below maintenance margin (margin.ts), found each
 * block without scanning every account. Design and formulas: docs/risk-model.md, "Liquidation detection".
 *
 * Each followed subaccount (one with a position) is armed — thresholds on its markets' oracle prices, funding
 * indexes and volatility scales (atRiskBounds.ts) inside which it is certainly healthy, kept in per-market heaps
 * (atRiskHeap.ts) — or on the watch list (liquidatable, or healthy with no buffer to arm with), or, after a
 * reported change, checked and due to be armed by the next call. findLiquidatable checks the changed ones, pops
 * the crossed thresholds, checks those accounts and the watch list exactly, and re-arms the healthy ones. What it
 * returns is decided by the exact check alone, so it equals the full scan whenever the thresholds are sound; they
 * err only toward checking too many.
 *
 * The index is derived data, never encoded. It trusts its caller to report every subaccount whose own state
 * changed (noteChanged; the work is done by the next findLiquidatable) and keeps, for each followed subaccount,
 * an exact copy of the fields the decision reads (atRiskRows.ts; the object itself only when they do not fit a
 * row), rewritten whenever it reads a reported subaccount and never otherwise; the checks and armings read the
 * copy. Everything that changes health without touching the account — prices, funding, the fractions in force —
 * it follows by itself. It rebuilds itself when handed another state object or when a market's tiers, volatility
 * cap, quote divisor or price decimals, or the collateral assets, change.
 *
 * Layout, for a per-block step that touches few and cold objects at 1M accounts: a slot per subaccount id (kept
 * for the life of the index), one 72-byte row per slot (bookkeeping and the copy: a check or an arming reads the
 * row, not the ~9 objects of the subaccount), 4-ary heaps of two doubles per entry, and slots numbered in id
 * order at build so the output is sorted without reading the id strings.
 */
import type { Bounds } from './atRiskBounds.ts'
import {
  ARMED,
  armed,
  armSubaccount,
  boundsStale,
  isDownKind,
  KINDS,
  LIQUIDATABLE,
  makeBounds,
} from './atRiskBounds.ts'
import { numberAtLeast, numberAtMost, sameVersion, ThresholdHeap } from './atRiskHeap.ts'
import type { Rows } from './atRiskRows.ts'
import { dropCopy, ENTRIES, ensureRows, INTS, MARK, makeRows, readCopy, VERSION, writeCopy } from './atRiskRows.ts'
import { equity, maintenanceMargin } from './margin.ts'
import { volatilityScale } from './riskParams.ts'
import type { Market, State, Subaccount } from './types.ts'

/**
 * Liquidatable: holds a position, or owes USDC (collateral < 0: a debt only non-USD collateral can back), and
 * equity < maintenance margin (margin.ts; 0 without positions, so a flat account is liquidatable once its
 * collateral no longer covers its debt).
 */
export function isLiquidatable(state: State, sub: Subaccount): boolean {
  return followed(sub) && equity(state, sub) < maintenanceMargin(state, sub)
}

/** Reference: every subaccount id (the key of state.subaccounts) that is liquidatable, sorted ascending (string order). */
export function scanLiquidatable(state: State): string[] {
  const out: string[] = []
  for (const [id, sub] of state.subaccounts) if (isLiquidatable(state, sub)) out.push(id)
  return sortIds(out)
}

/**
 * Ascending by UTF-16 code units: the default order of Array.prototype.sort on strings, which V8 runs natively
 * (about 15× faster than a comparator function doing the same `<`, measured on 400 ids).
 */
function sortIds(ids: string[]): string[] {
  return ids.sort()
}

/**
 * The ids of `slots`, in the scan's order. The slots below `index.ranked` were numbered in id order at build, so
 * they are sorted as numbers (a typed array's native sort, no string read: at 1M accounts the ids are cold, ~1 µs
 * a miss); the later ones by their ids; then the two lists are merged by id.
 */
function sortedIds(index: AtRiskIndex, slots: number[]): string[] {
  const { ids, ranked } = index
  const early = Int32Array.from(slots.filter((slot) => slot < ranked)).sort()
  const late = sortIds(slots.filter((slot) => slot >= ranked).map((slot) => ids[slot] as string))
  const out: string[] = []
  let j = 0
  for (const slot of early) {
    const id = ids[slot] as string
    while (j < late.length && (late[j] as string) < id) out.push(late[j++] as string)
    out.push(id)
  }
  while (j < late.length) out.push(late[j++] as string)
  return out
}

export interface AtRiskIndex {
  /** the state it describes; another object makes findLiquidatable / noteChanged rebuild */
  state: State
  bounds: Bounds
  /** heaps[market × KINDS + kind] */
  heaps: ThresholdHeap[]
  /** a slot per subaccount id ever followed; it keeps its slot when it stops being followed */
  slotOf: Map<string, number>
  /** per slot, the subaccount id (kept, so the output needs no lookup by slot) */
  ids: string[]
  /**
   * per slot, one row: VERSION, ENTRIES, MARK and the copy of its followed subaccount (atRiskRows.ts), which the
   * hot path reads instead of the object: no lookup by id (~1 µs in a map of 1M string keys), no cold object
   */
  rows: Rows
  /** the followed subaccount objects of the slots whose row holds no copy (one that does not fit a row) */
  objects: Map<number, Subaccount>
  /** the slots numbered at build, 0 … ranked − 1, in ascending id order */
  ranked: number
  /** slots checked exactly every block */
  watch: Set<number>
  /** ids reported by noteChanged since the last findLiquidatable, which re-evaluates them */
  pending: Set<string>
  /** slots checked (healthy) by the last findLiquidatable after a change, armed by the next unless changed again */
  fresh: Set<number>
  /** Σ entries (the heaps also hold stale ones until compacted) */
  live: number
  calls: number
  /** subaccounts the last findLiquidatable checked exactly (the changed, crossed thresholds, the watch list) */
  lastChecked: number
}

/** The subaccounts that can be liquidatable, which the index follows (the first half of isLiquidatable). */
function followed(sub: Subaccount | undefined): sub is Subaccount {
  return sub !== undefined && (sub.positions.size > 0 || sub.collateral < 0n)
}

export function buildAtRiskIndex(state: State): AtRiskIndex {
  const index = emptyIndex(state)
  const scales = scalesOf(state)
  const ids: string[] = []
  for (const [id, sub] of state.subaccounts) if (followed(sub)) ids.push(id)
  ensureRows(index.rows, ids.length) // one allocation instead of a doubling per power of two
  for (const id of sortIds(ids)) {
    const slot = allocate(index, id, state.subaccounts.get(id) as Subaccount)
    rearm(index, state, slot, view(index, slot) as Subaccount, scales)
  }
  index.ranked = ids.length
  return index
}

function emptyIndex(state: State): AtRiskIndex {
  return {
    state,
    bounds: makeBounds(state),
    heaps: Array.from({ length: state.markets.length * KINDS }, () => new ThresholdHeap()),
    slotOf: new Map(),
    ids: [],
    objects: new Map(),
    rows: makeRows(state, 1024),
    ranked: 0,
    watch: new Set(),
    pending: new Set(),
    fresh: new Set(),
    live: 0,
    calls: 0,
    lastChecked: 0,
  }
}

/** Rebuilds in place when the index no longer describes `state` (another object, or changed market parameters). */
function refresh(index: AtRiskIndex, state: State): void {
  if (index.state === state && !boundsStale(index.bounds, state)) return
  Object.assign(index, buildAtRiskIndex(state))
}

/**
 * Re-evaluate these subaccounts after their state changed (trades, transfers, liquidation fills); ids may name
 * absent/empty subaccounts (remove them). The work is done by the next findLiquidatable, which must check them
 * anyway, so an id reported several times before it costs one evaluation.
 */
export function noteChanged(index: AtRiskIndex, state: State, ids: Iterable<string>): void {
  refresh(index, state)
  for (const id of ids) index.pending.add(id)
}

/** Exactly scanLiquidatable(state)'s result (same order), found without a full scan; may re-arm entries it checked. */
export function findLiquidatable(index: AtRiskIndex, state: State): string[] {
  refresh(index, state)
  const call = ++index.calls
  const out: number[] = []
  // index.rows.ints is read each time: allocate may grow the rows
  const mark = (slot: number): boolean => {
    const ints = index.rows.ints
    if (ints[slot * INTS + MARK] === call) return false
    ints[slot * INTS + MARK] = call
    return true
  }
  // 1. the changed: checked exactly now and armed at the next call unless changed again, so an account that
  //    trades every block costs one exact check a block instead of an arming (~5× the work)
  const armDue = index.fresh
  index.fresh = new Set()
  let checked = 0
  for (const id of index.pending) {
    const sub = state.subaccounts.get(id)
    let slot = index.slotOf.get(id)
    if (!followed(sub)) {
      if (slot !== undefined) untrack(index, slot)
      continue
    }
    if (slot === undefined) slot = allocate(index, id, sub)
    else follow(index, slot, sub)
    if (!mark(slot)) continue
    checked++
    invalidate(index, slot)
    index.watch.delete(slot)
    // decided on the object in hand: its copy was just written from it, so reading that back is the same decision
    if (isLiquidatable(state, sub)) {
      out.push(slot)
      index.watch.add(slot)
    } else index.fresh.add(slot)
  }
  index.pending.clear()
  // 2. crossed thresholds, the watch list and the last call's changed: checked exactly and armed
  const candidates: number[] = []
  const take = (slot: number): void => {
    if (mark(slot)) candidates.push(slot)
  }
  const scales = scalesOf(state)
  state.markets.forEach((m, id) => {
    const values = [m.oraclePrice, m.oraclePrice, m.fundingIndex, m.fundingIndex, scales[id] as bigint]
    for (let kind = 0; kind < KINDS; kind++) {
      const value = values[kind] as bigint
      // a down heap holds −(threshold rounded up): pop while −threshold < −value, i.e. value < threshold
      const bound = isDownKind(kind) ? -numberAtMost(value) : numberAtLeast(value)
      popCrossed(index, index.heaps[id * KINDS + kind] as ThresholdHeap, bound, take)
    }
  })
  for (const slot of index.watch) take(slot)
  for (const slot of armDue) take(slot)
  index.lastChecked = checked + candidates.length
  for (const slot of candidates) {
    const sub = view(index, slot)
    if (!followed(sub)) untrack(index, slot)
    else if (rearm(index, state, slot, sub, scales) === LIQUIDATABLE) out.push(slot)
  }
  compactIfWasteful(index)
  return sortedIds(index, out)
}

function scalesOf(state: State): bigint[] {
  return state.markets.map((m: Market) => volatilityScale(m))
}

/** Pops every live entry whose key is below `bound` (its threshold is crossed) into `take`. */
function popCrossed(index: AtRiskIndex, heap: ThresholdHeap, bound: number, take: (slot: number) => void): void {
  while (heap.topKey() < bound) {
    const slot = heap.topSlot()
    const version = heap.topVersion()
    heap.pop()
    if (sameVersion(index.rows.ints[slot * INTS + VERSION] as number, version)) take(slot)
  }
}

/** A new slot for an id never followed before (numbered after the ranked ones; armed by the caller). */
function allocate(index: AtRiskIndex, id: string, sub: Subaccount): number {
  const slot = index.ids.length
  index.slotOf.set(id, slot)
  index.ids.push(id)
  ensureRows(index.rows, slot + 1)
  follow(index, slot, sub)
  return slot
}

/**
 * The slot follows `sub` as it is now (after a report, before any check of it): its row gets the copy, or, when
 * the copy does not fit, the object is kept.
 */
function follow(index: AtRiskIndex, slot: number, sub: Subaccount): void {
  if (writeCopy(index.rows, slot, sub)) index.objects.delete(slot)
  else index.objects.set(slot, sub)
}

/**
 * The followed subaccount as the decision sees it: its copy (the shared object readCopy rewrites: used before the
 * next call), or its object when the row holds none; undefined when the slot is not followed.
 */
function view(index: AtRiskIndex, slot: number): Subaccount | undefined {
  return readCopy(index.rows, slot) ?? index.objects.get(slot)
}

/** Stops following the slot's subaccount (it keeps the slot, should it come back). */
function untrack(index: AtRiskIndex, slot: number): void {
  invalidate(index, slot)
  index.watch.delete(slot)
  index.fresh.delete(slot)
  index.objects.delete(slot)
  dropCopy(index.rows, slot)
}

/** Marks the slot's heap entries stale. */
function invalidate(index: AtRiskIndex, slot: number): void {
  const { ints } = index.rows
  const row = slot * INTS
  ints[row + VERSION] = ((ints[row + VERSION] as number) + 1) | 0
  index.live -= ints[row + ENTRIES] as number
  ints[row + ENTRIES] = 0
}

/** Arms the slot afresh from `sub` (its view): new heap entries, or the watch list. Returns armSubaccount's outcome. */
function rearm(index: AtRiskIndex, state: State, slot: number, sub: Subaccount, scales: bigint[]): number {
  invalidate(index, slot)
  const outcome = armSubaccount(index.bounds, state, sub, scales)
  if (outcome !== ARMED) {
    index.watch.add(slot)
    return outcome
  }
  index.watch.delete(slot)
  const version = index.rows.ints[slot * INTS + VERSION] as number
  for (let i = 0; i < armed.count; i++) {
    const kind = armed.kinds[i] as number
    const threshold = armed.keys[i] as bigint
    // down kinds trigger when value < threshold: key −(threshold rounded up); up kinds: threshold rounded down
    const key = isDownKind(kind) ? -numberAtLeast(threshold) : numberAtMost(threshold)
    ;(index.heaps[(armed.markets[i] as number) * KINDS + kind] as ThresholdHeap).push(key, slot, version)
  }
  index.rows.ints[slot * INTS + ENTRIES] = armed.count
  index.live += armed.count
  return outcome
}

/** Drops stale entries once they outnumber the live ones (amortized O(1) per re-arm). */
function compactIfWasteful(index: AtRiskIndex): void {
  let held = 0
  for (const heap of index.heaps) held += heap.size
  if (held <= 2 * index.live + 65_536) return
  const live = (slot: number, version: number): boolean =>
    sameVersion(index.rows.ints[slot * INTS + VERSION] as number, version)
  for (const heap of index.heaps) heap.compact(live)
}
