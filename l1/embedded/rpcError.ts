/**
 * @module Errors of the embedded L1's Ethereum JSON-RPC, shaped like an EIP-1193 ProviderRpcError: a numeric
 * `code` and optional `data`. The codes are the ones geth and anvil use, so viem maps them to its own error
 * classes and finds revert data in `data` to decode custom errors.
 *
 * The class extends viem's BaseError so that viem's `custom()` transport passes a code it has no class for
 * (3, execution reverted) through unchanged: a plain error would become viem's "unknown error", which viem
 * retries three times with backoff (about a second per reverted call).
 */

import { BaseError } from 'viem'

export const ETH_RPC_ERRORS = {
  parseError: -32700,
  invalidRequest: -32600,
  methodNotFound: -32601,
  invalidParams: -32602,
  internalError: -32603,
  /** a transaction or call the node refuses (nonce, balance, fee, gas) — geth's generic server error */
  rejected: -32000,
  /** a query over a limit (eth_getLogs range or result count) */
  limitExceeded: -32005,
  /** execution reverted; `data` holds the revert bytes (geth, anvil) */
  executionReverted: 3,
} as const

export class EthRpcError extends BaseError {
  override name = 'EthRpcError'
  readonly code: number
  readonly data: unknown

  /** `message` is the one-line message a JSON-RPC error carries (viem's `shortMessage`) */
  constructor(code: number, message: string, data?: unknown) {
    super(message)
    this.code = code
    this.data = data
  }
}

export function invalidParams(message: string): EthRpcError {
  return new EthRpcError(ETH_RPC_ERRORS.invalidParams, message)
}

export function rejected(message: string): EthRpcError {
  return new EthRpcError(ETH_RPC_ERRORS.rejected, message)
}
