/**
 * @module Waiting for a transaction to leave the mempool: poll perp_transaction until it is `included` or
 * `rejected`, or the time limit passes (TimeoutError). A rejected receipt is returned as it is, or thrown as its
 * typed error (origin `block`) with `throwOnReject`.
 */
import { appError, isAppErrorReason } from './clientAppErrors.ts'
import type { AppError } from './clientErrors.ts'
import { TimeoutError, UnknownRpcError } from './clientErrors.ts'
import type { FinalReceipt, Hex, Receipt } from './clientTypes.ts'

export interface WaitForOptions {
  /** ms; default 30,000 */
  timeoutMs?: number | undefined
  /** ms between polls; default 100 */
  pollMs?: number | undefined
  /** throw the receipt's error (e.g. InsufficientMarginError) instead of returning a rejected receipt */
  throwOnReject?: boolean | undefined
}

/** The typed error of a rejected receipt. */
export function receiptError(receipt: FinalReceipt): AppError | UnknownRpcError | undefined {
  if (receipt.status !== 'rejected') return undefined
  const reason = receipt.error?.reason
  const message = receipt.error?.message ?? 'rejected in its block'
  if (!isAppErrorReason(reason)) return new UnknownRpcError(`transaction ${receipt.hash}: ${message}`, 0, receipt.error)
  return appError(reason, message, {
    origin: 'block',
    hash: receipt.hash,
    details: `transaction ${receipt.hash} was included at height ${receipt.height} and rejected`,
  })
}

export async function waitForReceipt(
  read: (hash: Hex) => Promise<Receipt | null>,
  hash: Hex,
  opts: WaitForOptions = {},
): Promise<FinalReceipt> {
  const timeoutMs = opts.timeoutMs ?? 30_000
  const until = Date.now() + timeoutMs
  for (;;) {
    const receipt = await read(hash)
    if (receipt !== null && receipt.status !== 'pending') {
      const error = opts.throwOnReject === true ? receiptError(receipt) : undefined
      if (error !== undefined) throw error
      return receipt
    }
    if (Date.now() >= until)
      throw new TimeoutError(`waiting for ${hash}`, timeoutMs, {
        details: receipt === null ? 'the node does not know the transaction' : 'still pending',
      })
    await new Promise((resolve) => setTimeout(resolve, opts.pollMs ?? 100))
  }
}
