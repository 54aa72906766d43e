/**
 * @module Rejection reasons. A transaction that fails gets a receipt with one of these stable codes; the RPC
 * maps each to a numeric JSON-RPC error code in its own table (rpc/errors.ts). Codes are never renamed or
 * reused; add new ones at the end.
 */

export const REJECT = {
  invalidMessage: 'INVALID_MESSAGE',
  invalidSignature: 'INVALID_SIGNATURE',
  unauthorized: 'UNAUTHORIZED',
  nonceReused: 'NONCE_REUSED',
  nonceTooLow: 'NONCE_TOO_LOW',
  unknownMarket: 'UNKNOWN_MARKET',
  marketClosed: 'MARKET_CLOSED',
  notOnTick: 'NOT_ON_TICK',
  notOnLot: 'NOT_ON_LOT',
  invalidSize: 'INVALID_SIZE',
  invalidPrice: 'INVALID_PRICE',
  postOnlyWouldCross: 'POST_ONLY_WOULD_CROSS',
  unsupportedOrder: 'UNSUPPORTED_ORDER',
  expired: 'EXPIRED',
  insufficientMargin: 'INSUFFICIENT_MARGIN',
  tooManyOpenOrders: 'TOO_MANY_OPEN_ORDERS',
  duplicateClientId: 'DUPLICATE_CLIENT_ID',
  orderNotFound: 'ORDER_NOT_FOUND',
  unknownOracleSigner: 'UNKNOWN_ORACLE_SIGNER',
  staleOracleReport: 'STALE_ORACLE_REPORT',
  unsupportedKind: 'UNSUPPORTED_KIND',
  reduceOnlyWouldIncrease: 'REDUCE_ONLY_WOULD_INCREASE',
  accountNotFound: 'ACCOUNT_NOT_FOUND',
  positionLimit: 'POSITION_LIMIT',
  openInterestCap: 'OPEN_INTEREST_CAP',
  rateLimited: 'RATE_LIMITED',
  oracleStale: 'ORACLE_STALE',
  isolatedMarket: 'ISOLATED_MARKET',
  insufficientCollateral: 'INSUFFICIENT_COLLATERAL',
  liquidating: 'LIQUIDATING',
  auctionNotFound: 'AUCTION_NOT_FOUND',
  auctionPriceBeyondLimit: 'AUCTION_PRICE_BEYOND_LIMIT',
  depositOutOfOrder: 'DEPOSIT_OUT_OF_ORDER',
  tooManyAgents: 'TOO_MANY_AGENTS',
} as const

export type RejectCode = (typeof REJECT)[keyof typeof REJECT]

/**
 * Thrown inside a transaction handler before any write; applyBlock turns it into a failed receipt. A rejection
 * is an expected outcome, not a bug: no stack trace is captured (it cost as much as a margin check).
 */
export class TxRejected extends Error {
  override name = 'TxRejected'
  readonly code: RejectCode
  constructor(code: RejectCode, message: string) {
    const limit = Error.stackTraceLimit
    Error.stackTraceLimit = 0
    super(message)
    Error.stackTraceLimit = limit
    this.code = code
  }
}

/** A broken invariant: the block stops and nothing of it is committed. */
export class InvariantViolation extends Error {
  override name = 'InvariantViolation'
}

export function reject(code: RejectCode, message: string): never {
  throw new TxRejected(code, message)
}
