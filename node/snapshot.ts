/**
 * @module State snapshots: `perpd export` writes the state at a height, `perpd import` makes a fresh store
 * from it that a node continues from (its follower asks peers for blocks from height + 1).
 *
 * Format, version 1 (the canonical binary primitives of state/codec.ts: big-endian integers, u32 length
 * prefixes). The same chain at the same height always gives the same bytes.
 *
 *   magic       8 bytes   "PERPSNAP"
 *   version     u32       1
 *   chainId     u64
 *   genesisHash 32 bytes  hash of block 0 (the chain's identity)
 *   height      u64       H
 *   blockHash   32 bytes  hash of the header at H
 *   stateRoot   32 bytes  state root at H (= the header's)
 *   time        u64       block time at H, ms
 *   block       bytes     the whole block at H as stored (header, transactions, sequencer signature)
 *   receipts    bytes     the receipts of block H, JSON text as stored
 *   leafCount   u32
 *   leaves      leafCount × (key bytes, value bytes), strictly ascending by key (byte order)
 *   checksum    32 bytes  keccak256 of everything before it
 *
 * Import checks: checksum, magic and version; chain id and genesis hash against the genesis file; the
 * header at H hashes to blockHash, carries stateRoot and is signed by the genesis sequencer (or is the
 * genesis block itself when H = 0); its txRoot and every transaction signature; the receipts belong to its
 * transactions; the leaves are sorted, decode as engine state, and hash to stateRoot.
 */

import { readdirSync } from 'node:fs'
import type { Genesis } from '../engine/index.ts'
import { blockHash, decodeBlock, domainSeparator, stateFromLeaves, txRoot } from '../engine/index.ts'
import { bytesEqual, CodecError, fromHex, keccak256, Reader, SparseMerkleTree, toHex, Writer } from '../state/index.ts'
import { Chain, genesisBlock, KEEP_HEIGHTS } from './chain.ts'
import type { Head } from './chainStore.ts'
import { ChainStore } from './chainStore.ts'
import { replayStore } from './replay.ts'
import { recoverSigner } from './signatures.ts'
import { verifyBlockTx } from './verify.ts'

export const SNAPSHOT_MAGIC = new TextEncoder().encode('PERPSNAP')
export const SNAPSHOT_VERSION = 1
const MAX_KEY_BYTES = 1024
const MAX_VALUE_BYTES = 1 << 20

export class SnapshotError extends Error {
  override name = 'SnapshotError'
}

export interface Snapshot {
  chainId: number
  genesisHash: Uint8Array
  height: bigint
  hash: Uint8Array
  stateRoot: Uint8Array
  time: bigint
  /** the encoded block at `height` */
  block: Uint8Array
  /** JSON text of its receipts */
  receipts: string
  /** [stateKey, value], ascending by key */
  leaves: [Uint8Array, Uint8Array][]
}

export function encodeSnapshot(s: Snapshot): Uint8Array {
  const w = new Writer(1 << 16)
  w.fixed(SNAPSHOT_MAGIC, 8).u32(SNAPSHOT_VERSION).u64(BigInt(s.chainId)).fixed(s.genesisHash, 32)
  w.u64(s.height).fixed(s.hash, 32).fixed(s.stateRoot, 32).u64(s.time)
  w.bytes(s.block).string(s.receipts)
  w.u32(s.leaves.length)
  for (const [key, value] of s.leaves) w.bytes(key).bytes(value)
  const body = w.finish()
  const out = new Uint8Array(body.length + 32)
  out.set(body)
  out.set(keccak256(body), body.length)
  return out
}

