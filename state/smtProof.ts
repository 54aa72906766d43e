/**
 * @module Proofs of the sparse Merkle tree (state/smt.ts): the type, the pure verifier, and the canonical byte
 * encoding used by the RPC (hex) and by L1 calldata. See docs/state-tree.md for the Solidity verifier.
 *
 * A proof walks from the root along the key's path (bit 0 = most significant bit of keccak256(stateKey),
 * 0 = left) to where the path ends, at `depth`:
 * - `member`: the key's own leaf (the verifier is given the value);
 * - `empty`: an empty subtree (the key is absent);
 * - `other`: the collapsed leaf of another key whose path shares the first `depth` bits (the key is absent).
 * `bitmap` bit i (MSB first, like the path) says whether the sibling met when stepping from depth i to depth
 * i + 1 is non-empty; only non-empty siblings are carried, deepest first. Bits at or past `depth` are zero.
 *
 * Encoding (big-endian):
 *   byte 0        kind: 0 member, 1 empty, 2 other
 *   bytes 1..2    depth, u16 (0..256)
 *   bytes 3..34   bitmap, 32 bytes
 *   kind 2 only:  the other leaf's path (32) ‖ its value hash (32)
 *   then          the non-empty siblings, 32 bytes each, deepest first (as many as bits set in the bitmap)
 */
import { CodecError } from './codec.ts'
import { HASH_BYTES } from './hash.ts'
import { hashNodeInto, INNER_TAG, LEAF_TAG, treeKeccak } from './treeHash.ts'

interface ProofPath {
  /** how many levels the path descends before it ends (0..256) */
  depth: number
  /** 32 bytes; bit i set = the sibling at level i is non-empty */
  bitmap: Uint8Array
  /** the non-empty siblings, deepest first */
  siblings: Uint8Array[]
}

export type StateProof = ProofPath &
  ({ kind: 'member' } | { kind: 'empty' } | { kind: 'other'; otherPath: Uint8Array; otherValueHash: Uint8Array })

export const EMPTY_TREE_ROOT: Uint8Array = new Uint8Array(HASH_BYTES)
const ZERO = new Uint8Array(HASH_BYTES)
const KIND_CODE = { member: 0, empty: 1, other: 2 } as const
const MAX_DEPTH = 256

/** The key's path in the tree: keccak256(stateKey). */
export function statePath(stateKey: Uint8Array): Uint8Array {
  return treeKeccak(stateKey)
}

export function bitAt(bytes: Uint8Array, i: number): number {
  return ((bytes[i >> 3] as number) >> (7 - (i & 7))) & 1
}

function popcount(bitmap: Uint8Array): number {
  let n = 0
  for (let b of bitmap) {
    while (b !== 0) {
      n += b & 1
      b >>= 1
    }
  }
  return n
}

/** True when every bit of the bitmap at index ≥ depth is zero. */
function bitsBeyondClear(bitmap: Uint8Array, depth: number): boolean {
  for (let i = depth; i < MAX_DEPTH; i++) if (bitAt(bitmap, i) === 1) return false
  return true
}

function samePrefix(a: Uint8Array, b: Uint8Array, bits: number): boolean {
  for (let i = 0; i < bits; i++) if (bitAt(a, i) !== bitAt(b, i)) return false
  return true
}

function isZero(h: Uint8Array): boolean {
  for (const b of h) if (b !== 0) return false
  return true
}

function wellFormed(p: StateProof): boolean {
  if (!Number.isInteger(p.depth) || p.depth < 0 || p.depth > MAX_DEPTH) return false
  if (p.bitmap.length !== 32 || !bitsBeyondClear(p.bitmap, p.depth)) return false
  if (p.siblings.length !== popcount(p.bitmap)) return false
  for (const s of p.siblings) if (s.length !== HASH_BYTES || isZero(s)) return false
  if (p.kind === 'other' && (p.otherPath.length !== HASH_BYTES || p.otherValueHash.length !== HASH_BYTES)) return false
  return true
}

