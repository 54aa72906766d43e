/**
 * @module The small byte arrays of one store batch (keys, index entries, short values) laid side by side in a
 * few large buffers, handed to LevelDB as views.
 *
 * Why: V8 keeps a typed array of up to 64 bytes inside its own heap, and LevelDB's binding reads an array's
 * bytes through N-API, which moves such an array out of the heap first: a malloc'd backing store, a new
 * ArrayBuffer object and a record the collector must sweep, for every key of a block (~14 per order), just
 * before the binding copies the bytes again. A view of a large buffer already lives outside the heap, so the
 * binding reads it as it is. Nothing is reused: each batch takes fresh buffers, so a view stays valid for as long
 * as anything holds it, whenever the binding copies it (bench/NOTES.md, ninth pass).
 */
import type { KeySpace } from './dbKeys.ts'

/** Bytes per buffer: one block's keys (~18,000 of ~20–45 bytes) fit in a few. */
const CHUNK_BYTES = 256 * 1024

/** Arrays of at most this many bytes may live inside V8's heap (its typed_array_max_size_in_heap). */
const IN_HEAP_MAX_BYTES = 64

/** A KeySpace (node/dbKeys.ts) for one batch's keys, and a place for its short values. */
export class BatchBytes implements KeySpace {
  #chunk = new Uint8Array(0)
  #at = 0

  /** `length` fresh bytes (zero) in the current buffer, or a new one when it is full. */
  reserve(length: number): Uint8Array {
    if (this.#at + length > this.#chunk.length) {
      this.#chunk = new Uint8Array(Math.max(CHUNK_BYTES, length))
      this.#at = 0
    }
    const view = this.#chunk.subarray(this.#at, this.#at + length)
    this.#at += length
    return view
  }

  /** `bytes` itself when it is too long to live in V8's heap, else a copy outside it. */
  outsideHeap(bytes: Uint8Array): Uint8Array {
    if (bytes.length > IN_HEAP_MAX_BYTES) return bytes
    const out = this.reserve(bytes.length)
    out.set(bytes)
    return out
  }
}
