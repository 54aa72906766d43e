/**
 * @module The embedded L1's HTTP face: fastify with `POST /` speaking Ethereum JSON-RPC 2.0 (single requests
 * and batches) through the same `request` function the in-process transport uses, so separate processes
 * (validators, bridges, `cast`) see the same node through viem's `http()`.
 *
 * Bounded: a body over MAX_BODY_BYTES is answered 413 before it is parsed; a batch over MAX_BATCH entries is
 * one -32600 error. Malformed JSON is -32700.
 */

import type { FastifyInstance } from 'fastify'
import Fastify from 'fastify'
import type { EthRequest } from './ethRpc.ts'
import { ETH_RPC_ERRORS, EthRpcError } from './rpcError.ts'

/** bytes per request body */
export const MAX_BODY_BYTES = 1024 * 1024
/** requests per batch */
export const MAX_BATCH = 100

type Id = string | number | null

interface Envelope {
  jsonrpc: '2.0'
  id: Id
  result?: unknown
  error?: { code: number; message: string; data?: unknown }
}

export function buildEthHttpServer(request: EthRequest): FastifyInstance {
  // forceCloseConnections: stop() must not wait for a client's keep-alive connection to time out
  const app = Fastify({ bodyLimit: MAX_BODY_BYTES, logger: false, forceCloseConnections: true })
  app.removeAllContentTypeParsers()
  app.addContentTypeParser('*', { parseAs: 'string', bodyLimit: MAX_BODY_BYTES }, (_req, body, done) =>
    done(null, body),
  )
  app.setErrorHandler((err, _req, reply) => {
    const tooLarge = (err as { statusCode?: number }).statusCode === 413
    const message = tooLarge ? `request body over ${MAX_BODY_BYTES} bytes` : 'invalid request'
    return reply
      .code(tooLarge ? 413 : 400)
      .send({ jsonrpc: '2.0', id: null, error: { code: ETH_RPC_ERRORS.invalidRequest, message } })
  })
  app.post('/', async (req, reply) => {
    const response = await answer(typeof req.body === 'string' ? req.body : '', request)
    if (response === undefined) return reply.code(204).send()
    return reply.header('content-type', 'application/json').send(JSON.stringify(response))
  })
  return app
}

async function answer(body: string, request: EthRequest): Promise<Envelope | Envelope[] | undefined> {
  let parsed: unknown
  try {
    parsed = JSON.parse(body)
  } catch {
    return failure(null, new EthRpcError(ETH_RPC_ERRORS.parseError, 'parse error: the body is not JSON'))
  }
  if (!Array.isArray(parsed)) return answerOne(parsed, request)
  if (parsed.length === 0 || parsed.length > MAX_BATCH)
    return failure(null, new EthRpcError(ETH_RPC_ERRORS.invalidRequest, `a batch holds 1 to ${MAX_BATCH} requests`))
  const answers = await Promise.all(parsed.map((one) => answerOne(one, request)))
  const sent = answers.filter((a): a is Envelope => a !== undefined)
  return sent.length === 0 ? undefined : sent
}

/** One request's envelope, or undefined for a notification (no id), which gets no answer. */
async function answerOne(v: unknown, request: EthRequest): Promise<Envelope | undefined> {
  const o = (typeof v === 'object' && v !== null ? v : {}) as { id?: unknown; method?: unknown; params?: unknown }
  const id: Id = typeof o.id === 'string' || typeof o.id === 'number' ? o.id : null
  if (typeof o.method !== 'string')
    return failure(id, new EthRpcError(ETH_RPC_ERRORS.invalidRequest, 'invalid request: no method'))
  try {
    const result = await request({ method: o.method, params: o.params })
    return o.id === undefined ? undefined : { jsonrpc: '2.0', id, result: result ?? null }
  } catch (e) {
    if (o.id === undefined) return undefined
    const err =
      e instanceof EthRpcError
        ? e
        : new EthRpcError(ETH_RPC_ERRORS.internalError, e instanceof Error ? e.message : String(e))
    return failure(id, err)
  }
}

function failure(id: Id, e: EthRpcError): Envelope {
  // shortMessage: the one line, without viem's decoration of `message`
  const message = e.shortMessage
  const error = e.data === undefined ? { code: e.code, message } : { code: e.code, message, data: e.data }
  return { jsonrpc: '2.0', id, error }
}
