/**
 * @module The client SDK's errors, viem style: one base class `PerpdError` with `shortMessage`, `details`,
 * `code`, `reason`, `field` and `cause`, and one subclass per failure the client can meet:
 * - application errors (`AppError`, one class per entry of rpc/errors.ts APP_ERRORS, made in clientAppErrors.ts),
 *   raised when the node refuses a request, when a receipt says `rejected`, or when the client sees the same
 *   mistake before sending (a price off tick) — `origin` tells which;
 * - JSON-RPC protocol errors (`ProtocolError`, one class per PROTOCOL_ERRORS entry);
 * - transport errors: `HttpRequestError` (no answer, or an HTTP status without a JSON-RPC body), `TimeoutError`,
 *   `InvalidResponseError`;
 * - client-side input errors: `InvalidDecimalError`, `TooManyDecimalsError`, `SignerError`.
 *
 * The reason names come from the error table itself, so a code added to rpc/errors.ts is known here at once.
 */
import type { AppErrorReason } from './errors.ts'
import { PROTOCOL_ERRORS } from './errors.ts'

type ProtocolKey = keyof typeof PROTOCOL_ERRORS
/** 'methodNotFound' → 'METHOD_NOT_FOUND' */
type ScreamingSnake<S extends string> = S extends `${infer H}${infer T}`
  ? H extends Lowercase<H>
    ? `${Uppercase<H>}${ScreamingSnake<T>}`
    : `_${H}${ScreamingSnake<T>}`
  : S
export type ProtocolErrorReason = ScreamingSnake<ProtocolKey>
export type TransportErrorReason = 'HTTP_ERROR' | 'TIMEOUT' | 'INVALID_RESPONSE' | 'UNKNOWN_RPC_ERROR'
export type ClientErrorReason = 'INVALID_DECIMAL' | 'TOO_MANY_DECIMALS' | 'SIGNER'
/** Every `reason` a PerpdError can carry. */
export type PerpdErrorReason = AppErrorReason | ProtocolErrorReason | TransportErrorReason | ClientErrorReason

export function protocolReason(key: ProtocolKey): ProtocolErrorReason {
  return key.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase() as ProtocolErrorReason
}

export interface PerpdErrorOptions {
  /** longer explanation: what the node said, or what the client checked */
  details?: string | undefined
  /** JSON-RPC error code (application codes from rpc/errors.ts, or -32xxx) */
  code?: number | undefined
  /** the message field or RPC parameter at fault */
  field?: string | undefined
  cause?: unknown
}

const SDK = 'perpd/client'

export class PerpdError<R extends PerpdErrorReason = PerpdErrorReason> extends Error {
  override name = 'PerpdError'
  /** one line, without the details */
  readonly shortMessage: string
  readonly details: string | undefined
  readonly code: number | undefined
  readonly reason: R
  readonly field: string | undefined

  constructor(reason: R, shortMessage: string, opts: PerpdErrorOptions = {}) {
    const lines = [shortMessage, '']
    lines.push(opts.code === undefined ? `Reason: ${reason}` : `Reason: ${reason} (code ${opts.code})`)
    if (opts.field !== undefined) lines.push(`Field: ${opts.field}`)
    if (opts.details !== undefined && opts.details !== shortMessage) lines.push(`Details: ${opts.details}`)
    lines.push(`Version: ${SDK}`)
    super(lines.join('\n'), opts.cause === undefined ? undefined : { cause: opts.cause })
    this.shortMessage = shortMessage
    this.details = opts.details
    this.code = opts.code
    this.reason = reason
    this.field = opts.field
  }
}

/**
 * Where an application error was found: `client` before sending, `node` at admission (perp_sendTransaction
 * answered an error), `block` when the transaction was included but rejected (its receipt).
 */
export type AppErrorOrigin = 'client' | 'node' | 'block'

export interface AppErrorOptions extends PerpdErrorOptions {
  origin?: AppErrorOrigin
  /** the transaction's hash, when it has one (origin `block`) */
  hash?: string | undefined
}

/** An entry of the application error table. Subclasses per reason: clientAppErrors.ts. */
export class AppError<R extends AppErrorReason = AppErrorReason> extends PerpdError<R> {
  override name = 'AppError'
  readonly origin: AppErrorOrigin
  readonly hash: string | undefined
  constructor(reason: R, shortMessage: string, opts: AppErrorOptions = {}) {
    super(reason, shortMessage, opts)
    // the per-reason subclasses are made by a factory and named there; the instance takes the class's name
    this.name = new.target.name
    this.origin = opts.origin ?? 'node'
    this.hash = opts.hash
  }
}

/** A JSON-RPC 2.0 protocol error (-32700 … -32603). `-32602` names the parameter in `field`. */
export class ProtocolError<R extends ProtocolErrorReason = ProtocolErrorReason> extends PerpdError<R> {
  override name = 'ProtocolError'
  constructor(reason: R, shortMessage: string, opts: PerpdErrorOptions = {}) {
    super(reason, shortMessage, opts)
    this.name = new.target.name
  }
}

