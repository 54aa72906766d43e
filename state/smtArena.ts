/**
 * @module The flat slot arenas of state/smt.ts: one fixed-size slot per node in one ArrayBuffer (array of
 * structs), so a node visit touches one or two cache lines instead of one line in each of five arrays. Ids
 * start at 1 (the tree reserves inner slot 0 for the super-root); freed ids are reused.
 *
 * Inner slot, 96 bytes (24 words, 12 doubles): the node's two children side by side, so the 64-byte preimage
 * of its hash (after the tag) is contiguous and the sibling met on a walk is in the slot already:
 *   bytes  0..31  left child's hash      (words 0..7; zero = empty)
 *   bytes 32..63  right child's hash     (words 8..15)
 *   f64 8, 9      left, right child's record version (0 for an empty child)
 *   i32 20, 21    left, right child ref (> 0 inner id, < 0 −leaf id, 0 empty)
 *   f64 11        the node's own record version (PENDING while changed and not yet placed)
 * Leaf slot, 88 bytes (22 words, 11 doubles):
 *   bytes  0..31  path = keccak256(stateKey)     bytes 32..63  valueHash = keccak256(value)
 *   f64 8         value version (height its value was written: the value record's key)
 *   f64 9         own record version            i32 20  depth
 * A node's own hash lives in its parent's slot (the root's in the super-root, inner slot 0, left side).
 */

export const I_WORDS = 24
export const I_F64 = 12
/** word of the right child's hash; the left one is at word 0 */
export const I_RIGHT_HASH = 8
export const I_CVER = 8
export const I_REF = 20
export const I_OWN = 11
export const L_WORDS = 22
export const L_F64 = 11
/** word of the value hash; the path is at word 0 */
export const L_VALH = 8
export const L_VVER = 8
export const L_OWN = 9
export const L_DEPTH = 20

export class Slots {
  readonly #stride: number
  u8: Uint8Array
  i32: Int32Array
  f64: Float64Array
  cap: number
  next = 1
  free: number[] = []

  /** `stride` bytes per slot (a multiple of 8), room for `cap` slots to start with. */
  constructor(stride: number, cap: number) {
    this.#stride = stride
    this.cap = Math.max(cap, 2)
    const buf = new ArrayBuffer(this.cap * stride)
    this.u8 = new Uint8Array(buf)
    this.i32 = new Int32Array(buf)
    this.f64 = new Float64Array(buf)
  }

  /** A slot id (its contents are whatever was there: the caller writes every field). */
  alloc(): number {
    const id = this.free.pop() ?? this.next++
    if (id >= this.cap) this.reserve(Math.max(1024, Math.ceil(this.cap * 1.5), id + 1))
    return id
  }

  /** Grows to `cap` slots (views are replaced: callers re-read u8/i32/f64 after anything that may allocate). */
  reserve(cap: number): void {
    if (cap <= this.cap) return
    const buf = new ArrayBuffer(cap * this.#stride)
    const u8 = new Uint8Array(buf)
    u8.set(this.u8)
    this.u8 = u8
    this.i32 = new Int32Array(buf)
    this.f64 = new Float64Array(buf)
    this.cap = cap
  }

  /**
   * Moves the slots into a fresh arena in the order `order` lists them (old ids; slot 0 stays first), so the
   * nodes a walk meets together sit together; `remap` gets each old id's new id. Ids not listed are dropped.
   */
  relayout(order: Int32Array, count: number, remap: Int32Array): void {
    const stride = this.#stride
    const cap = count + (count >> 5) + 1024
    const buf = new ArrayBuffer(cap * stride)
    const u8 = new Uint8Array(buf)
    u8.set(this.u8.subarray(0, stride))
    for (let i = 0; i < count; i++) {
      const old = order[i] as number
      remap[old] = i + 1
      u8.set(this.u8.subarray(old * stride, (old + 1) * stride), (i + 1) * stride)
    }
    this.u8 = u8
    this.i32 = new Int32Array(buf)
    this.f64 = new Float64Array(buf)
    this.cap = cap
    this.next = count + 1
    this.free = []
  }

  /** Bytes held (for the memory notes). */
  get bytes(): number {
    return this.cap * this.#stride
  }
}
