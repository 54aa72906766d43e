/**
 * @module The fuzzer's oracle: what a JSON-RPC 2.0 server must answer to a body, worked out from the body with
 * JSON.parse and the specification's rules (413 over the body limit, -32700, -32600 for a non-request or an
 * empty or oversized batch, one response per non-notification with the request's id), then compared with what
 * came back. Written apart from rpc/dispatch.ts so a mistake there is not repeated here.
 */

type Id = string | number | null

export interface Limits {
  bodyLimit: number
  maxBatch: number
}

/** What the body calls for: 413, nothing (notifications only), one response, or a batch of responses. */
export type Expected =
  | { kind: 'tooLarge' }
  | { kind: 'none' }
  | { kind: 'single'; id: Id; code?: number }
  | { kind: 'batch'; ids: Id[] }

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)
const validId = (id: unknown): id is Id =>
  id === null || typeof id === 'string' || (typeof id === 'number' && Number.isFinite(id))

/** undefined for a well-formed notification (no answer); otherwise the id its answer must carry. */
function answerId(request: unknown): Id | undefined {
  if (!isObject(request)) return null
  const hasId = Object.hasOwn(request, 'id')
  const wellFormed = request.jsonrpc === '2.0' && typeof request.method === 'string' && (!hasId || validId(request.id))
  if (!hasId && wellFormed) return undefined
  return hasId && validId(request.id) ? request.id : null
}

export function expected(body: string, limits: Limits): Expected {
  if (Buffer.byteLength(body) > limits.bodyLimit) return { kind: 'tooLarge' }
  let parsed: unknown
  try {
    parsed = JSON.parse(body)
  } catch {
    return { kind: 'single', id: null, code: -32700 }
  }
  if (!Array.isArray(parsed)) {
    const id = answerId(parsed)
    return id === undefined ? { kind: 'none' } : { kind: 'single', id }
  }
  if (parsed.length === 0 || parsed.length > limits.maxBatch) return { kind: 'single', id: null, code: -32600 }
  const ids = parsed.map(answerId).filter((id): id is Id => id !== undefined)
  return ids.length === 0 ? { kind: 'none' } : { kind: 'batch', ids }
}

/** Why `r` is not a JSON-RPC 2.0 response object, or undefined when it is one. */
export function responseProblem(r: unknown): string | undefined {
  if (!isObject(r)) return 'a response is not an object'
  if (r.jsonrpc !== '2.0') return 'jsonrpc is not "2.0"'
  if (!Object.hasOwn(r, 'id') || !validId(r.id)) return 'no valid id'
  const hasResult = Object.hasOwn(r, 'result')
  const hasError = Object.hasOwn(r, 'error')
  if (hasResult === hasError) return 'not exactly one of result and error'
  if (hasError) {
    const e = r.error
    if (!isObject(e) || !Number.isInteger(e.code) || typeof e.message !== 'string') return 'malformed error object'
  }
  return undefined
}

const idKey = (id: unknown): string => JSON.stringify(id)

/** Compares a reply (HTTP status and text; status 200 for WebSocket frames) with what the body calls for. */
export function checkReply(body: string, status: number, text: string, limits: Limits): string | undefined {
  const want = expected(body, limits)
  if (want.kind === 'none') return status === 204 && text === '' ? undefined : `expected no answer, got ${status}`
  let got: unknown
  try {
    got = JSON.parse(text)
  } catch {
    return `answer is not JSON (HTTP ${status}): ${text.slice(0, 80)}`
  }
  if (want.kind === 'tooLarge') {
    const code = isObject(got) && isObject(got.error) ? got.error.code : undefined
    return status === 413 && code === 1082 ? undefined : `expected 413 / 1082, got ${status} / ${String(code)}`
  }
  if (want.kind === 'single') {
    if (Array.isArray(got)) return 'expected one response, got an array'
    const problem = responseProblem(got)
    if (problem !== undefined) return problem
    const r = got as { id: Id; error?: { code: number } }
    if (idKey(r.id) !== idKey(want.id)) return `id ${idKey(r.id)} answers a request with id ${idKey(want.id)}`
    if (want.code !== undefined && r.error?.code !== want.code) return `expected error ${want.code}`
    return undefined
  }
  if (!Array.isArray(got)) return 'expected an array of responses'
  for (const r of got) {
    const problem = responseProblem(r)
    if (problem !== undefined) return problem
  }
  const gotIds = got.map((r: { id: Id }) => idKey(r.id)).sort()
  const wantIds = want.ids.map(idKey).sort()
  return gotIds.join() === wantIds.join() ? undefined : `batch ids ${gotIds.join()} for requests ${wantIds.join()}`
}