export interface ProtocolErrorClass<R extends ProtocolErrorReason = ProtocolErrorReason> {
  new (shortMessage: string, opts?: PerpdErrorOptions): ProtocolError<R>
  readonly reason: R
  readonly code: number
}

function protocolClass(key: ProtocolKey): ProtocolErrorClass {
  const reason = protocolReason(key)
  const code: number = PROTOCOL_ERRORS[key]
  const cls = class extends ProtocolError {
    static readonly reason = reason
    static readonly code = code
    constructor(shortMessage: string, opts: PerpdErrorOptions = {}) {
      super(reason, shortMessage, { ...opts, code })
    }
  }
  // parseError → ParseError, invalidParams → InvalidParamsError
  Object.defineProperty(cls, 'name', { value: `${key[0]?.toUpperCase()}${key.slice(1).replace(/Error$/, '')}Error` })
  return cls
}

/** One class per PROTOCOL_ERRORS entry, made from the table. */
const PROTOCOL_CLASSES = Object.fromEntries(
  (Object.keys(PROTOCOL_ERRORS) as ProtocolKey[]).map((key) => [key, protocolClass(key)]),
) as { readonly [K in ProtocolKey]: ProtocolErrorClass<ScreamingSnake<K>> }

/** The class for a JSON-RPC protocol error code, or undefined for a code outside the table. */
export function protocolErrorClass(code: number): ProtocolErrorClass | undefined {
  return Object.values(PROTOCOL_CLASSES).find((c) => c.code === code)
}

export const ParseError = PROTOCOL_CLASSES.parseError
export type ParseError = ProtocolError<'PARSE_ERROR'>
export const InvalidRequestError = PROTOCOL_CLASSES.invalidRequest
export type InvalidRequestError = ProtocolError<'INVALID_REQUEST'>
export const MethodNotFoundError = PROTOCOL_CLASSES.methodNotFound
export type MethodNotFoundError = ProtocolError<'METHOD_NOT_FOUND'>
export const InvalidParamsError = PROTOCOL_CLASSES.invalidParams
export type InvalidParamsError = ProtocolError<'INVALID_PARAMS'>
export const InternalError = PROTOCOL_CLASSES.internalError
export type InternalError = ProtocolError<'INTERNAL_ERROR'>

/** No HTTP answer (connection refused, reset), or an HTTP error status without a JSON-RPC body. */
export class HttpRequestError extends PerpdError<'HTTP_ERROR'> {
  override name = 'HttpRequestError'
  /** HTTP status; undefined when no response arrived */
  readonly status: number | undefined
  readonly url: string
  constructor(url: string, status: number | undefined, opts: PerpdErrorOptions = {}) {
    super('HTTP_ERROR', status === undefined ? `HTTP request to ${url} failed` : `HTTP ${status} from ${url}`, opts)
    this.status = status
    this.url = url
  }
}

/** A request (or `waitFor`) took longer than its time limit. */
export class TimeoutError extends PerpdError<'TIMEOUT'> {
  override name = 'TimeoutError'
  /** ms */
  readonly timeoutMs: number
  constructor(what: string, timeoutMs: number, opts: PerpdErrorOptions = {}) {
    super('TIMEOUT', `${what} timed out after ${timeoutMs} ms`, opts)
    this.timeoutMs = timeoutMs
  }
}

/** The answer is not a JSON-RPC 2.0 response, or its result has not the expected shape. */
export class InvalidResponseError extends PerpdError<'INVALID_RESPONSE'> {
  override name = 'InvalidResponseError'
}

/** A JSON-RPC error whose code and reason are in no table this client knows (a newer node). */
export class UnknownRpcError extends PerpdError<'UNKNOWN_RPC_ERROR'> {
  override name = 'UnknownRpcError'
  readonly data: unknown
  constructor(shortMessage: string, code: number, data: unknown) {
    super('UNKNOWN_RPC_ERROR', shortMessage, { code, details: data === undefined ? undefined : JSON.stringify(data) })
    this.data = data
  }
}

/** A decimal string that is not a plain unsigned decimal ("60000.5"; no sign, exponent or separators). */
export class InvalidDecimalError extends PerpdError<'INVALID_DECIMAL'> {
  override name = 'InvalidDecimalError'
}

/** A decimal with more (non-zero) fractional digits than the field's scale holds: it cannot be sent exactly. */
export class TooManyDecimalsError extends PerpdError<'TOO_MANY_DECIMALS'> {
  override name = 'TooManyDecimalsError'
  /** the field's scale: digits after the point */
  readonly decimals: number
  constructor(value: string, decimals: number, field: string) {
    super('TOO_MANY_DECIMALS', `${field} ${value} has more than ${decimals} decimals`, {
      field,
      details: `${field} is sent in units of 10^-${decimals}; round it first`,
    })
    this.decimals = decimals
  }
}

/** The account cannot sign: a JSON-RPC account without a walletClient, a smart account, or the wallet refused. */
export class SignerError extends PerpdError<'SIGNER'> {
  override name = 'SignerError'
}
