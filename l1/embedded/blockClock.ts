/**
 * @module The L1 block clock: which timestamp (seconds) the next block gets.
 *
 * Rule: `max(previous + 1, wall clock seconds + offset)`, so time never stands still or goes back, and
 * tracks the wall clock when blocks are not faster than one a second. Two ways to move it on purpose:
 * - `increase(s)` (evm_increaseTime, and the API's increaseTime): the next block is stamped exactly `s` seconds
 *   after the latest block (several increases add up), so a test that waits out a challenge window gets exactly
 *   the window, whatever the wall clock did meanwhile;
 * - `setNext(t)` (evm_setNextBlockTimestamp): the next block is stamped exactly `t`.
 * After such a block the offset is reset so that later blocks continue from its time.
 *
 * `resumeAt(t)` sets the offset so the wall clock reads `t` now: a chain restored from its journal continues
 * from its last block's time instead of jumping by the time it was stopped (so a devnet left overnight does
 * not wake up past every deadline it had).
 */

import { invalidParams } from './rpcError.ts'

export class BlockClock {
  private readonly wallMs: () => number
  /** seconds added to the wall clock; negative after a resume */
  private offset = 0n
  /** seconds the next block lies after the latest, from increase() calls since the last block */
  private pendingIncrease = 0n
  private forcedNext: bigint | undefined

  constructor(wallMs: () => number = Date.now) {
    this.wallMs = wallMs
  }

  /** wall clock, whole seconds (rounded down) */
  private wallSeconds(): bigint {
    return BigInt(Math.floor(this.wallMs() / 1000))
  }

  /** The timestamp for a block on top of one stamped `previous`. Does not change the clock. */
  next(previous: bigint): bigint {
    if (this.forcedNext !== undefined) return this.forcedNext
    if (this.pendingIncrease > 0n) return previous + this.pendingIncrease
    const now = this.wallSeconds() + this.offset
    return now > previous ? now : previous + 1n
  }

  /** A block stamped `timestamp` (from `next`) was mined. */
  mined(timestamp: bigint): void {
    if (this.forcedNext !== undefined || this.pendingIncrease > 0n) this.offset = timestamp - this.wallSeconds()
    this.forcedNext = undefined
    this.pendingIncrease = 0n
  }

  /** Returns the total seconds the next block will lie after the latest one. */
  increase(seconds: bigint): bigint {
    if (seconds < 0n) throw invalidParams('seconds: must not be negative')
    this.forcedNext = undefined
    this.pendingIncrease += seconds
    return this.pendingIncrease
  }

  setNext(timestamp: bigint, latest: bigint): void {
    if (timestamp <= latest)
      throw invalidParams(`timestamp ${timestamp} is not after the latest block's timestamp ${latest}`)
    this.pendingIncrease = 0n
    this.forcedNext = timestamp
  }

  resumeAt(timestamp: bigint): void {
    this.offset = timestamp - this.wallSeconds()
  }
}
