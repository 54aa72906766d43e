/**
 * @module What a catching-up validator prints: a progress line at most every PROGRESS_MS (height, target,
 * blocks/s, ETA) and, at the end, one `caught up` summary for the whole catch-up, however many sync calls it took
 * (a peer's answer cut short, a tick's retry). Blocks/s is over wall-clock seconds since the catch-up began.
 */

/** ms between two progress lines */
export const PROGRESS_MS = 2_000
/** blocks: a catch-up at least this long is always summarized (a one-block gap filled while following is not) */
const SUMMARY_BLOCKS = 64n

export class SyncProgress {
  /** the highest height seen signed by the sequencer (gossip or sync): what a catching-up node aims for */
  target = 0n
  readonly #now: () => number
  readonly #log: (msg: string) => void
  #catchUp: { startedAt: number; startHeight: bigint } | undefined
  #lastLineAt = 0

  constructor(now: () => number, log: (msg: string) => void) {
    this.#now = now
    this.#log = log
  }

  /** Raises the target to `height` if it is higher. */
  saw(height: bigint): void {
    if (height > this.target) this.target = height
  }

  /** A sync call begins at `head` (continuing the catch-up already under way, if any). */
  begin(head: bigint): void {
    this.#catchUp ??= { startedAt: this.#now(), startHeight: head }
    this.#lastLineAt = this.#now()
  }

  /** One progress line, unless one was printed less than PROGRESS_MS ago. */
  line(head: bigint): void {
    const c = this.#catchUp
    const now = this.#now()
    if (c === undefined || now - this.#lastLineAt < PROGRESS_MS) return
    this.#lastLineAt = now
    const rate = Number(head - c.startHeight) / Math.max((now - c.startedAt) / 1000, 0.001)
    const left = this.target > head ? Number(this.target - head) : 0
    const eta = rate > 0 && left > 0 ? `, ETA ${Math.ceil(left / rate)} s` : ''
    const of = this.target > head ? ` of ${this.target}` : ''
    this.#log(`sync: height ${head}${of}, ${rate.toFixed(0)} blocks/s${eta}`)
  }

  /** The peer had nothing past `head`: the catch-up is over; summarized if it was worth reporting. */
  end(head: bigint): void {
    const c = this.#catchUp
    if (c === undefined) return
    this.#catchUp = undefined
    const done = head - c.startHeight
    const ms = this.#now() - c.startedAt
    if (done >= SUMMARY_BLOCKS || (done > 0n && ms >= PROGRESS_MS))
      this.#log(`sync: caught up to height ${head}: ${done} blocks in ${(ms / 1000).toFixed(1)} s`)
  }
}
