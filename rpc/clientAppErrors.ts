/**
 * @module One error class per entry of the application error table (rpc/errors.ts APP_ERRORS), made from the
 * table so the two never drift: `err instanceof InsufficientMarginError` and `err.reason === 'INSUFFICIENT_MARGIN'`
 * say the same. The class name is the reason in PascalCase plus `Error`. A reason added to the table gets a
 * class in `APP_ERROR_CLASSES` at once; its named export below is one line to add (test/unit/clientErrors.test.ts
 * fails until it is).
 */
import type { AppErrorOptions } from './clientErrors.ts'
import { AppError } from './clientErrors.ts'
import type { AppErrorReason } from './errors.ts'
import { APP_ERRORS } from './errors.ts'

export interface AppErrorClass<R extends AppErrorReason = AppErrorReason> {
  new (shortMessage: string, opts?: AppErrorOptions): AppError<R>
  readonly reason: R
  readonly code: number
}

/** 'INSUFFICIENT_MARGIN' → 'InsufficientMarginError' */
export function appErrorClassName(reason: string): string {
  return `${reason
    .toLowerCase()
    .split('_')
    .map((w) => `${w[0]?.toUpperCase() ?? ''}${w.slice(1)}`)
    .join('')}Error`
}

function appErrorClass<R extends AppErrorReason>(reason: R): AppErrorClass<R> {
  const code = APP_ERRORS[reason]
  const cls = class extends AppError<R> {
    static readonly reason = reason
    static readonly code = code
    constructor(shortMessage: string, opts: AppErrorOptions = {}) {
      super(reason, shortMessage, { ...opts, code })
    }
  }
  Object.defineProperty(cls, 'name', { value: appErrorClassName(reason) })
  return cls
}

/** reason → class, for every entry of the table. */
export const APP_ERROR_CLASSES = Object.fromEntries(
  (Object.keys(APP_ERRORS) as AppErrorReason[]).map((reason) => [reason, appErrorClass(reason)]),
) as { readonly [R in AppErrorReason]: AppErrorClass<R> }

/** The reason for a table code, or undefined for a code outside the table. */
export function appErrorReasonOf(code: number): AppErrorReason | undefined {
  return (Object.keys(APP_ERRORS) as AppErrorReason[]).find((r) => APP_ERRORS[r] === code)
}

export function isAppErrorReason(reason: unknown): reason is AppErrorReason {
  return typeof reason === 'string' && Object.hasOwn(APP_ERRORS, reason)
}

/** Builds the error of a table reason, e.g. `appError('NOT_ON_TICK', '…', { origin: 'client', field: 'price' })`. */
export function appError<R extends AppErrorReason>(
  reason: R,
  shortMessage: string,
  opts?: AppErrorOptions,
): AppError<R> {
  const cls = APP_ERROR_CLASSES[reason] as AppErrorClass<R>
  return new cls(shortMessage, opts)
}

