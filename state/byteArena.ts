/**
 * @module Many short byte arrays laid side by side in a few large buffers, handed out as views.
 *
 * Why: a typed array of more than 64 bytes gets a malloc'd backing store of its own (an ArrayBuffer object, a
 * backing-store record and an entry the collector sweeps), where a view of a large buffer costs one small object.
 * And V8 keeps an array of up to 64 bytes inside its heap, which LevelDB's binding must move out before it reads
 * it; a view of a large buffer already lives outside (bench/NOTES.md, ninth and eleventh passes).
 *
 * Nothing is reused: a full buffer is left to its views and a fresh one is taken, so a view stays valid for as
 * long as anything holds it. The price is that one view kept for long keeps its whole buffer alive: give an arena
 * only to values that live and die together (one block's leaf values, one batch's keys).
 */

/** Bytes per buffer: a block's leaf values (~2,000–3,000 of 100–532 bytes), or its store keys (~18,000 of 20–45), fit in a few. */
const CHUNK_BYTES = 256 * 1024

export class ByteArena {
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

  /**
   * The first `used` bytes of `view`, a reservation of this arena; when it was the last one, the rest is given
   * back for the next. (An earlier reservation keeps its whole length: a few bytes lost, nothing wrong.)
   */
  trim(view: Uint8Array, used: number): Uint8Array {
    const end = view.byteOffset + view.length
    if (view.buffer === this.#chunk.buffer && end === this.#chunk.byteOffset + this.#at) this.#at -= view.length - used
    return view.subarray(0, used)
  }
}
