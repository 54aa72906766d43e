/**
 * @module Exact-length reads over a libp2p v3 stream. v3 streams are event targets ('message' events carry
 * arbitrary chunks); protocols need "give me exactly n bytes", so this buffers chunks and hands out slices.
 *
 * Listeners are attached in the constructor (before anything is awaited) so no chunk is missed; EOF is the
 * stream's 'end' event (fired only after buffered data was delivered), errors come from 'close' with an error
 * (remote reset, local abort, transport failure).
 */
import type { Stream } from '@libp2p/interface'

export class StreamReader {
  readonly #chunks: Uint8Array[] = []
  #buffered = 0
  #ended = false
  #error: Error | undefined
  #wake: (() => void) | undefined

  constructor(stream: Stream) {
    stream.addEventListener('message', (evt) => {
      const data = evt.data.subarray()
      if (data.length === 0) return
      this.#chunks.push(data)
      this.#buffered += data.length
      this.#notify()
    })
    stream.addEventListener('end', () => {
      this.#ended = true
      this.#notify()
    })
    stream.addEventListener('close', (evt) => {
      if (evt.error !== undefined) this.#error = evt.error
      // A clean close with nothing left in libp2p's read buffer is EOF; otherwise 'end' follows the last chunk.
      else if (stream.readBufferLength === 0) this.#ended = true
      this.#notify()
    })
    if (stream.readableEnded) this.#ended = true
  }

  /** Bytes currently buffered and not yet read. */
  get buffered(): number {
    return this.#buffered
  }

  /**
   * Exactly n bytes. Resolves null if the stream ended cleanly with nothing buffered and `eofOk`;
   * throws on an error, or on EOF in the middle of the requested bytes.
   */
  async read(n: number, eofOk = false): Promise<Uint8Array | null> {
    while (this.#buffered < n) {
      if (this.#error !== undefined) throw this.#error
      if (this.#ended) {
        if (eofOk && this.#buffered === 0) return null
        throw new Error(`stream ended after ${this.#buffered} of ${n} bytes`)
      }
      await new Promise<void>((resolve) => {
        this.#wake = resolve
      })
    }
    if (this.#error !== undefined) throw this.#error
    return this.#take(n)
  }

  #take(n: number): Uint8Array {
    // Always copy: chunks may be views into transport buffers, and callers keep the result.
    const out = new Uint8Array(n)
    let at = 0
    while (at < n) {
      const head = this.#chunks[0]
      if (head === undefined) throw new Error('stream reader: buffer underflow')
      const want = n - at
      if (head.length <= want) {
        out.set(head, at)
        at += head.length
        this.#chunks.shift()
      } else {
        out.set(head.subarray(0, want), at)
        at += want
        this.#chunks[0] = head.subarray(want)
      }
    }
    this.#buffered -= n
    return out
  }

  #notify(): void {
    const wake = this.#wake
    this.#wake = undefined
    wake?.()
  }
}
