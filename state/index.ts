/**
 * @module state: authenticated state. Canonical codec, key prefixes, and the Merkle commitment over leaves.
 * Pure: no I/O. The node persists leaves; this folder only says how they are encoded and committed.
 */
export { CodecError, Reader, Writer } from './codec.ts'
export { HASH_BYTES, bytesEqual, concatBytes, fromHex, keccak256, toHex } from './hash.ts'
export { KEY_PREFIX, globalKey, marketKey, noncesKey, orderKey, subaccountKey } from './keys.ts'
export type { KeyPrefix } from './keys.ts'
export { EMPTY_ROOT, MerkleState, leafHash, merkleRoot } from './merkle.ts'
export type { LeafWrite } from './merkle.ts'
