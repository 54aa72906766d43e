/**
 * @module The small byte arrays of one store batch (keys, index entries, short values) laid side by side in a
 * few large buffers, handed to LevelDB as views.
 *
 * Why: V8 keeps a typed array of up to 64 bytes inside its own heap, and LevelDB's binding reads an array's
 * bytes through N-API, which moves such an array out of the heap first: a malloc'd backing store, a new
 * ArrayBuffer object and a record the collector must sweep, for every key of a block (~14 per order), just
 * before the binding copies the bytes again. A view of a large buffer already lives outside the heap, so the
 * binding reads it as it is (so are the leaf values, written into an arena of their own: engine/leaves.ts).
 * Nothing is reused: each batch takes fresh buffers, so a view stays valid for as long as anything holds it,
 * whenever the binding copies it (bench/NOTES.md, ninth pass).
 */
import { ByteArena } from '../state/index.ts'
import type { KeySpace } from './dbKeys.ts'

/** Arrays of at most this many bytes may live inside V8's heap (its typed_array_max_size_in_heap). */
const IN_HEAP_MAX_BYTES = 64

/** A KeySpace (node/dbKeys.ts) for one batch's keys, and a place for its short values. */
export class BatchBytes extends ByteArena implements KeySpace {
  /**
   * `bytes` itself when it is surely outside V8's heap, else a copy outside it. Surely outside: too long for the
   * heap, or a view at an offset (only arrays made by length live in the heap, and they start at 0), such as a
   * leaf value from the block's arena. Not asked of `.buffer`: reading it moves an in-heap array out, the very
   * cost this avoids.
   */
  outsideHeap(bytes: Uint8Array): Uint8Array {
    if (bytes.length > IN_HEAP_MAX_BYTES || bytes.byteOffset !== 0) return bytes
    const out = this.reserve(bytes.length)
    out.set(bytes)
    return out
  }
}
