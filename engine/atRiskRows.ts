/**
 * @module The per-slot rows of the at-risk index (atRisk.ts): a slot's bookkeeping numbers and an exact copy of
 * the fields of its subaccount that the liquidation decision reads, in one row of one buffer.
 *
 * Why: at 1M accounts a subaccount's fields are spread over ~9 cold objects (the Subaccount, its positions Map and
 * that Map's table, each Position, each bigint field, the assets Map, …), ~1 µs a cache/TLB miss each. Checking
 * and arming an account from its row costs the one or two misses of the row instead; the row is also what the
 * heaps' version checks read, so a popped account's copy is usually fetched by then.
 *
 * What is copied: exactly what margin.ts's equity and maintenanceMargin and atRiskBounds.ts's arming read of a
 * subaccount: `collateral`; each position's market, `size` and `fundingIndex` (in the Map's order); each asset's
 * id and amount (in the Map's order). `readCopy` rebuilds a Subaccount from them, so the decision runs the same
 * code on the same values (no formula of margin.ts is repeated here) and is the same as on the object. The unit
 * tests check that those functions read no other field.
 *
 * A row holds up to 2 positions (markets < 2^16) and 1 asset; a value must fit in int64 (the funding snapshot
 * relative to the market's index when the rows were made; an asset amount within ±2^95: a 64-bit low part and a
 * 32-bit high part). An account that does
 * not fit gets no copy (SHAPE = NO_COPY) and is read from its object: the same decision, the old cost.
 *
 * The copy is as fresh as the caller's reports: atRisk.ts rewrites it whenever it reads a subaccount reported
 * through noteChanged (and at build), never otherwise — the contract the thresholds already rely on.
 */
import type { Address } from './messages.ts'
import type { Position, State, Subaccount } from './types.ts'

/** Bytes per row: 6 int32 (24 B) then 6 int64 (48 B); a multiple of 8 so every row's int64s are aligned. */
const ROW_BYTES = 72
/** int32s per row: slot s's int32 fields are at s × INTS + field */
export const INTS = ROW_BYTES / 4
/** int64s per row: slot s's int64 fields are at s × WORDS + field */
const WORDS = ROW_BYTES / 8

// int32 fields. Bookkeeping (atRisk.ts): the version (bumped when the slot's heap entries go stale), its live
// heap entries, and the last findLiquidatable call that took it as a candidate.
export const VERSION = 0
export const ENTRIES = 1
export const MARK = 2
/** positions (0–2) + 4 × assets (0–1) + 8 × the asset's id; NO_COPY when the row holds no copy */
const SHAPE = 3
/** market of position 0 in the low 16 bits, of position 1 in the high 16 */
const MARKETS = 4
/** the asset amount's high part: amount = AMOUNT_HIGH × 2^64 + the AMOUNT word (signed) */
const AMOUNT_HIGH = 5

// int64 fields (word 0–2 hold the int32s above). USDC units, size units, funding-index units, asset units.
const COLLATERAL = 3
/** position i: size at SIZE + 2i, fundingIndex − fundingBase[market] at SIZE + 2i + 1 */
const SIZE = 4
const AMOUNT = 8

const NO_COPY = -1
const MAX_POSITIONS = 2
const MAX_ASSETS = 1
const MARKET_LIMIT = 1 << 16

export interface Rows {
  ints: Int32Array
  /** the same buffer as ints */
  words: BigInt64Array
  /** per market, its funding index when the rows were made: snapshots are kept relative to it (small numbers) */
  fundingBase: bigint[]
}

export function makeRows(state: State, slots: number): Rows {
  const buffer = new ArrayBuffer(slots * ROW_BYTES)
  return {
    ints: new Int32Array(buffer),
    words: new BigInt64Array(buffer),
    fundingBase: state.markets.map((m) => m.fundingIndex),
  }
}

/** Room for `slots` rows (doubling, contents kept). */
export function ensureRows(rows: Rows, slots: number): void {
  if (slots * INTS <= rows.ints.length) return
  let capacity = Math.max(rows.ints.length / INTS, 1)
  while (capacity < slots) capacity *= 2
  const buffer = new ArrayBuffer(capacity * ROW_BYTES)
  new Uint8Array(buffer).set(new Uint8Array(rows.ints.buffer))
  rows.ints = new Int32Array(buffer)
  rows.words = new BigInt64Array(buffer)
}

