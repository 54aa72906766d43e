/**
 * @module JSON-RPC 2.0 processing of one HTTP body: parse, validate the envelope, run single calls or a
 * batch (capped before any element runs), and shape every outcome as a result or an error object. Any
 * exception that is not an RpcError becomes -32603 without its internals.
 */
import type { RpcBackend } from './backend.ts'
import { PROTOCOL_ERRORS, RpcError } from './errors.ts'
import type { Json } from './json.ts'
import { METHODS } from './methods.ts'

export interface RpcResponse {
  jsonrpc: '2.0'
  id: string | number | null
  result?: Json
  error?: { code: number; message: string; data?: Json }
}

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

async function call(
  request: unknown,
  backend: RpcBackend,
  onInternal?: (e: unknown) => void,
): Promise<RpcResponse | null> {
  if (typeof request !== 'object' || request === null || Array.isArray(request))
    return errorResponse(null, new RpcError(PROTOCOL_ERRORS.invalidRequest, 'a request must be a JSON object'))
  const r = request as Record<string, unknown>
  const isNotification = !('id' in r)
  const id = validId(r.id) ? r.id : null
  if (r.jsonrpc !== '2.0' || typeof r.method !== 'string' || (!isNotification && !validId(r.id)))
    return errorResponse(
      id,
      new RpcError(PROTOCOL_ERRORS.invalidRequest, 'expected {"jsonrpc":"2.0","method":string,"id"?}'),
    )
  const handler = Object.hasOwn(METHODS, r.method) ? METHODS[r.method] : undefined
  try {
    if (handler === undefined)
      throw new RpcError(PROTOCOL_ERRORS.methodNotFound, `method ${r.method.slice(0, 64)} not found`)
    const result = await handler(r.params, backend)
    return isNotification ? null : { jsonrpc: '2.0', id, result }
  } catch (e) {
    return isNotification ? null : errorResponse(id, e, onInternal)
  }
}

export interface DispatchOptions {
  maxBatch: number
  onInternalError?: (e: unknown) => void
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
    return errorResponse(null, new RpcError(PROTOCOL_ERRORS.parseError, 'parse error: body is not valid JSON'))
  }
  if (!Array.isArray(parsed)) return (await call(parsed, backend, opts.onInternalError)) ?? undefined
  if (parsed.length === 0) return errorResponse(null, new RpcError(PROTOCOL_ERRORS.invalidRequest, 'empty batch'))
  if (parsed.length > opts.maxBatch)
    return errorResponse(
      null,
      new RpcError(PROTOCOL_ERRORS.invalidRequest, `batch of ${parsed.length} is over the limit of ${opts.maxBatch}`),
    )
  const out: RpcResponse[] = []
  for (const request of parsed) {
    const response = await call(request, backend, opts.onInternalError)
    if (response !== null) out.push(response)
  }
  return out.length === 0 ? undefined : out
}
