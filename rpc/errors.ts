/**
 * @module The RPC's error table: every error a client can get, with a stable numeric code. Protocol errors use
 * the JSON-RPC 2.0 codes; application errors use 1000+ and carry `data: { reason, field? }` where `reason` is
 * the engine's reject code (or one of the node's own below). docs/rpc.md lists this table; change both together.
 */

export const PROTOCOL_ERRORS = {
  parseError: -32700,
  invalidRequest: -32600,
  methodNotFound: -32601,
  invalidParams: -32602,
  internalError: -32603,
} as const

/** reason → code. Codes are never reused. */
export const APP_ERRORS = {
  INVALID_SIGNATURE: 1001,
  UNAUTHORIZED: 1003,
  ACCOUNT_NOT_FOUND: 1004,
  NONCE_REUSED: 1010,
  NONCE_TOO_LOW: 1011,
  UNKNOWN_MARKET: 1020,
  MARKET_CLOSED: 1021,
  NOT_ON_TICK: 1022,
  NOT_ON_LOT: 1023,
  INVALID_SIZE: 1024,
  INVALID_PRICE: 1025,
  POST_ONLY_WOULD_CROSS: 1026,
  UNSUPPORTED_ORDER: 1027,
  EXPIRED: 1028,
  REDUCE_ONLY_WOULD_INCREASE: 1029,
  DUPLICATE_CLIENT_ID: 1030,
  TOO_MANY_OPEN_ORDERS: 1031,
  ORDER_NOT_FOUND: 1032,
  TOO_MANY_AGENTS: 1033,
  INSUFFICIENT_MARGIN: 1040,
  POSITION_LIMIT: 1041,
  OPEN_INTEREST_CAP: 1042,
  ORACLE_STALE: 1043,
  ISOLATED_MARKET: 1044,
  INSUFFICIENT_COLLATERAL: 1045,
  LIQUIDATING: 1046,
  AUCTION_NOT_FOUND: 1047,
  AUCTION_PRICE_BEYOND_LIMIT: 1048,
  UNKNOWN_ORACLE_SIGNER: 1050,
  STALE_ORACLE_REPORT: 1051,
  UNSUPPORTED_KIND: 1060,
  INVALID_MESSAGE: 1061,
  DEPOSIT_OUT_OF_ORDER: 1062,
  ALREADY_KNOWN: 1070,
  MEMPOOL_FULL: 1080,
  RATE_LIMITED: 1081,
  REQUEST_TOO_LARGE: 1082,
  NODE_NOT_READY: 1090,
  /** WebSocket (rpc/wsServer.ts): connections from one IP address over the cap */
  TOO_MANY_CONNECTIONS: 1100,
  /** WebSocket: perp_subscribe over the cap of live subscriptions per connection */
  TOO_MANY_SUBSCRIPTIONS: 1101,
} as const

export type AppErrorReason = keyof typeof APP_ERRORS

export class RpcError extends Error {
  override name = 'RpcError'
  readonly code: number
  readonly data: Record<string, unknown> | undefined
  constructor(code: number, message: string, data?: Record<string, unknown>) {
    super(message)
    this.code = code
    this.data = data
  }
}

export function appError(reason: AppErrorReason, message: string, field?: string): RpcError {
  return new RpcError(APP_ERRORS[reason], message, field === undefined ? { reason } : { reason, field })
}

export function invalidParams(message: string, field?: string): RpcError {
  return new RpcError(PROTOCOL_ERRORS.invalidParams, message, field === undefined ? undefined : { field })
}

export function isAppErrorReason(reason: string): reason is AppErrorReason {
  return reason in APP_ERRORS
}
