/**
 * @module JSON-RPC 2.0 over HTTP for the client: one POST per call through `fetch` (the platform's, or one the
 * caller passes), a time limit per call, and every failure turned into a typed PerpdError — a JSON-RPC error
 * object into its table class (clientAppErrors.ts / clientErrors.ts), anything else into a transport error.
 */
import { appError, appErrorReasonOf, isAppErrorReason } from './clientAppErrors.ts'
import type { PerpdError } from './clientErrors.ts'
import {
  HttpRequestError,
  InvalidResponseError,
  protocolErrorClass,
  TimeoutError,
  UnknownRpcError,
} from './clientErrors.ts'

export type FetchFn = (input: string, init: RequestInit) => Promise<Response>

export interface TransportOptions {
  url: string
  /** defaults to globalThis.fetch */
  fetch?: FetchFn | undefined
  /** per call, ms; default 10,000 */
  timeoutMs?: number | undefined
}

export interface Transport {
  readonly url: string
  request<T = unknown>(method: string, params?: readonly unknown[]): Promise<T>
}

export const DEFAULT_TIMEOUT_MS = 10_000

interface WireError {
  code: number
  message: string
  data?: { reason?: unknown; field?: unknown } | undefined
}

/** A JSON-RPC error object → the typed error of its table entry (by `data.reason`, else by code). */
export function errorFromRpc(error: WireError, method: string): PerpdError {
  const field = typeof error.data?.field === 'string' ? error.data.field : undefined
  const reason = error.data?.reason
  const appReason = isAppErrorReason(reason) ? reason : reason === undefined ? appErrorReasonOf(error.code) : undefined
  if (appReason !== undefined)
    return appError(appReason, error.message, { origin: 'node', field, details: `refused by the node (${method})` })
  const protocol = reason === undefined ? protocolErrorClass(error.code) : undefined
  if (protocol !== undefined) return new protocol(error.message, { field, details: `${method}: ${error.message}` })
  return new UnknownRpcError(`${method}: ${error.message}`, error.code, error.data)
}

function isWireError(e: unknown): e is WireError {
  const x = e as WireError | null
  return typeof x === 'object' && x !== null && typeof x.code === 'number' && typeof x.message === 'string'
}

export function createTransport(opts: TransportOptions): Transport {
  const given = opts.fetch ?? (globalThis.fetch as FetchFn | undefined)
  if (given === undefined) throw new TypeError('no fetch: pass one in the options')
  const fetchFn: FetchFn = given
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS
  let nextId = 1

  async function post(method: string, body: string): Promise<{ status: number; text: string }> {
    try {
      const res = await fetchFn(opts.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
        signal: AbortSignal.timeout(timeoutMs),
      })
      return { status: res.status, text: await res.text() }
    } catch (e) {
      const name = (e as { name?: string } | null)?.name
      if (name === 'TimeoutError' || name === 'AbortError')
        throw new TimeoutError(`${method} to ${opts.url}`, timeoutMs, { cause: e })
      throw new HttpRequestError(opts.url, undefined, { cause: e, details: String((e as Error)?.message ?? e) })
    }
  }

  return {
    url: opts.url,
    async request<T>(method: string, params: readonly unknown[] = []): Promise<T> {
      const id = nextId++
      const { status, text } = await post(method, JSON.stringify({ jsonrpc: '2.0', id, method, params }))
      let body: { result?: unknown; error?: unknown } | undefined
      try {
        body = JSON.parse(text)
      } catch {
        body = undefined
      }
      // an error status may still carry a JSON-RPC error (413: REQUEST_TOO_LARGE); prefer it
      if (body !== undefined && isWireError(body.error)) throw errorFromRpc(body.error, method)
      if (status < 200 || status >= 300)
        throw new HttpRequestError(opts.url, status, { details: `${method}: ${text.slice(0, 200)}` })
      if (body === undefined || typeof body !== 'object' || body === null || !('result' in body))
        throw new InvalidResponseError('INVALID_RESPONSE', `${method}: the answer is not a JSON-RPC response`, {
          details: text.slice(0, 200),
        })
      return body.result as T
    },
  }
}
