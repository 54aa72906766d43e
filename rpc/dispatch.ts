/**
 * @module JSON-RPC 2.0 processing of one request body: parse, validate the envelope, charge the rate limits for
 * the whole body (rpc/limits.ts), run single calls or a batch (capped before any element runs) with each call's
 * params validated against its method's schemas (rpc/methods.ts), and shape every outcome as a result or an error
 * object. Any exception that is not an RpcError becomes -32603 without its internals.
 *
 * A batch yields to the event loop after every `yieldEveryMs` of work, so a flood of large batches (each element
 * may recover a signature, ~70 µs) cannot hold the sequencer's block timer back for long.
 */
import { setImmediate as nextTurn } from 'node:timers/promises'
import { isHex } from '../state/index.ts'
import type { RpcBackend } from './backend.ts'
import { APP_ERRORS, PROTOCOL_ERRORS, RpcError } from './errors.ts'
import type { Json } from './json.ts'
import type { RpcLimiter } from './limits.ts'
import type { CallContext } from './methods.ts'
import { METHODS_BY_NAME, runMethod } from './methods.ts'
import type { RpcMetrics } from './metrics.ts'
import { outcomeOf } from './metrics.ts'
import { openRpcDocument } from './openrpc.ts'

export interface RpcResponse {
  jsonrpc: '2.0'
  id: string | number | null
  result?: Json
  error?: { code: number; message: string; data?: Json }
}

export interface DispatchOptions {
  maxBatch: number
  onInternalError?: (e: unknown) => void
  limiter?: RpcLimiter
  /** the client's address, for the per-IP limit */
  clientIp?: string
  metrics?: RpcMetrics
  /** node version in the OpenRPC document */
  version?: string
  /** ms of work in one body before it yields to the event loop (default 4) */
  yieldEveryMs?: number
  /** who is asking: methods served on another transport answer -32601 here (default http) */
  transport?: 'http' | 'ws'
}

/** Errors after which a transaction's claimed account is refunded: it was not shown to be the account's. */
const NOT_THE_ACCOUNTS = new Set<number>([
  APP_ERRORS.INVALID_SIGNATURE,
  APP_ERRORS.UNAUTHORIZED,
  APP_ERRORS.UNSUPPORTED_KIND,
  APP_ERRORS.INVALID_MESSAGE,
  PROTOCOL_ERRORS.invalidParams,
])

function errorResponse(id: RpcResponse['id'], e: unknown, onInternal?: (e: unknown) => void): RpcResponse {
  if (e instanceof RpcError) {
    const error: RpcResponse['error'] = { code: e.code, message: e.message }
    if (e.data !== undefined) error.data = e.data as Json
    return { jsonrpc: '2.0', id, error }
  }
  onInternal?.(e)
  return { jsonrpc: '2.0', id, error: { code: PROTOCOL_ERRORS.internalError, message: 'internal error' } }
}