export function decodeSnapshot(bytes: Uint8Array): Snapshot {
  if (bytes.length < 8 + 4 + 32 || !bytesEqual(bytes.subarray(0, 8), SNAPSHOT_MAGIC))
    throw new SnapshotError('not a perpd snapshot (bad magic)')
  const body = bytes.subarray(0, bytes.length - 32)
  if (!bytesEqual(keccak256(body), bytes.subarray(bytes.length - 32)))
    throw new SnapshotError('snapshot checksum mismatch (truncated or corrupted file)')
  const r = new Reader(body)
  r.fixed(8)
  const version = r.u32()
  if (version !== SNAPSHOT_VERSION)
    throw new SnapshotError(`snapshot format version ${version}; this perpd reads version ${SNAPSHOT_VERSION}`)
  try {
    const s: Snapshot = {
      chainId: Number(r.u64()),
      genesisHash: r.fixed(32),
      height: r.u64(),
      hash: r.fixed(32),
      stateRoot: r.fixed(32),
      time: r.u64(),
      block: r.bytes(),
      receipts: r.string(),
      leaves: [],
    }
    for (let n = r.u32(), prev: string | undefined; n > 0; n--) {
      const key = r.bytes(MAX_KEY_BYTES)
      const id = toHex(key)
      if (prev !== undefined && id <= prev) throw new SnapshotError('snapshot leaves are not strictly ascending')
      prev = id
      s.leaves.push([key, r.bytes(MAX_VALUE_BYTES)])
    }
    r.end()
    return s
  } catch (e) {
    if (e instanceof CodecError) throw new SnapshotError(`malformed snapshot: ${e.message}`)
    throw e
  }
}

/** Checks a decoded snapshot against the genesis (see the module comment). Throws SnapshotError. */
export function verifySnapshot(s: Snapshot, genesis: Genesis): void {
  const g = genesisBlock(genesis)
  if (s.chainId !== genesis.chainId || !bytesEqual(s.genesisHash, g.hash))
    throw new SnapshotError(
      `the snapshot is of chain ${s.chainId} with genesis ${toHex(s.genesisHash)}, not of this genesis (chain ${genesis.chainId}, ${toHex(g.hash)})`,
    )
  const block = decodeBlock(s.block)
  const h = block.header
  if (h.height !== s.height || h.chainId !== s.chainId || h.time !== s.time)
    throw new SnapshotError('the block in the snapshot is not the one at its height')
  if (!bytesEqual(blockHash(h), s.hash)) throw new SnapshotError('the block header does not hash to blockHash')
  if (!bytesEqual(h.stateRoot, s.stateRoot)) throw new SnapshotError('the block header carries another state root')
  if (s.height === 0n) {
    if (!bytesEqual(s.hash, g.hash)) throw new SnapshotError('a snapshot at height 0 must hold the genesis block')
  } else if (recoverSigner(s.hash, block.signature) !== genesis.sequencer)
    throw new SnapshotError('the block at the snapshot height is not signed by the genesis sequencer')
  if (!bytesEqual(txRoot(block.txs), h.txRoot)) throw new SnapshotError('the block txRoot does not match')
  const domainSep = domainSeparator(genesis.chainId)
  const hashes = block.txs.map((tx) => toHex(verifyBlockTx(domainSep, tx).tx.hash))
  let receipts: unknown
  try {
    receipts = JSON.parse(s.receipts)
  } catch {
    throw new SnapshotError('the receipts are not JSON')
  }
  if (
    !Array.isArray(receipts) ||
    receipts.length !== hashes.length ||
    receipts.some((r, i) => (r as { hash?: unknown }).hash !== hashes[i])
  )
    throw new SnapshotError("the receipts are not the block's")
  const root = SparseMerkleTree.fromLeaves(s.leaves, s.height).root
  if (!bytesEqual(root, s.stateRoot))
    throw new SnapshotError(`the leaves hash to ${toHex(root)}, not to the state root ${toHex(s.stateRoot)}`)
  try {
    stateFromLeaves(s.leaves)
  } catch (e) {
    throw new SnapshotError(`the leaves do not decode as state: ${e instanceof Error ? e.message : String(e)}`)
  }
}

export interface ExportResult {
  snapshot: Snapshot
  bytes: Uint8Array
  /** true when the state at the height was rebuilt by replaying blocks from genesis */
  replayed: boolean
}

/**
 * The snapshot at `height` (default: the head) of an open store. At the head, the stored leaves are used
 * (checked against the head's root). Below the head, only the current leaves are stored, so the state at
 * `height` is rebuilt by replaying the stored blocks 1..height from genesis in memory, each checked as a
 * validator would; that needs the whole history (not a store that was itself imported from a snapshot).
 * Blocks are immutable once written, so this also works on a store a running node is writing to.
 */
