/**
 * @module keccak256 for the sparse Merkle tree (state/smt.ts), the one place the tree hashes.
 *
 * Two interchangeable backends compute the same function:
 * - `wasm` (default): the WebAssembly keccak of state/keccakWasm.ts, compiled synchronously when this module
 *   loads; ~10× faster than noble on the tree's 65-byte nodes here (bench/stateTree.ts).
 * - `noble`: @noble/hashes, selectable for comparison (`initHashing('noble')`).
 * Outputs are identical, so the backend never changes a root or a proof, only the speed. state/hash.ts's
 * `keccak256` (everything outside the tree) uses the WebAssembly keccak too.
 *
 * Node hashes (the Solidity verifier computes the same):
 *   leaf  = keccak256(0x00 ‖ path ‖ valueHash)      path = keccak256(stateKey), valueHash = keccak256(value)
 *   inner = keccak256(0x01 ‖ left ‖ right)          an empty subtree is 32 zero bytes
 */
import { keccak_256 } from '@noble/hashes/sha3.js'
import { wasmKeccak, wasmKeccakInto, wasmNode64, wasmNodeInto, writeNodePreimage } from './keccakWasm.ts'

export type HashingBackend = 'wasm' | 'noble'

export const LEAF_TAG = 0x00
export const INNER_TAG = 0x01

let active: HashingBackend = 'wasm'

/**
 * Selects the tree's keccak backend. Not required: the WebAssembly backend is ready when the module loads
 * (no async compile). Kept async so a backend that needs initialisation can be added without changing callers.
 */
export async function initHashing(backend: HashingBackend = 'wasm'): Promise<void> {
  active = backend
}

/** Which keccak the tree uses now (for a startup log line). */
export function hashingBackend(): HashingBackend {
  return active
}

/** keccak256 of arbitrary bytes with the tree's backend. */
export function treeKeccak(data: Uint8Array): Uint8Array {
  return active === 'wasm' ? wasmKeccak(data) : keccak_256(data)
}

/** keccak256(data) written to out[outOff..outOff+32], without allocating. */
export function treeKeccakInto(data: Uint8Array, out: Uint8Array, outOff: number): void {
  if (active === 'wasm') wasmKeccakInto(data, out, outOff)
  else out.set(keccak_256(data), outOff)
}

const node = new Uint8Array(65)

/**
 * keccak256(tag ‖ a[aOff..aOff+32] ‖ b[bOff..bOff+32]) written to out[outOff..outOff+32]. Offsets let the tree
 * hash straight from and into its flat arrays without allocating views.
 */
export function hashNodeInto(
  tag: number,
  a: Uint8Array,
  aOff: number,
  b: Uint8Array,
  bOff: number,
  out: Uint8Array,
  outOff: number,
): void {
  if (active === 'wasm') {
    wasmNodeInto(tag, a, aOff, b, bOff, out, outOff)
    return
  }
  writeNodePreimage(node, 0, tag, a, aOff, b, bOff)
  out.set(keccak_256(node), outOff)
}

/**
 * keccak256(tag ‖ the 64 bytes under src[srcWord..srcWord+16)) written under dst[dstWord..dstWord+8): the tree's
 * arenas keep a node's two 32-byte halves side by side, so a node is hashed with word copies and no views.
 */
export function hashNode64(tag: number, src: Int32Array, srcWord: number, dst: Int32Array, dstWord: number): void {
  if (active === 'wasm') {
    wasmNode64(tag, src, srcWord, dst, dstWord)
    return
  }
  node[0] = tag
  node.set(new Uint8Array(src.buffer, src.byteOffset + srcWord * 4, 64), 1)
  new Uint8Array(dst.buffer, dst.byteOffset + dstWord * 4, 32).set(keccak_256(node))
}

/** The hash of a leaf: keccak256(0x00 ‖ path ‖ valueHash). */
export function smtLeafHash(path: Uint8Array, valueHash: Uint8Array): Uint8Array {
  const out = new Uint8Array(32)
  hashNodeInto(LEAF_TAG, path, 0, valueHash, 0, out, 0)
  return out
}

/** The hash of an inner node: keccak256(0x01 ‖ left ‖ right). */
export function smtInnerHash(left: Uint8Array, right: Uint8Array): Uint8Array {
  const out = new Uint8Array(32)
  hashNodeInto(INNER_TAG, left, 0, right, 0, out, 0)
  return out
}
