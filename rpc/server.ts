/**
 * @module The HTTP face: fastify with `POST /` (JSON-RPC 2.0, single or batch), `GET /health`, `GET /metrics`.
 * `buildRpcServer` is separate from `listen` so tests can `inject()` without sockets.
 *
 * A body over `bodyLimit` is answered 413 with a JSON-RPC error (REQUEST_TOO_LARGE) before it is parsed; the
 * body is read as text and parsed by dispatch, so malformed JSON is a -32700, not a fastify 400.
 */

import type { FastifyInstance } from 'fastify'
import Fastify from 'fastify'
import type { RpcBackend } from './backend.ts'
import { dispatch, dispatchValue } from './dispatch.ts'
import { APP_ERRORS } from './errors.ts'
import type { RpcLimiter } from './limits.ts'
import type { RpcMetrics } from './metrics.ts'
import type { WsOptions, WsServerHandle } from './wsServer.ts'
import { registerWebSocket } from './wsServer.ts'

export interface RpcServerOptions {
  /** bytes */
  bodyLimit?: number
  maxBatch?: number
  log?: (msg: string) => void
  /** per-IP and per-account rate limits (rpc/limits.ts); none when absent */
  limiter?: RpcLimiter
  metrics?: RpcMetrics
  /** `GET /metrics`: the Prometheus text exposition (the node's registry); 404 when absent */
  metricsText?: () => Promise<{ contentType: string; body: string }>
  /** node version, for the OpenRPC document */
  version?: string
  /** `GET /ws` (JSON-RPC over WebSocket and subscriptions): caps and limits, rpc/wsServer.ts */
  ws?: WsOptions
  /** called with the WebSocket route's handle (hub statistics, open connections) */
  onWebSocket?: (handle: WsServerHandle) => void
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
      clientIp: req.ip,
      ...(opts.limiter !== undefined ? { limiter: opts.limiter } : {}),
      ...(opts.metrics !== undefined ? { metrics: opts.metrics } : {}),
      ...(opts.version !== undefined ? { version: opts.version } : {}),
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

  const ws = registerWebSocket(app, {
    backend,
    bodyLimit,
    maxBatch: opts.maxBatch ?? DEFAULT_MAX_BATCH,
    ws: opts.ws,
    log: opts.log ?? (() => {}),
    // the same options as POST /, for the WebSocket transport
    dispatch: (body, clientIp) => {
      const wsOpts = {
        maxBatch: opts.maxBatch ?? DEFAULT_MAX_BATCH,
        clientIp,
        transport: 'ws' as const,
        ...(opts.limiter !== undefined ? { limiter: opts.limiter } : {}),
        ...(opts.metrics !== undefined ? { metrics: opts.metrics } : {}),
        ...(opts.version !== undefined ? { version: opts.version } : {}),
        onInternalError: (e: unknown) =>
          opts.log?.(`rpc internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`),
      }
      return typeof body === 'string' ? dispatch(body, backend, wsOpts) : dispatchValue(body.parsed, backend, wsOpts)
    },
  })
  opts.onWebSocket?.(ws)

  const metricsText = opts.metricsText
  if (metricsText !== undefined)
    app.get('/metrics', async (_req, reply) => {
      const { contentType, body } = await metricsText()
      return reply.header('content-type', contentType).send(body)
    })
  return app
}