function fitsInt64(x: bigint): boolean {
  return BigInt.asIntN(64, x) === x
}

/**
 * Writes `sub`'s copy into the slot's row and returns true, or marks the row as holding none and returns false
 * (the caller keeps the object instead).
 */
export function writeCopy(rows: Rows, slot: number, sub: Subaccount): boolean {
  const { ints, words } = rows
  const i = slot * INTS
  ints[i + SHAPE] = NO_COPY
  if (sub.positions.size > MAX_POSITIONS || sub.assets.size > MAX_ASSETS || !fitsInt64(sub.collateral)) return false
  const w = slot * WORDS
  let markets = 0
  let k = 0
  for (const [id, p] of sub.positions) {
    const base = rows.fundingBase[id]
    if (base === undefined || id < 0 || id >= MARKET_LIMIT) return false
    const funding = p.fundingIndex - base
    if (!fitsInt64(p.size) || !fitsInt64(funding)) return false
    words[w + SIZE + 2 * k] = p.size
    words[w + SIZE + 2 * k + 1] = funding
    markets |= k === 0 ? id : id << 16
    k++
  }
  let shape = k
  for (const [id, amount] of sub.assets) {
    const low = BigInt.asIntN(64, amount)
    const high = (amount - low) >> 64n // exact: amount − low is a multiple of 2^64
    if (high !== BigInt.asIntN(32, high) || id < 1 || id >= 2 ** 27) return false
    words[w + AMOUNT] = low
    ints[i + AMOUNT_HIGH] = Number(high)
    shape += 4 + 8 * id
  }
  words[w + COLLATERAL] = sub.collateral
  ints[i + MARKETS] = markets
  ints[i + SHAPE] = shape
  return true
}

/** Marks the row as holding no copy (an untracked slot). */
export function dropCopy(rows: Rows, slot: number): void {
  rows.ints[slot * INTS + SHAPE] = NO_COPY
}

/**
 * One Subaccount object, rewritten by each readCopy: valid until the next call. Only the fields the decision
 * reads are meaningful (address and subaccount are placeholders; cost is 0).
 */
const scratch: Subaccount = {
  address: '0x0000000000000000000000000000000000000000' as Address,
  subaccount: 0,
  collateral: 0n,
  positions: new Map(),
  assets: new Map(),
  openOrders: new Set(),
}
const scratchPositions: Position[] = Array.from({ length: MAX_POSITIONS }, () => ({
  size: 0n,
  cost: 0n,
  fundingIndex: 0n,
}))
/**
 * Which keys the scratch maps hold, in order: positions count + 4 × the MARKETS int (as uint32), and the asset
 * id (0: none). A map is rebuilt only when its keys change (Map.clear allocates a new table); otherwise the
 * values are replaced in place, which keeps the order.
 */
let positionKeys = 0
let assetKey = 0

/**
 * The slot's copy as a Subaccount (the shared scratch object: use it before the next call), or undefined when the
 * row holds none.
 */
export function readCopy(rows: Rows, slot: number): Subaccount | undefined {
  const { ints, words } = rows
  const i = slot * INTS
  const shape = ints[i + SHAPE] as number
  if (shape === NO_COPY) return undefined
  const w = slot * WORDS
  scratch.collateral = words[w + COLLATERAL] as bigint
  const markets = ints[i + MARKETS] as number
  const count = shape & 3
  const keys = count + 4 * (markets >>> 0)
  if (keys !== positionKeys) {
    scratch.positions.clear()
    for (let k = 0; k < count; k++)
      scratch.positions.set(k === 0 ? markets & 0xffff : markets >>> 16, scratchPositions[k] as Position)
    positionKeys = keys
  }
  for (let k = 0; k < count; k++) {
    const p = scratchPositions[k] as Position
    p.size = words[w + SIZE + 2 * k] as bigint
    p.fundingIndex =
      (rows.fundingBase[k === 0 ? markets & 0xffff : markets >>> 16] as bigint) +
      (words[w + SIZE + 2 * k + 1] as bigint)
  }
  const asset = (shape & 4) !== 0 ? shape >>> 3 : 0
  if (asset !== assetKey) {
    scratch.assets.clear()
    assetKey = asset
  }
  if (asset !== 0) {
    const high = ints[i + AMOUNT_HIGH] as number
    const low = words[w + AMOUNT] as bigint
    scratch.assets.set(asset, high === 0 ? low : low + (BigInt(high) << 64n))
  }
  return scratch
}
