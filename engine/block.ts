/**
 * @module Blocks: header fields, hashes and the canonical binary form.
 *
 * blockHash = keccak256(encodeHeader(header)); the sequencer signs blockHash (65-byte secp256k1, r‖s‖v).
 * txRoot    = merkleRoot(keccak256(encodeSignedTx(tx)) for each tx in block order).
 * stateRoot = the state's Merkle root after applying the block.
 */
import { fromHex, keccak256, merkleRootOfItems, Reader, toHex, Writer } from '../state/index.ts'
import type { Address } from './messages.ts'
import type { SignedTx } from './txCodec.ts'
import { encodeSignedTxs, readSignedTx, SIGNATURE_BYTES, writeSignedTx } from './txCodec.ts'

/** u64 chainId, u64 height, 32 parentHash, u64 time, 20 proposer, 32 txRoot, 32 stateRoot */
export const HEADER_BYTES = 140

export interface BlockHeader {
  chainId: number
  height: bigint
  parentHash: Uint8Array
  /** ms, monotonic */
  time: bigint
  proposer: Address
  txRoot: Uint8Array
  stateRoot: Uint8Array
}

export interface Block {
  header: BlockHeader
  txs: SignedTx[]
  /** sequencer's signature over blockHash(header); empty for the genesis block */
  signature: Uint8Array
}

export function encodeHeader(h: BlockHeader): Uint8Array {
  return new Writer(HEADER_BYTES)
    .u64(BigInt(h.chainId))
    .u64(h.height)
    .fixed(h.parentHash, 32)
    .u64(h.time)
    .hex(h.proposer, 20)
    .fixed(h.txRoot, 32)
    .fixed(h.stateRoot, 32)
    .finish()
}

function readHeader(r: Reader): BlockHeader {
  return {
    chainId: Number(r.u64()),
    height: r.u64(),
    parentHash: r.fixed(32),
    time: r.u64(),
    proposer: toHex(r.fixed(20)),
    txRoot: r.fixed(32),
    stateRoot: r.fixed(32),
  }
}

export function blockHash(h: BlockHeader): Uint8Array {
  return keccak256(encodeHeader(h))
}

export function txRoot(txs: readonly SignedTx[]): Uint8Array {
  return txRootOfEncoded(encodeSignedTxs(txs))
}

/** txRoot from the transactions' canonical encodings (encodeSignedTx), for a caller that has them already. */
export function txRootOfEncoded(encoded: readonly Uint8Array[]): Uint8Array {
  return merkleRootOfItems(encoded)
}

/**
 * The block's canonical bytes. `encodedTxs`: each transaction's encodeSignedTx, in block order, when the caller
 * has them (the sequencer encodes each once for txRoot): copied instead of encoded again; the bytes are the same.
 */
export function encodeBlock(b: Block, encodedTxs?: readonly Uint8Array[]): Uint8Array {
  if (encodedTxs !== undefined && encodedTxs.length !== b.txs.length)
    throw new Error(`${encodedTxs.length} encoded transactions for a block of ${b.txs.length}`)
  let txBytes = 0
  // indexed: a per-block loop stays unoptimized, where for…of makes an iterator result per transaction
  if (encodedTxs !== undefined)
    for (let i = 0; i < encodedTxs.length; i++) txBytes += (encodedTxs[i] as Uint8Array).length
  const w = new Writer(256 + (encodedTxs === undefined ? b.txs.length * 200 : txBytes))
  w.fixed(encodeHeader(b.header), HEADER_BYTES)
  w.u32(b.txs.length)
  if (encodedTxs === undefined) for (const tx of b.txs) writeSignedTx(w, tx)
  else
    for (let i = 0; i < encodedTxs.length; i++) {
      const e = encodedTxs[i] as Uint8Array
      w.fixed(e, e.length)
    }
  w.bytes(b.signature)
  return w.finish()
}

/** Decodes and checks the shape; `maxTxs` bounds allocation from a hostile length prefix. */
export function decodeBlock(bytes: Uint8Array, maxTxs = 100_000): Block {
  const r = new Reader(bytes)
  const header = readHeader(r)
  const n = r.u32()
  if (n > maxTxs) throw new Error(`block has ${n} transactions, over ${maxTxs}`)
  const txs: SignedTx[] = []
  for (let i = 0; i < n; i++) txs.push(readSignedTx(r))
  const signature = r.bytes(SIGNATURE_BYTES)
  r.end()
  return { header, txs, signature }
}
