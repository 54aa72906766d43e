/**
 * @module The state root: a binary Merkle tree over all leaves sorted by key.
 *
 * leafHash = keccak256(0x00 ‖ u32(len key) ‖ key ‖ keccak256(value))
 * node     = keccak256(0x01 ‖ left ‖ right); an odd node at the end of a level is carried up unchanged
 * root of no leaves = 32 zero bytes
 *
 * The domain bytes keep a leaf from being passed off as an inner node. This tree is simple and recomputed
 * over all leaves each block (O(n log n)); the sparse Merkle tree of the state issue replaces it behind the
 * same `MerkleState` surface (apply writes, read the root).
 */
import { Writer } from './codec.ts'
import { concatBytes, HASH_BYTES, keccak256, toHex } from './hash.ts'

export interface LeafWrite {
  key: Uint8Array
  /** null deletes the leaf */
  value: Uint8Array | null
}

export const EMPTY_ROOT: Uint8Array = new Uint8Array(HASH_BYTES)
const LEAF = Uint8Array.of(0)
const INNER = Uint8Array.of(1)

export function leafHash(key: Uint8Array, value: Uint8Array): Uint8Array {
  return keccak256(concatBytes(LEAF, new Writer(4).u32(key.length).finish(), key, keccak256(value)))
}

export function merkleRoot(sortedLeafHashes: Uint8Array[]): Uint8Array {
  if (sortedLeafHashes.length === 0) return EMPTY_ROOT
  let level = sortedLeafHashes
  while (level.length > 1) {
    const next: Uint8Array[] = []
    for (let i = 0; i < level.length; i += 2) {
      const left = level[i] as Uint8Array
      const right = level[i + 1]
      next.push(right === undefined ? left : keccak256(concatBytes(INNER, left, right)))
    }
    level = next
  }
  return level[0] as Uint8Array
}

/** All leaves' hashes, keyed by the key's hex; the order of keys is their byte order (hex sorts the same). */
export class MerkleState {
  readonly #leaves = new Map<string, Uint8Array>()

  apply(writes: Iterable<LeafWrite>): void {
    for (const { key, value } of writes) {
      const id = toHex(key)
      if (value === null) this.#leaves.delete(id)
      else this.#leaves.set(id, leafHash(key, value))
    }
  }

  get size(): number {
    return this.#leaves.size
  }

  root(): Uint8Array {
    const keys = [...this.#leaves.keys()].sort()
    return merkleRoot(keys.map((k) => this.#leaves.get(k) as Uint8Array))
  }
}
