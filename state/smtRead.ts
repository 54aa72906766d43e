/**
 * @module Proofs at any kept height, read from the node store (layout: state/smtStore.ts). `read` returns the
 * value of a node-store key as `SparseMerkleTree.commit` wrote it (the node reads its LevelDB; tests a Map).
 * One record per level from the root record of the height down to where the key's path ends, plus, for a
 * member, the value record the leaf names. Pure apart from `read`.
 */
import { CodecError } from './codec.ts'
import { HASH_BYTES } from './hash.ts'
import { compare32, getU64 } from './smtBytes.ts'
import type { StateProof } from './smtProof.ts'
import { bitAt } from './smtProof.ts'
import type { PageView } from './smtStore.ts'
import {
  CODE_EMPTY,
  CODE_LEAF,
  decodePage,
  LEAF_RECORD_BYTES,
  nodeKeyLength,
  oldLayoutError,
  PAGE_END,
  REC_LEAF,
  REC_PAGE,
  ROOT_RECORD_BYTES,
  TreeUnavailableError,
  treeRootKey,
  VALUE_KEY_BYTES,
  writeNodeKey,
  writeValueKey,
} from './smtStore.ts'
import { hashNodeInto, INNER_TAG, treeKeccak } from './treeHash.ts'

export type ReadNode = (nodeKey: Uint8Array) => Promise<Uint8Array | undefined>

/** A key's proof at a height with everything a verifier needs: `verifyProof(root, key, value, proof)`. */
export interface LeafProof {
  height: bigint
  /** the state root of that height */
  root: Uint8Array
  /** the key's value at that height; null when the key is absent */
  value: Uint8Array | null
  proof: StateProof
}

async function readRoot(read: ReadNode, height: bigint): Promise<Uint8Array> {
  const rec = await read(treeRootKey(height))
  if (rec === undefined)
    throw new TreeUnavailableError(
      `no state tree for height ${height}: it is older than the kept heights (pruned) or not committed`,
    )
  if (rec.length !== HASH_BYTES && rec.length !== ROOT_RECORD_BYTES)
    throw new CodecError(`root record of ${rec.length} bytes`)
  return rec
}

/** The state root stored for `height` (within the kept heights). */
export async function rootAt(read: ReadNode, height: bigint): Promise<Uint8Array> {
  return (await readRoot(read, height)).slice(0, HASH_BYTES)
}

/** Checks a node record's kind (and a leaf's size); returns its kind byte. */
export function nodeRecordKind(rec: Uint8Array): number {
  const kind = rec[0]
  if (kind === REC_LEAF && rec.length === LEAF_RECORD_BYTES) return kind
  if (kind === REC_PAGE) return kind
  if ((kind === REC_LEAF && rec.length === 65) || kind === 0x01) throw oldLayoutError()
  throw new CodecError(`unknown tree node record (kind ${kind}, ${rec.length} bytes)`)
}

const ZERO = new Uint8Array(32)

/** The hash of heap position j of a page: an entry's hash, zero, or recomputed from the positions below. */
export function pageHash(page: PageView, j: number): Uint8Array {
  const at = page.entryAt[j] as number
  if (at >= 0) return page.rec.subarray(at, at + 32)
  if (page.codes[j] === CODE_EMPTY) return ZERO
  const out = new Uint8Array(32)
  hashNodeInto(INNER_TAG, pageHash(page, 2 * j), 0, pageHash(page, 2 * j + 1), 0, out, 0)
  return out
}

interface Walk {
  root: Uint8Array
  proof: StateProof
  /** the leaf record where a member's path ends */
  leaf?: Uint8Array
}

async function readNode(read: ReadNode, height: bigint, version: number, depth: number, path: Uint8Array) {
  const key = new Uint8Array(nodeKeyLength(depth))
  writeNodeKey(key, 0, version, depth, path, 0)
  const rec = await read(key)
  if (rec === undefined)
    throw new TreeUnavailableError(`state tree node of height ${height} missing (pruned meanwhile?) at depth ${depth}`)
  return rec
}

async function walk(read: ReadNode, height: bigint, path: Uint8Array): Promise<Walk> {
  const rootRec = await readRoot(read, height)
  const root = rootRec.slice(0, HASH_BYTES)
  const bitmap = new Uint8Array(32)
  const siblings: Uint8Array[] = []
  const end = (proof: StateProof, leaf?: Uint8Array): Walk => {
    siblings.reverse()
    return leaf === undefined ? { root, proof } : { root, proof, leaf }
  }
  if (rootRec.length === HASH_BYTES) return end({ kind: 'empty', depth: 0, bitmap, siblings })
  let version = getU64(rootRec, 32)
  let depth = 0
  for (;;) {
    const rec = await readNode(read, height, version, depth, path)
    if (nodeRecordKind(rec) === REC_LEAF) {
      if (compare32(rec, 1, path, 0) === 0) return end({ kind: 'member', depth, bitmap, siblings }, rec)
      return end({
        kind: 'other',
        depth,
        bitmap,
        siblings,
        otherPath: rec.slice(1, 33),
        otherValueHash: rec.slice(33, 65),
      })
    }
    // a page: step down its positions along the path
    const page = decodePage(rec)
    let j = 1
    for (;;) {
      const right = bitAt(path, depth)
      const sibling = pageHash(page, 2 * j + 1 - right)
      if (sibling !== ZERO) {
        bitmap[depth >> 3] = (bitmap[depth >> 3] as number) | (0x80 >> (depth & 7))
        siblings.push(sibling.slice())
      }
      j = 2 * j + right
      depth++
      const code = page.codes[j]
      if (code === CODE_EMPTY) return end({ kind: 'empty', depth, bitmap, siblings })
      if (code === CODE_LEAF || j >= PAGE_END >> 1) break
    }
    // the path leaves the page at a leaf or at the root of the next page (PAGE_LEVELS below this one's)
    version = getU64(rec, (page.entryAt[j] as number) + 32)
  }
}

/**
 * A proof of `stateKey` against the root of `height`, read from the node store. Rejects with
 * TreeUnavailableError for a pruned or unknown height.
 */
export async function proveAt(read: ReadNode, height: bigint, stateKey: Uint8Array): Promise<StateProof> {
  return (await walk(read, height, treeKeccak(stateKey))).proof
}

/**
 * The root of `height`, the key's value at that height (null when absent) and its proof, all read from the
 * node store: what `perp_proof` serves. Rejects with TreeUnavailableError for a pruned or unknown height, and
 * with CodecError when the stored value does not hash to the leaf's value hash.
 */
export async function proveLeafAt(read: ReadNode, height: bigint, stateKey: Uint8Array): Promise<LeafProof> {
  const path = treeKeccak(stateKey)
  const { root, proof, leaf } = await walk(read, height, path)
  if (leaf === undefined) return { height, root, value: null, proof }
  const key = new Uint8Array(VALUE_KEY_BYTES)
  writeValueKey(key, 0, path, 0, getU64(leaf, 65))
  const value = await read(key)
  if (value === undefined) throw new TreeUnavailableError(`state value of height ${height} missing (pruned meanwhile?)`)
  if (compare32(treeKeccak(value), 0, leaf, 33) !== 0)
    throw new CodecError(`stored state value does not hash to its leaf at height ${height}`)
  return { height, root, value, proof }
}
