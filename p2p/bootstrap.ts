/**
 * @module Keeps this node connected to its --bootstrap peers. Each address is dialed at start; a failed dial
 * is retried after 1 s, doubling up to 5 s; a disconnect from a bootstrap peer restarts the cycle at 1 s.
 * While connected, the connection is re-checked every 5 s as a safety net. Start never waits for, nor fails
 * on, these dials (the sequencer may come up after its validators).
 */

import type { Libp2p, PeerId } from '@libp2p/interface'
import { peerIdFromString } from '@libp2p/peer-id'
import type { Multiaddr } from '@multiformats/multiaddr'
import { multiaddr } from '@multiformats/multiaddr'

/** ms: first retry delay after a failed dial or a disconnect. */
const RETRY_INITIAL_MS = 1_000
/** ms: retry delay cap. */
const RETRY_MAX_MS = 5_000
/** ms: period of the "still connected?" check. */
const CONNECTED_CHECK_MS = 5_000

interface Target {
  addr: Multiaddr
  /** Known from the /p2p/ component, or learned from the first successful dial. */
  peerId: string | undefined
  delay: number
  timer: ReturnType<typeof setTimeout> | undefined
}

export class Bootstrapper {
  readonly #libp2p: Libp2p
  readonly #targets: Target[]
  readonly #log: (msg: string) => void
  readonly #abort = new AbortController()
  readonly #onDisconnect = (evt: CustomEvent<PeerId>): void => {
    const id = evt.detail.toString()
    for (const t of this.#targets) {
      if (t.peerId === id) {
        t.delay = RETRY_INITIAL_MS
        this.#schedule(t, RETRY_INITIAL_MS)
      }
    }
  }

  constructor(libp2p: Libp2p, addrs: string[], log: (msg: string) => void) {
    this.#libp2p = libp2p
    this.#log = log
    const self = libp2p.peerId.toString()
    this.#targets = []
    for (const a of addrs) {
      const addr = multiaddr(a) // throws on a malformed address: a config error worth failing start for
      const peerId = addr.getComponents().findLast((c) => c.name === 'p2p')?.value
      if (peerId === self) continue // one shared bootstrap list may include the node itself
      this.#targets.push({ addr, peerId, delay: RETRY_INITIAL_MS, timer: undefined })
    }
  }

  start(): void {
    this.#libp2p.addEventListener('peer:disconnect', this.#onDisconnect)
    for (const t of this.#targets) void this.#attempt(t)
  }

  stop(): void {
    this.#abort.abort(new Error('p2p stopped'))
    this.#libp2p.removeEventListener('peer:disconnect', this.#onDisconnect)
    for (const t of this.#targets) {
      clearTimeout(t.timer)
      t.timer = undefined
    }
  }

  #schedule(t: Target, ms: number): void {
    if (this.#abort.signal.aborted) return
    clearTimeout(t.timer)
    t.timer = setTimeout(() => {
      t.timer = undefined
      void this.#attempt(t)
    }, ms)
  }

  async #attempt(t: Target): Promise<void> {
    if (this.#abort.signal.aborted) return
    if (t.peerId !== undefined && this.#libp2p.getConnections(peerIdFromString(t.peerId)).length > 0) {
      this.#schedule(t, CONNECTED_CHECK_MS)
      return
    }
    try {
      const conn = await this.#libp2p.dial(t.addr, { signal: this.#abort.signal })
      t.peerId = conn.remotePeer.toString()
      t.delay = RETRY_INITIAL_MS
      this.#log(`bootstrap: connected to ${t.addr.toString()}`)
      this.#schedule(t, CONNECTED_CHECK_MS)
    } catch (err) {
      if (this.#abort.signal.aborted) return
      this.#log(`bootstrap: dial ${t.addr.toString()} failed (${(err as Error).message}), retry in ${t.delay} ms`)
      this.#schedule(t, t.delay)
      t.delay = Math.min(t.delay * 2, RETRY_MAX_MS)
    }
  }
}