export const InvalidSignatureError = APP_ERROR_CLASSES.INVALID_SIGNATURE
export type InvalidSignatureError = AppError<'INVALID_SIGNATURE'>
export const UnauthorizedError = APP_ERROR_CLASSES.UNAUTHORIZED
export type UnauthorizedError = AppError<'UNAUTHORIZED'>
export const AccountNotFoundError = APP_ERROR_CLASSES.ACCOUNT_NOT_FOUND
export type AccountNotFoundError = AppError<'ACCOUNT_NOT_FOUND'>
export const NonceReusedError = APP_ERROR_CLASSES.NONCE_REUSED
export type NonceReusedError = AppError<'NONCE_REUSED'>
export const NonceTooLowError = APP_ERROR_CLASSES.NONCE_TOO_LOW
export type NonceTooLowError = AppError<'NONCE_TOO_LOW'>
export const UnknownMarketError = APP_ERROR_CLASSES.UNKNOWN_MARKET
export type UnknownMarketError = AppError<'UNKNOWN_MARKET'>
export const MarketClosedError = APP_ERROR_CLASSES.MARKET_CLOSED
export type MarketClosedError = AppError<'MARKET_CLOSED'>
export const NotOnTickError = APP_ERROR_CLASSES.NOT_ON_TICK
export type NotOnTickError = AppError<'NOT_ON_TICK'>
export const NotOnLotError = APP_ERROR_CLASSES.NOT_ON_LOT
export type NotOnLotError = AppError<'NOT_ON_LOT'>
export const InvalidSizeError = APP_ERROR_CLASSES.INVALID_SIZE
export type InvalidSizeError = AppError<'INVALID_SIZE'>
export const InvalidPriceError = APP_ERROR_CLASSES.INVALID_PRICE
export type InvalidPriceError = AppError<'INVALID_PRICE'>
export const PostOnlyWouldCrossError = APP_ERROR_CLASSES.POST_ONLY_WOULD_CROSS
export type PostOnlyWouldCrossError = AppError<'POST_ONLY_WOULD_CROSS'>
export const UnsupportedOrderError = APP_ERROR_CLASSES.UNSUPPORTED_ORDER
export type UnsupportedOrderError = AppError<'UNSUPPORTED_ORDER'>
export const ExpiredError = APP_ERROR_CLASSES.EXPIRED
export type ExpiredError = AppError<'EXPIRED'>
export const ReduceOnlyWouldIncreaseError = APP_ERROR_CLASSES.REDUCE_ONLY_WOULD_INCREASE
export type ReduceOnlyWouldIncreaseError = AppError<'REDUCE_ONLY_WOULD_INCREASE'>
export const DuplicateClientIdError = APP_ERROR_CLASSES.DUPLICATE_CLIENT_ID
export type DuplicateClientIdError = AppError<'DUPLICATE_CLIENT_ID'>
export const TooManyOpenOrdersError = APP_ERROR_CLASSES.TOO_MANY_OPEN_ORDERS
export type TooManyOpenOrdersError = AppError<'TOO_MANY_OPEN_ORDERS'>
export const OrderNotFoundError = APP_ERROR_CLASSES.ORDER_NOT_FOUND
export type OrderNotFoundError = AppError<'ORDER_NOT_FOUND'>
export const TooManyAgentsError = APP_ERROR_CLASSES.TOO_MANY_AGENTS
export type TooManyAgentsError = AppError<'TOO_MANY_AGENTS'>
export const InsufficientMarginError = APP_ERROR_CLASSES.INSUFFICIENT_MARGIN
export type InsufficientMarginError = AppError<'INSUFFICIENT_MARGIN'>
export const PositionLimitError = APP_ERROR_CLASSES.POSITION_LIMIT
export type PositionLimitError = AppError<'POSITION_LIMIT'>
export const OpenInterestCapError = APP_ERROR_CLASSES.OPEN_INTEREST_CAP
export type OpenInterestCapError = AppError<'OPEN_INTEREST_CAP'>
export const OracleStaleError = APP_ERROR_CLASSES.ORACLE_STALE
export type OracleStaleError = AppError<'ORACLE_STALE'>
export const IsolatedMarketError = APP_ERROR_CLASSES.ISOLATED_MARKET
export type IsolatedMarketError = AppError<'ISOLATED_MARKET'>
export const InsufficientCollateralError = APP_ERROR_CLASSES.INSUFFICIENT_COLLATERAL
export type InsufficientCollateralError = AppError<'INSUFFICIENT_COLLATERAL'>
export const LiquidatingError = APP_ERROR_CLASSES.LIQUIDATING
export type LiquidatingError = AppError<'LIQUIDATING'>
export const AuctionNotFoundError = APP_ERROR_CLASSES.AUCTION_NOT_FOUND
export type AuctionNotFoundError = AppError<'AUCTION_NOT_FOUND'>
export const AuctionPriceBeyondLimitError = APP_ERROR_CLASSES.AUCTION_PRICE_BEYOND_LIMIT
export type AuctionPriceBeyondLimitError = AppError<'AUCTION_PRICE_BEYOND_LIMIT'>
export const UnknownOracleSignerError = APP_ERROR_CLASSES.UNKNOWN_ORACLE_SIGNER
export type UnknownOracleSignerError = AppError<'UNKNOWN_ORACLE_SIGNER'>
export const StaleOracleReportError = APP_ERROR_CLASSES.STALE_ORACLE_REPORT
export type StaleOracleReportError = AppError<'STALE_ORACLE_REPORT'>
export const UnsupportedKindError = APP_ERROR_CLASSES.UNSUPPORTED_KIND
export type UnsupportedKindError = AppError<'UNSUPPORTED_KIND'>
export const InvalidMessageError = APP_ERROR_CLASSES.INVALID_MESSAGE
export type InvalidMessageError = AppError<'INVALID_MESSAGE'>
export const DepositOutOfOrderError = APP_ERROR_CLASSES.DEPOSIT_OUT_OF_ORDER
export type DepositOutOfOrderError = AppError<'DEPOSIT_OUT_OF_ORDER'>
export const AlreadyKnownError = APP_ERROR_CLASSES.ALREADY_KNOWN
export type AlreadyKnownError = AppError<'ALREADY_KNOWN'>
export const MempoolFullError = APP_ERROR_CLASSES.MEMPOOL_FULL
export type MempoolFullError = AppError<'MEMPOOL_FULL'>
export const RateLimitedError = APP_ERROR_CLASSES.RATE_LIMITED
export type RateLimitedError = AppError<'RATE_LIMITED'>
export const RequestTooLargeError = APP_ERROR_CLASSES.REQUEST_TOO_LARGE
export type RequestTooLargeError = AppError<'REQUEST_TOO_LARGE'>
export const NodeNotReadyError = APP_ERROR_CLASSES.NODE_NOT_READY
export type NodeNotReadyError = AppError<'NODE_NOT_READY'>
export const TooManyConnectionsError = APP_ERROR_CLASSES.TOO_MANY_CONNECTIONS
export type TooManyConnectionsError = AppError<'TOO_MANY_CONNECTIONS'>
export const TooManySubscriptionsError = APP_ERROR_CLASSES.TOO_MANY_SUBSCRIPTIONS
export type TooManySubscriptionsError = AppError<'TOO_MANY_SUBSCRIPTIONS'>
