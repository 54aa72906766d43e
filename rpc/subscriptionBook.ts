/**
 * @module Order-book diffs for the `orderBook` subscription. Levels are `[price, size]` pairs of decimal strings
 * as perp_orderBook serves them, best first (bids by price descending, asks ascending). A diff lists, best first,
 * every price whose size differs between two views of the same depth: the new size, or "0" for a level that
 * is gone (filled, cancelled, or pushed out of the depth by a better one). Setting each listed level on the old
 * view (removing those at "0") and keeping the side sorted gives the new view exactly.
 */
import type { Json } from './json.ts'

export type Level = [price: string, size: string]

/** A view's side as Json (what the backend returns) read as levels. */
export function levelsOf(side: Json | undefined): Level[] {
  return Array.isArray(side) ? (side as Level[]) : []
}

/** Whether price `a` comes before `b` on this side (prices are decimal strings of non-negative integers). */
function better(a: string, b: string, bids: boolean): boolean {
  const x = BigInt(a)
  const y = BigInt(b)
  return bids ? x > y : x < y
}

/** The changes that turn side `before` into side `after`, best first. */
export function sideDiff(before: readonly Level[], after: readonly Level[], bids: boolean): Level[] {
  const old = new Map(before.map(([p, s]) => [p, s]))
  const now = new Map(after.map(([p, s]) => [p, s]))
  const out: Level[] = []
  for (const [p, s] of after) if (old.get(p) !== s) out.push([p, s])
  for (const [p] of before) if (!now.has(p)) out.push([p, '0'])
  return out.sort((a, b) => (a[0] === b[0] ? 0 : better(a[0], b[0], bids) ? -1 : 1))
}