function validId(id: unknown): id is string | number | null {
  return id === null || typeof id === 'string' || (typeof id === 'number' && Number.isFinite(id))
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

/** The account a perp_sendTransaction request claims (lowercase), or undefined for any other request. */
export function claimedAccount(request: unknown): string | undefined {
  if (!isObject(request) || request.method !== 'perp_sendTransaction' || !Array.isArray(request.params))
    return undefined
  const tx = request.params[0]
  const message = isObject(tx) ? tx.message : undefined
  if (!isObject(message)) return undefined
  const account = typeof message.account === 'string' ? message.account : message.signer
  return typeof account === 'string' && isHex(account, 40) ? account.toLowerCase() : undefined
}

interface Answered {
  response: RpcResponse | null
  /** error code, if the call failed */
  code: number | undefined
}

/** Records the call's outcome and latency, and pairs its response with its error code. */
function finish(
  opts: DispatchOptions,
  label: string,
  started: number,
  response: RpcResponse | null,
  code: number | undefined,
): Answered {
  opts.metrics?.request(label, outcomeOf(code), (performance.now() - started) / 1000)
  return { response, code }
}

/** The answer to a call (none to a notification) that returned `result`. */
function answer(
  opts: DispatchOptions,
  label: string,
  started: number,
  id: RpcResponse['id'],
  quiet: boolean,
  result: Json,
): Answered {
  return finish(opts, label, started, quiet ? null : { jsonrpc: '2.0', id, result }, undefined)
}

/** The answer to a call (none to a notification) that threw `e`; the error code is kept either way. */
function refusal(
  opts: DispatchOptions,
  label: string,
  started: number,
  id: RpcResponse['id'],
  quiet: boolean,
  e: unknown,
): Answered {
  const response = errorResponse(id, e, opts.onInternalError)
  return finish(opts, label, started, quiet ? null : response, response.error?.code)
}

/**
 * One call. An admission whose signer was recovered ahead is answered synchronously (a value, not a promise):
 * a batch's calls run one after another and most find their signer back already, so a promise and an async
 * frame per call were work for nothing (bench/NOTES.md, eighth pass). Everything else is answered through a
 * promise. The synchronous path makes no closure: the answer's parts are passed to `answer` and `refusal`.
 */
function call(request: unknown, ctx: CallContext, opts: DispatchOptions): Answered | Promise<Answered> {
  const started = performance.now()
  if (!isObject(request)) {
    const e = new RpcError(PROTOCOL_ERRORS.invalidRequest, 'a request must be a JSON object')
    return finish(opts, 'unknown', started, errorResponse(null, e), e.code)
  }
  const quiet = !('id' in request)
  const id = validId(request.id) ? request.id : null
  if (request.jsonrpc !== '2.0' || typeof request.method !== 'string' || (!quiet && !validId(request.id))) {
    const e = new RpcError(PROTOCOL_ERRORS.invalidRequest, 'expected {"jsonrpc":"2.0","method":string,"id"?}')
    return finish(opts, 'unknown', started, errorResponse(id, e), e.code)
  }
  const spec = METHODS_BY_NAME.get(request.method)
  const label = spec?.name ?? 'unknown'
  try {
    if (spec === undefined)
      throw new RpcError(PROTOCOL_ERRORS.methodNotFound, `method ${request.method.slice(0, 64)} not found`)
    if (spec.run === undefined || !spec.transports.includes(opts.transport ?? 'http'))
      throw new RpcError(PROTOCOL_ERRORS.methodNotFound, `${spec.name} is served over WebSocket only (/ws)`)
    // reads then show the head they name, not a block still being committed; admission does not wait (it would
    // stall every client for the length of each commit's write, and the block it lands in re-checks it anyway)
    const result =
      spec.admission === true
        ? runMethod(spec, request.params, ctx)
        : ctx.backend.settled().then(() => runMethod(spec, request.params, ctx))
    if (!(result instanceof Promise)) return answer(opts, label, started, id, quiet, result)
    return result.then(
      (r) => answer(opts, label, started, id, quiet, r),
      (e: unknown) => refusal(opts, label, started, id, quiet, e),
    )
  } catch (e) {
    return refusal(opts, label, started, id, quiet, e)
  }
}

/** Charges the body's requests to the limits; the refusal to send for each request, or undefined when charged. */
function charge(requests: unknown[], opts: DispatchOptions): RpcResponse[] | undefined {
  if (opts.limiter === undefined) return undefined
  const accounts = new Map<string, number>()
  for (const r of requests) {
    const a = claimedAccount(r)
    if (a !== undefined) accounts.set(a, (accounts.get(a) ?? 0) + 1)
  }
  const refused = opts.limiter.charge({ ip: opts.clientIp ?? 'unknown', requests: requests.length, accounts })
  if (refused === undefined) return undefined
  opts.metrics?.limited(refused.scope, requests.length)
  return requests
    .filter((r) => !isObject(r) || 'id' in r)
    .map((r) => errorResponse(isObject(r) && validId(r.id) ? r.id : null, refused.error))
}

/** batch calls handed to backend.prefetch at once: ~2 ms of hashing on the event loop (node/admissionSignatures.ts) */
const PREFETCH_WINDOW = 64

async function runAll(requests: unknown[], backend: RpcBackend, opts: DispatchOptions): Promise<RpcResponse[]> {
  const ctx: CallContext = { backend, openrpc: () => openRpcDocument(opts.version ?? '0') }
  const yieldEveryMs = opts.yieldEveryMs ?? 4
  const out: RpcResponse[] = []
  let slice = performance.now()
  for (let i = 0; i < requests.length; i++) {
    const request = requests[i]
    // the backend starts shared work (signature recovery) for the calls ahead, a window at a time
    if (requests.length > 1 && i % PREFETCH_WINDOW === 0)
      backend.prefetch?.(requests.slice(i === 0 ? 0 : i + PREFETCH_WINDOW, i + 2 * PREFETCH_WINDOW))
    const called = call(request, ctx, opts)
    const { response, code } = called instanceof Promise ? await called : called
    if (response !== null) out.push(response)
    const account = code !== undefined && NOT_THE_ACCOUNTS.has(code) ? claimedAccount(request) : undefined
    if (account !== undefined) opts.limiter?.refundAccount(account, 1)
    if (performance.now() - slice >= yieldEveryMs) {
      await nextTurn()
      slice = performance.now()
    }
  }
  return out
}

/** Returns the response body, or undefined when nothing is to be sent (only notifications). */
export async function dispatch(
  body: string,
  backend: RpcBackend,
  opts: DispatchOptions,
): Promise<RpcResponse | RpcResponse[] | undefined> {
  let parsed: unknown
  try {
    parsed = JSON.parse(body)
  } catch {
    opts.metrics?.request('unknown', 'parse_error', 0)
    return errorResponse(null, new RpcError(PROTOCOL_ERRORS.parseError, 'parse error: body is not valid JSON'))
  }
  return dispatchValue(parsed, backend, opts)
}

/**
 * `dispatch` for a body already parsed (a request object, or a batch array). A transport that takes some
 * requests out of a batch passes the rest here instead of writing them back to text: JSON.stringify recurses
 * and throws on nesting that JSON.parse accepted.
 */
export async function dispatchValue(
  parsed: unknown,
  backend: RpcBackend,
  opts: DispatchOptions,
): Promise<RpcResponse | RpcResponse[] | undefined> {
  if (!Array.isArray(parsed)) {
    const refused = charge([parsed], opts)
    if (refused !== undefined) return refused[0]
    return (await runAll([parsed], backend, opts))[0]
  }
  if (parsed.length === 0 || parsed.length > opts.maxBatch) opts.metrics?.request('unknown', 'invalid_request', 0)
  if (parsed.length === 0) return errorResponse(null, new RpcError(PROTOCOL_ERRORS.invalidRequest, 'empty batch'))
  if (parsed.length > opts.maxBatch)
    return errorResponse(
      null,
      new RpcError(PROTOCOL_ERRORS.invalidRequest, `batch of ${parsed.length} is over the limit of ${opts.maxBatch}`),
    )
  const refused = charge(parsed, opts)
  const out = refused ?? (await runAll(parsed, backend, opts))
  return out.length === 0 ? undefined : out
}
