/**
 * @module Binary form of a signed transaction, used inside blocks and gossip: kind byte (index in TX_KINDS),
 * then each field in its EIP-712 order (address 20 bytes, bool 1, uint8 1, uint32 4, uint64 8, uint256 32,
 * arrays as u32 count then items), then the 65-byte signature. Canonical: decode(encode(x)) = x and
 * trailing bytes are rejected.
 */
import { CodecError, fromHex, Reader, toHex, Writer } from '../state/index.ts'
import type { TxMessage } from './messages.ts'
import { MAX_ARRAY_ITEMS } from './messages.ts'
import type { FieldType, FieldValue, TypedField } from './typedData.ts'
import { EIP712_TYPES, PRIMARY_TYPE, TX_KINDS } from './typedData.ts'
import { internAddress } from './types.ts'

export const SIGNATURE_BYTES = 65

export type SignedTx = TxMessage & { signature: Uint8Array }

function writeField(w: Writer, type: FieldType, v: FieldValue): void {
  switch (type) {
    case 'address':
      w.hex(v as string, 20)
      return
    case 'bool':
      w.bool(v as boolean)
      return
    case 'uint8':
      w.u8(v as number)
      return
    case 'uint32':
      w.u32(v as number)
      return
    case 'uint64':
      w.u64(v as bigint)
      return
    case 'uint256':
      w.u256(v as bigint)
      return
    case 'uint32[]':
      w.u32((v as number[]).length)
      for (const x of v as number[]) w.u32(x)
      return
    case 'uint256[]':
      w.u32((v as bigint[]).length)
      for (const x of v as bigint[]) w.u256(x)
  }
}

function readField(r: Reader, type: FieldType): FieldValue {
  switch (type) {
    case 'address':
      return internAddress(toHex(r.fixed(20)))
    case 'bool':
      return r.bool()
    case 'uint8':
      return r.u8()
    case 'uint32':
      return r.u32()
    case 'uint64':
      return r.u64()
    case 'uint256':
      return r.u256()
    case 'uint32[]':
    case 'uint256[]': {
      const n = r.u32()
      if (n > MAX_ARRAY_ITEMS) throw new CodecError(`array of ${n} items over ${MAX_ARRAY_ITEMS}`)
      return type === 'uint32[]' ? Array.from({ length: n }, () => r.u32()) : Array.from({ length: n }, () => r.u256())
    }
  }
}

export function writeSignedTx(w: Writer, tx: SignedTx): void {
  w.u8(TX_KINDS.indexOf(tx.kind))
  const message = tx.message as unknown as Record<string, FieldValue>
  const fields = EIP712_TYPES[PRIMARY_TYPE[tx.kind]] ?? []
  // indexed: the array iterator's result objects were still allocated here, twice per transaction of a block
  for (let i = 0; i < fields.length; i++) {
    const f = fields[i] as TypedField
    writeField(w, f.type, message[f.name] as FieldValue)
  }
  w.fixed(tx.signature, SIGNATURE_BYTES)
}

export function readSignedTx(r: Reader): SignedTx {
  const index = r.u8()
  const kind = TX_KINDS[index]
  if (kind === undefined) throw new CodecError(`unknown transaction kind ${index}`)
  const message: Record<string, FieldValue> = {}
  for (const f of EIP712_TYPES[PRIMARY_TYPE[kind]] ?? []) message[f.name] = readField(r, f.type)
  if (kind === 'oracleReport' && (message.markets as number[]).length !== (message.prices as bigint[]).length)
    throw new CodecError('oracle report markets and prices differ in length')
  return { kind, message, signature: r.fixed(SIGNATURE_BYTES) } as unknown as SignedTx
}

/** Bytes of each fixed-size field type in the binary form (the module comment's table). */
const FIELD_BYTES: Record<Exclude<FieldType, 'uint32[]' | 'uint256[]'>, number> = {
  address: 20,
  bool: 1,
  uint8: 1,
  uint32: 4,
  uint64: 8,
  uint256: 32,
}

/** The exact length of encodeSignedTx(tx), so its Writer is sized once and handed out without a copy. */
export function encodedTxLength(tx: SignedTx): number {
  let n = 1 + SIGNATURE_BYTES
  const message = tx.message as unknown as Record<string, FieldValue>
  const fields = EIP712_TYPES[PRIMARY_TYPE[tx.kind]] ?? []
  for (let i = 0; i < fields.length; i++) {
    const f = fields[i] as TypedField
    if (f.type === 'uint32[]') n += 4 + 4 * (message[f.name] as number[]).length
    else if (f.type === 'uint256[]') n += 4 + 32 * (message[f.name] as bigint[]).length
    else n += FIELD_BYTES[f.type]
  }
  return n
}

export function encodeSignedTx(tx: SignedTx): Uint8Array {
  // an order is 186 bytes: a fixed 160-byte start grew the buffer to 320 and copied it twice
  const w = new Writer(encodedTxLength(tx))
  writeSignedTx(w, tx)
  return w.finish()
}

/**
 * Each transaction's encodeSignedTx, as views side by side in one buffer: a block's 2,000 encodings are one
 * allocation instead of 2,000 (each over 64 bytes, so each its own off-heap backing store: ~1 µs apiece to make,
 * and tracked by the collector until freed). The bytes are those of encodeSignedTx, tested.
 */
export function encodeSignedTxs(txs: readonly SignedTx[]): Uint8Array[] {
  const ends = new Array<number>(txs.length)
  let total = 0
  // indexed loops here and below: a block's loops run a few times a second, too rarely to be optimized, and
  // unoptimized for…of made an iterator result (and entries() a pair) per transaction
  for (let i = 0; i < txs.length; i++) {
    total += encodedTxLength(txs[i] as SignedTx)
    ends[i] = total
  }
  const w = new Writer(total)
  for (let i = 0; i < txs.length; i++) writeSignedTx(w, txs[i] as SignedTx)
  const all = w.finish()
  if (all.length !== total) throw new Error(`encoded ${all.length} bytes for transactions of ${total}`)
  return ends.map((end, i) => all.subarray(i === 0 ? 0 : (ends[i - 1] as number), end))
}

export function decodeSignedTx(bytes: Uint8Array): SignedTx {
  const r = new Reader(bytes)
  const tx = readSignedTx(r)
  r.end()
  return tx
}
