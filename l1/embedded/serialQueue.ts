/**
 * @module A queue that runs async jobs one at a time in arrival order: the embedded L1 executes transactions,
 * mines blocks and reads state through one, so concurrent callers never interleave inside the VM.
 */

export class SerialQueue {
  private tail: Promise<unknown> = Promise.resolve()
  private waiting = 0

  /** jobs queued or running */
  get length(): number {
    return this.waiting
  }

  run<T>(job: () => Promise<T>): Promise<T> {
    this.waiting++
    const result = this.tail.then(job).finally(() => {
      this.waiting--
    })
    // a failed job fails its own caller only; the next job still runs
    this.tail = result.catch(() => undefined)
    return result
  }

  /** Resolves when every job queued so far has finished. */
  async drain(): Promise<void> {
    await this.tail
  }
}