/**
 * True when `proof` shows that, under `root`, `stateKey` holds `value` (membership) or, for `value` null, that
 * the key is absent. Pure; never throws on malformed input (returns false).
 */
export function verifyProof(
  root: Uint8Array,
  stateKey: Uint8Array,
  value: Uint8Array | null,
  proof: StateProof,
): boolean {
  if (root.length !== HASH_BYTES || !wellFormed(proof)) return false
  const path = treeKeccak(stateKey)
  const h = new Uint8Array(HASH_BYTES)
  if (value !== null) {
    if (proof.kind !== 'member') return false
    hashNodeInto(LEAF_TAG, path, 0, treeKeccak(value), 0, h, 0)
  } else if (proof.kind === 'other') {
    // another key's leaf sits where this key's path ends: same first `depth` bits, different path
    if (!samePrefix(proof.otherPath, path, proof.depth)) return false
    if (proof.otherPath.every((b, i) => b === path[i])) return false
    hashNodeInto(LEAF_TAG, proof.otherPath, 0, proof.otherValueHash, 0, h, 0)
  } else if (proof.kind !== 'empty') {
    return false
  }
  let next = 0
  for (let level = proof.depth - 1; level >= 0; level--) {
    const sibling = bitAt(proof.bitmap, level) === 1 ? (proof.siblings[next++] as Uint8Array) : ZERO
    if (bitAt(path, level) === 1) hashNodeInto(INNER_TAG, sibling, 0, h, 0, h, 0)
    else hashNodeInto(INNER_TAG, h, 0, sibling, 0, h, 0)
  }
  for (let i = 0; i < HASH_BYTES; i++) if (h[i] !== root[i]) return false
  return true
}

/** Canonical bytes of a proof (see the module comment). Throws on a malformed proof. */
export function encodeProof(p: StateProof): Uint8Array {
  if (!wellFormed(p)) throw new CodecError('malformed state proof')
  const head = 35 + (p.kind === 'other' ? 64 : 0)
  const out = new Uint8Array(head + 32 * p.siblings.length)
  out[0] = KIND_CODE[p.kind]
  out[1] = p.depth >> 8
  out[2] = p.depth & 0xff
  out.set(p.bitmap, 3)
  if (p.kind === 'other') {
    out.set(p.otherPath, 35)
    out.set(p.otherValueHash, 67)
  }
  p.siblings.forEach((s, i) => {
    out.set(s, head + 32 * i)
  })
  return out
}

/** Parses canonical proof bytes; throws CodecError on anything else (wrong length, stray bitmap bits, …). */
export function decodeProof(b: Uint8Array): StateProof {
  if (b.length < 35) throw new CodecError('state proof shorter than its 35-byte header')
  const code = b[0] as number
  if (code > 2) throw new CodecError(`bad state proof kind ${code}`)
  const depth = ((b[1] as number) << 8) | (b[2] as number)
  if (depth > MAX_DEPTH) throw new CodecError(`state proof depth ${depth} over ${MAX_DEPTH}`)
  const bitmap = b.slice(3, 35)
  if (!bitsBeyondClear(bitmap, depth)) throw new CodecError('state proof bitmap has bits past its depth')
  const head = 35 + (code === 2 ? 64 : 0)
  const count = popcount(bitmap)
  if (b.length !== head + 32 * count)
    throw new CodecError(`state proof is ${b.length} bytes, expected ${head + 32 * count}`)
  const siblings = Array.from({ length: count }, (_, i) => b.slice(head + 32 * i, head + 32 * i + 32))
  if (siblings.some(isZero)) throw new CodecError('state proof carries an empty sibling')
  const path = { depth, bitmap, siblings }
  if (code === 0) return { kind: 'member', ...path }
  if (code === 1) return { kind: 'empty', ...path }
  return { kind: 'other', otherPath: b.slice(35, 67), otherValueHash: b.slice(67, 99), ...path }
}
