/**
 * @module The error table as the OpenRPC document publishes it: every code with its reason and a one-line
 * meaning (the long form is docs/rpc.md, Errors). Codes come from rpc/errors.ts; a reason missing here fails
 * test/unit/rpcOpenrpc.
 */
import { APP_ERRORS, PROTOCOL_ERRORS } from './errors.ts'

export const PROTOCOL_ERROR_TEXT: Readonly<Record<keyof typeof PROTOCOL_ERRORS, string>> = {
  parseError: 'body is not valid JSON',
  invalidRequest: 'not a JSON-RPC 2.0 request, an empty batch, or a batch over the limit',
  methodNotFound: 'unknown method (or one served on another transport)',
  invalidParams: 'wrong params; data.field names the parameter or field',
  internalError: 'internal error (details are logged on the node, never sent)',
}

/** Keyed by reason; a string key so the table may name reasons another part is adding at the same time. */
export const APP_ERROR_TEXT: Readonly<Record<string, string>> = {
  INVALID_SIGNATURE: 'not 65 bytes, v not in {0, 1, 27, 28}, high-s, or does not recover',
  UNAUTHORIZED: 'the signer is not the account (another key, or signed for another chain id)',
  ACCOUNT_NOT_FOUND: 'the subaccount holds nothing; no nonce is used',
  NONCE_REUSED: "the nonce is in the account's window, or pending in the mempool",
  NONCE_TOO_LOW: "below the account's window of the 64 highest used nonces",
  UNKNOWN_MARKET: 'no such market',
  MARKET_CLOSED: 'the market is not active',
  NOT_ON_TICK: 'price is not a multiple of the tick size',
  NOT_ON_LOT: 'size is not a multiple of the lot size',
  INVALID_SIZE: 'size zero, outside the order size bounds, or notional above the maximum',
  INVALID_PRICE: 'price is zero (or an oracle price is not positive)',
  POST_ONLY_WOULD_CROSS: 'a post-only order would trade',
  UNSUPPORTED_ORDER: 'unknown timeInForce, or postOnly without GTC',
  EXPIRED: 'expiresAt is not after the block time',
  REDUCE_ONLY_WOULD_INCREASE: "reduce-only order on a flat position or in the position's direction",
  DUPLICATE_CLIENT_ID: 'a resting order of yours in this market has this clientId',
  TOO_MANY_OPEN_ORDERS: '256 resting orders per subaccount',
  ORDER_NOT_FOUND: 'cancel names no resting order',
  TOO_MANY_AGENTS: 'the account already has 8 agents in force',
  INSUFFICIENT_MARGIN: 'equity after the order would be below its initial margin',
  POSITION_LIMIT: "the position would pass the market's maxPositionSize",
  OPEN_INTEREST_CAP: "the fills would raise open interest above the market's cap",
  ORACLE_STALE: "the market's oracle price is stale: only orders that reduce a position",
  ISOLATED_MARKET: 'an isolated subaccount already trades another market',
  INSUFFICIENT_COLLATERAL: 'a transfer or withdrawal would break the withdrawal rule or exceed the USDC held',
  LIQUIDATING: 'the subaccount has a live liquidation auction',
  AUCTION_NOT_FOUND: 'AuctionBid names no live auction',
  AUCTION_PRICE_BEYOND_LIMIT: "the auction's current price is beyond the bid's limitPrice",
  UNKNOWN_ORACLE_SIGNER: 'oracle report from a key not in genesis',
  STALE_ORACLE_REPORT: "report too old, too far ahead, or not newer than the signer's last",
  UNSUPPORTED_KIND: 'unknown kind, or a kind not enabled yet',
  INVALID_MESSAGE: 'a message field is missing, unknown or of the wrong type; data.field names it',
  DEPOSIT_OUT_OF_ORDER: 'a deposit system transaction out of L1 sequence order (in a receipt; never from the RPC)',
  ALREADY_KNOWN: 'the same transaction is already pending',
  MEMPOOL_FULL: 'the mempool holds its maximum number of transactions; retry later',
  RATE_LIMITED:
    'over a rate limit: the engine counts orders and cancels per window of blocks (data.reason only); the RPC ' +
    'counts requests per IP address and transactions per account (data.scope, data.retryAfterMs)',
  REQUEST_TOO_LARGE: 'request body over the limit (HTTP 413)',
  NODE_NOT_READY: 'the node cannot answer this now (e.g. the chain advanced while proving); try again',
  TOO_MANY_CONNECTIONS: 'WebSocket: connections from one IP address over the cap',
  TOO_MANY_SUBSCRIPTIONS: 'WebSocket: live subscriptions of one connection over the cap',
}

export interface ErrorEntry {
  code: number
  message: string
  data?: { reason: string }
}

/** Every error of the table, keyed by reason (application) or protocol name. */
export function errorTable(): Record<string, ErrorEntry> {
  const out: Record<string, ErrorEntry> = {}
  for (const [name, code] of Object.entries(PROTOCOL_ERRORS))
    out[name] = { code, message: PROTOCOL_ERROR_TEXT[name as keyof typeof PROTOCOL_ERRORS] }
  for (const [reason, code] of Object.entries(APP_ERRORS))
    out[reason] = { code, message: APP_ERROR_TEXT[reason] ?? reason, data: { reason } }
  return out
}
