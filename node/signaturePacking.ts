/**
 * @module The wire form between the signature pool and its workers: fixed records of a 32-byte digest and a
 * 65-byte signature in one buffer. Items of any other length never travel (the pool answers them on the main
 * thread, through the same recoverSigner), so a record needs no length field.
 */
import type { Address } from '../engine/index.ts'

export const DIGEST_BYTES = 32
export const SIGNATURE_LENGTH = 65
export const RECORD_BYTES = DIGEST_BYTES + SIGNATURE_LENGTH
/** '0x' and 40 hex digits */
export const ADDRESS_CHARS = 42
export const BLANK_ADDRESS = ' '.repeat(ADDRESS_CHARS)

export interface RecoveryItem {
  digest: Uint8Array
  signature: Uint8Array
}

/** true when the item fits a record (the usual case); others are answered on the main thread */
export function packable(item: RecoveryItem): boolean {
  return item.digest.length === DIGEST_BYTES && item.signature.length === SIGNATURE_LENGTH
}

/** One buffer holding the records of `items[indexes[k]]`, in that order. */
export function packRecords(items: readonly RecoveryItem[], indexes: readonly number[]): ArrayBuffer {
  const out = new Uint8Array(indexes.length * RECORD_BYTES)
  for (let k = 0; k < indexes.length; k++) {
    const item = items[indexes[k] as number] as RecoveryItem
    out.set(item.digest, k * RECORD_BYTES)
    out.set(item.signature, k * RECORD_BYTES + DIGEST_BYTES)
  }
  return out.buffer
}

/** The k-th signer of a worker's answer string. */
export function addressAt(addresses: string, k: number): Address {
  return addresses.slice(k * ADDRESS_CHARS, (k + 1) * ADDRESS_CHARS) as Address
}
