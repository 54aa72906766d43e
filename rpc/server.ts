/**
 * @module The HTTP face: fastify with `POST /` (JSON-RPC 2.0, single or batch), `GET /health`.
 * `buildRpcServer` is separate from `listen` so tests can `inject()` without sockets.
 *
 * A body over `bodyLimit` is answered 413 with a JSON-RPC error (REQUEST_TOO_LARGE) before it is parsed; the
 * body is read as text and parsed by dispatch, so malformed JSON is a -32700, not a fastify 400.
 */

import type { FastifyInstance } from 'fastify'
import Fastify from 'fastify'
import type { RpcBackend } from './backend.ts'
import { dispatch } from './dispatch.ts'
import { APP_ERRORS } from './errors.ts'

export interface RpcServerOptions {
  /** bytes */
  bodyLimit?: number
  maxBatch?: number
  log?: (msg: string) => void
}

export const DEFAULT_BODY_LIMIT = 256 * 1024
export const DEFAULT_MAX_BATCH = 100

export function buildRpcServer(backend: RpcBackend, opts: RpcServerOptions = {}): FastifyInstance {
  const bodyLimit = opts.bodyLimit ?? DEFAULT_BODY_LIMIT
  // forceCloseConnections: stopping a node must not wait for a client's keep-alive connection to time out (72 s)
  const app = Fastify({ bodyLimit, logger: false, forceCloseConnections: true })
  app.removeAllContentTypeParsers()
  app.addContentTypeParser('*', { parseAs: 'string', bodyLimit }, (_req, body, done) => done(null, body))
  app.setErrorHandler((err, _req, reply) => {
    if ((err as { statusCode?: number }).statusCode === 413)
      return reply.code(413).send({
        jsonrpc: '2.0',
        id: null,
        error: {
          code: APP_ERRORS.REQUEST_TOO_LARGE,
          message: `request body over ${bodyLimit} bytes`,
          data: { reason: 'REQUEST_TOO_LARGE' },
        },
      })
    opts.log?.(`rpc: ${err instanceof Error ? err.message : String(err)}`)
    return reply.code(400).send({ jsonrpc: '2.0', id: null, error: { code: -32600, message: 'invalid request' } })
  })

  app.post('/', async (req, reply) => {
    const body = typeof req.body === 'string' ? req.body : ''
    const response = await dispatch(body, backend, {
      maxBatch: opts.maxBatch ?? DEFAULT_MAX_BATCH,
      onInternalError: (e) =>
        opts.log?.(`rpc internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`),
    })
    if (response === undefined) return reply.code(204).send()
    return reply.header('content-type', 'application/json').send(JSON.stringify(response))
  })

  app.get('/health', async (_req, reply) => {
    const h = backend.health()
    return reply.code(h.ok ? 200 : 503).send(h)
  })
  return app
}
