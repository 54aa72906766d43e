/**
 * @module `GET /ws` on the RPC's fastify server: JSON-RPC 2.0 over WebSocket (@fastify/websocket, `ws`), with
 * the subscription hub shared by all connections. Caps: connections per IP address and in all, subscriptions
 * per connection, unsent bytes per connection, frame size. A plain HTTP GET of /ws is answered 426.
 *
 * Stopping: on close every client gets a 1001 close frame and `closeGraceMs` to answer it; then the rest are
 * cut, so a client that never reads cannot hold the node's stop. Idle peers are pinged every `pingIntervalMs`
 * and cut when a ping goes unanswered until the next, so a vanished client does not keep its subscriptions.
 */
import websocket from '@fastify/websocket'
import type { FastifyInstance } from 'fastify'
import type { RpcBackend } from './backend.ts'
import { appError } from './errors.ts'
import { SubscriptionHub } from './subscriptionHub.ts'
import type { ConnectionLimits, RunRpc, WsSocket } from './wsConnection.ts'
import { WsConnection } from './wsConnection.ts'

export interface WsOptions extends Partial<ConnectionLimits> {
  maxConnectionsPerIp?: number
  maxConnections?: number
  /** bytes: a frame over this is not read at all; ws closes the socket with 1009 */
  maxFrameBytes?: number
  pingIntervalMs?: number
}

export const DEFAULT_WS_OPTIONS: Required<WsOptions> = {
  maxSubscriptionsPerConnection: 32,
  maxConnectionsPerIp: 16,
  maxConnections: 4096,
  maxBufferedBytes: 4 * 1024 * 1024,
  maxInFlight: 16,
  maxFrameBytes: 1024 * 1024,
  closeGraceMs: 1000,
  pingIntervalMs: 30_000,
}

export interface WsServerInit {
  backend: RpcBackend
  /** every method but the subscription ones goes here, as for HTTP */
  dispatch: RunRpc
  bodyLimit: number
  maxBatch: number
  ws?: WsOptions | undefined
  log: (msg: string) => void
}

/** What the route reports about itself (tests and metrics). */
export interface WsServerHandle {
  hub: SubscriptionHub
  connections(): number
}

interface Tracked {
  socket: WsSocket
  alive: boolean
}

export function registerWebSocket(app: FastifyInstance, init: WsServerInit): WsServerHandle {
  const o: Required<WsOptions> = { ...DEFAULT_WS_OPTIONS, ...init.ws }
  const { log } = init
  const hub = new SubscriptionHub(init.backend, log)
  const perIp = new Map<string, number>()
  const open = new Set<Tracked>()
  const ctx = { dispatch: init.dispatch, hub, bodyLimit: init.bodyLimit, maxBatch: init.maxBatch, limits: o, log }

  const heartbeat = setInterval(() => {
    for (const t of open) {
      if (!t.alive) t.socket.terminate()
      else {
        t.alive = false
        t.socket.ping()
      }
    }
  }, o.pingIntervalMs)
  heartbeat.unref()

  async function closeAll(): Promise<void> {
    clearInterval(heartbeat)
    hub.close()
    for (const t of open) t.socket.close(1001, 'node stopping')
    const until = Date.now() + o.closeGraceMs
    while (open.size > 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 20))
    for (const t of open) t.socket.terminate()
    await new Promise<void>((resolve) => app.websocketServer.close(() => resolve()))
  }

  app.register(websocket, {
    options: { maxPayload: o.maxFrameBytes },
    preClose: closeAll,
    errorHandler: (error, socket) => {
      log(`ws: ${error.message}`)
      ;(socket as unknown as WsSocket).terminate()
    },
  })
  app.register(async (scope) => {
    scope.route({
      method: 'GET',
      url: '/ws',
      handler: (_req, reply) =>
        reply.code(426).send({ error: 'upgrade required: open a WebSocket to /ws for JSON-RPC and subscriptions' }),
      wsHandler: (raw, req) => {
        const socket = raw as unknown as WsSocket
        const ip = req.ip
        const conn = new WsConnection(socket, ip, ctx)
        const count = perIp.get(ip) ?? 0
        if (count >= o.maxConnectionsPerIp || open.size >= o.maxConnections) {
          const scope =
            count >= o.maxConnectionsPerIp ? `from ${ip} (${o.maxConnectionsPerIp})` : `(${o.maxConnections})`
          conn.refuse(
            appError('TOO_MANY_CONNECTIONS', `too many WebSocket connections ${scope}`),
            1008,
            'too many connections',
          )
          return
        }
        const tracked: Tracked = { socket, alive: true }
        open.add(tracked)
        perIp.set(ip, count + 1)
        socket.on('pong', () => {
          tracked.alive = true
        })
        socket.on('close', () => {
          open.delete(tracked)
          const left = (perIp.get(ip) ?? 1) - 1
          if (left <= 0) perIp.delete(ip)
          else perIp.set(ip, left)
        })
      },
    })
  })
  return { hub, connections: () => open.size }
}