export async function exportSnapshot(store: ChainStore, genesis: Genesis, height?: bigint): Promise<ExportResult> {
  const head = store.head
  if (head === undefined) throw new SnapshotError('the store is empty: nothing to export')
  const target = height ?? head.height
  if (target > head.height) throw new SnapshotError(`height ${target} is above the head ${head.height}`)
  const g = genesisBlock(genesis)
  await store.checkGenesis(g.hash)
  const base = await store.base()
  if (target < base) throw new SnapshotError(`this store was imported at height ${base}; it has no state below it`)
  const snapshotAt = async (h: Head, leaves: [Uint8Array, Uint8Array][]): Promise<Snapshot> => {
    const block = await store.block(h.height)
    const receipts = await store.receipts(h.height)
    if (block === undefined || receipts === undefined)
      throw new SnapshotError(`block ${h.height} is missing from the store`)
    const { height, hash, stateRoot, time } = h
    return {
      chainId: genesis.chainId,
      genesisHash: g.hash,
      height,
      hash,
      stateRoot,
      time,
      block,
      leaves,
      receipts: JSON.stringify(receipts),
    }
  }
  // At the head: the stored leaves, if they hash to the head's root. A running node may commit between
  // reading its head and its leaves; without a requested height the head is then read again.
  let snapshot: Snapshot | undefined
  for (let attempt = 0; snapshot === undefined && attempt < (height === undefined ? 5 : 1); attempt++) {
    const h = store.head as Head
    if (h.height !== target && height !== undefined) break
    const leaves = (await store.leaves()).sort(([a], [b]) => Buffer.compare(a, b))
    if (bytesEqual(SparseMerkleTree.fromLeaves(leaves, h.height).root, h.stateRoot))
      snapshot = await snapshotAt(h, leaves)
  }
  const replayed = snapshot === undefined
  if (snapshot === undefined) {
    const replay = await replayStore(store, genesis, target)
    const at: Head = { height: replay.height, hash: replay.hash, stateRoot: replay.root(), time: replay.header.time }
    snapshot = await snapshotAt(at, replay.leaves())
  }
  verifySnapshot(snapshot, genesis)
  return { snapshot, bytes: encodeSnapshot(snapshot), replayed }
}

/** Whether a chain store directory holds anything (a missing directory holds nothing). */
export function storeDirIsEmpty(dir: string): boolean {
  try {
    return readdirSync(dir).length === 0
  } catch (e) {
    if ((e as { code?: string }).code === 'ENOENT') return true
    throw e
  }
}

/**
 * Makes a fresh chain store in `dir` from snapshot bytes: verifies them (verifySnapshot), then writes the
 * block and receipts at H, its tx index, every leaf, the head, the genesis binding and the base height in
 * one batch, and opens the result as a Chain (which recomputes the root from the stored leaves). Refuses a
 * store that already holds anything.
 */
export async function importSnapshot(dir: string, genesis: Genesis, bytes: Uint8Array): Promise<Snapshot> {
  const s = decodeSnapshot(bytes)
  verifySnapshot(s, genesis)
  // "empty" is judged by the store's keys, not its files: an import killed before its one batch leaves
  // LevelDB files but no keys, and may simply be run again
  const store = await ChainStore.open(dir)
  try {
    if (!(await store.isEmpty()))
      throw new SnapshotError(`the chain store ${dir} is not empty; import needs a fresh data directory`)
    await store.commit({
      head: { height: s.height, hash: s.hash, stateRoot: s.stateRoot, time: s.time },
      block: s.block,
      receipts: s.receipts,
      txHashes: (JSON.parse(s.receipts) as { hash: string }[]).map((r) => fromHex(r.hash)),
      leaves: s.leaves.map(([key, value]) => ({ key, value })),
      treeNodes: SparseMerkleTree.fromLeaves(s.leaves, s.height, { keepHeights: KEEP_HEIGHTS }).fullNodeWrites(),
      imported: { genesisHash: s.genesisHash },
    })
    await Chain.open(genesis, store)
  } finally {
    await store.close()
  }
  return s
}
