/**
 * @module state: authenticated state. Canonical codec, key prefixes, and the Merkle commitment over leaves.
 * Pure: no I/O. The node persists leaves; this folder only says how they are encoded and committed.
 */
export { ByteArena } from './byteArena.ts'
export { CodecError, Reader, Writer } from './codec.ts'
export { bytesEqual, concatBytes, fromHex, HASH_BYTES, hexInto, isHex, keccak256, toHex } from './hash.ts'
export type { KeyPrefix } from './keys.ts'
export {
  agentsKey,
  auctionKey,
  bridgeKey,
  globalKey,
  KEY_PREFIX,
  marketKey,
  noncesKey,
  orderKey,
  subaccountKey,
  withdrawalKey,
} from './keys.ts'
export type { LeafWrite } from './merkle.ts'
export { EMPTY_ROOT, leafHash, MerkleState, merkleRoot, merkleRootOfItems } from './merkle.ts'
export type { NodeRecordVisitor, NodeWriteVisitor } from './nodeWrites.ts'
export { NodeWrites } from './nodeWrites.ts'
export type { TreeCommit, TreeOptions } from './smt.ts'
export { DEFAULT_KEEP_HEIGHTS, SparseMerkleTree } from './smt.ts'
export type { StateProof } from './smtProof.ts'
export { decodeProof, EMPTY_TREE_ROOT, encodeProof, statePath, verifyProof } from './smtProof.ts'
export type { LeafProof, ReadNode } from './smtRead.ts'
export { proveAt, proveLeafAt, rootAt } from './smtRead.ts'
export type { TreeNodeWrite } from './smtStore.ts'
export {
  PAGE_LEVELS as TREE_PAGE_LEVELS,
  TREE_RECORD,
  TreeUnavailableError,
  treeNodeKey,
  treeRootKey,
  treeStaleKey,
  treeValueKey,
} from './smtStore.ts'
export type { HashingBackend } from './treeHash.ts'
export { hashingBackend, initHashing, smtInnerHash, smtLeafHash, treeKeccak, treeKeccakInto } from './treeHash.ts'
