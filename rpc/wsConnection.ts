/**
 * @module One WebSocket connection: each text frame is a JSON-RPC 2.0 request or batch. perp_subscribe and
 * perp_unsubscribe are answered here (they need the connection); everything else goes to rpc/dispatch.ts as the
 * HTTP endpoint would run it. A frame that names neither subscription method is handed to dispatch untouched, so
 * ordinary calls are parsed once.
 *
 * Guards: a binary frame is -32600 and a text frame over the body limit is REQUEST_TOO_LARGE, the socket staying
 * usable (frames over the hard frame limit are refused by ws itself, which closes with 1009 before reading them);
 * at most `maxInFlight` requests run at once (the socket is paused meanwhile, so a pipelining client is slowed,
 * not buffered); every send checks the socket's unsent bytes, and a connection past `maxBufferedBytes` is
 * closed as a slow consumer (1008) and its subscriptions dropped, rather than buffered without limit.
 */
import { randomBytes } from 'node:crypto'
import type { RpcResponse } from './dispatch.ts'
import { appError, PROTOCOL_ERRORS, RpcError } from './errors.ts'
import type { Json } from './json.ts'
import type { NotificationSink, Subscriber, SubscriptionHub } from './subscriptionHub.ts'
import { readSubscribeParams, readUnsubscribeParams } from './subscriptionParams.ts'

/** What this file uses of a `ws` WebSocket (the package ships no types of its own). */
export interface WsSocket {
  readonly readyState: number
  readonly bufferedAmount: number
  send(data: string | Buffer, options?: { binary?: boolean }): void
  close(code?: number, reason?: string): void
  terminate(): void
  pause(): void
  resume(): void
  ping(): void
  on(event: 'message', listener: (data: Buffer, isBinary: boolean) => void): void
  on(event: 'close' | 'pong', listener: () => void): void
}

export interface ConnectionLimits {
  maxSubscriptionsPerConnection: number
  /** bytes queued unsent on one connection past which it is dropped as a slow consumer */
  maxBufferedBytes: number
  /** requests of one connection running at once */
  maxInFlight: number
  /** ms a closing connection has to finish the close handshake before it is cut */
  closeGraceMs: number
}

/** Runs a body through rpc/dispatch.ts as the HTTP endpoint does (same limits and metrics), for a client IP. */
/** Runs a frame's text, or requests already parsed from it (never re-serialized: JSON.stringify can throw on
 * what JSON.parse accepted, e.g. very deep nesting). */
export type RunRpc = (
  body: string | { parsed: unknown[] },
  clientIp: string,
) => Promise<RpcResponse | RpcResponse[] | undefined>

export interface ConnectionContext {
  dispatch: RunRpc
  hub: SubscriptionHub
  /** bytes: a text frame over this is refused, like an HTTP body */
  bodyLimit: number
  maxBatch: number
  limits: ConnectionLimits
  log: (msg: string) => void
}

const OPEN = 1
const SUBSCRIPTION_METHODS = new Set(['perp_subscribe', 'perp_unsubscribe'])
const NOTIFICATION_SUFFIX = Buffer.from('}}')

function errorResponse(id: RpcResponse['id'], e: unknown, log: (msg: string) => void): RpcResponse {
  if (e instanceof RpcError) {
    const error: RpcResponse['error'] = { code: e.code, message: e.message }
    if (e.data !== undefined) error.data = e.data as Json
    return { jsonrpc: '2.0', id, error }
  }
  log(`ws internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`)
  return { jsonrpc: '2.0', id, error: { code: PROTOCOL_ERRORS.internalError, message: 'internal error' } }
}

function validId(id: unknown): id is string | number | null {
  return id === null || typeof id === 'string' || (typeof id === 'number' && Number.isFinite(id))
}

function isSubscriptionCall(r: unknown): r is Record<string, unknown> {
  return typeof r === 'object' && r !== null && SUBSCRIPTION_METHODS.has((r as { method?: unknown }).method as string)
}

export class WsConnection implements NotificationSink {
  readonly #socket: WsSocket
  readonly #ctx: ConnectionContext
  readonly #ip: string
  readonly #subs = new Map<string, { sub: Subscriber; prefix: Buffer }>()
  #inFlight = 0
  #paused = false
  #closed = false

  constructor(socket: WsSocket, ip: string, ctx: ConnectionContext) {
    this.#socket = socket
    this.#ip = ip
    this.#ctx = ctx
    socket.on('message', (data, isBinary) => this.#onFrame(data, isBinary))
    socket.on('close', () => this.#shutdown())
  }

  get subscriptions(): number {
    return this.#subs.size
  }

  notify(subscription: string, result: Buffer): void {
    const entry = this.#subs.get(subscription)
    if (entry !== undefined) this.#send(Buffer.concat([entry.prefix, result, NOTIFICATION_SUFFIX]))
  }

  /** Sends an error not tied to a request (id null), then closes with `code`. */
  refuse(error: RpcError, code: number, reason: string): void {
    this.#send(JSON.stringify(errorResponse(null, error, this.#ctx.log)))
    this.#close(code, reason)
  }

  #send(data: string | Buffer): void {
    if (this.#closed || this.#socket.readyState !== OPEN) return
    if (this.#socket.bufferedAmount > this.#ctx.limits.maxBufferedBytes) {
      this.#ctx.log(`ws: dropping a slow consumer (${this.#socket.bufferedAmount} bytes unsent)`)
      this.#close(1008, 'slow consumer: unsent data over the limit')
      return
    }
    this.#socket.send(data, { binary: false })
  }

  /** Stops all delivery at once; the socket gets `closeGraceMs` for the close handshake, then is cut. */
  #close(code: number, reason: string): void {
    if (this.#closed) return
    this.#shutdown()
    this.#socket.close(code, reason)
    setTimeout(() => this.#socket.terminate(), this.#ctx.limits.closeGraceMs).unref()
  }

  #shutdown(): void {
    this.#closed = true
    for (const { sub } of this.#subs.values()) this.#ctx.hub.unsubscribe(sub)
    this.#subs.clear()
  }

  #onFrame(data: Buffer, isBinary: boolean): void {
    if (this.#closed) return
    const { log, bodyLimit, limits } = this.#ctx
    const refused = isBinary
      ? new RpcError(PROTOCOL_ERRORS.invalidRequest, 'binary frames are not accepted: send JSON-RPC as text')
      : data.length > bodyLimit
        ? appError('REQUEST_TOO_LARGE', `frame over ${bodyLimit} bytes`)
        : undefined
    if (refused !== undefined) {
      this.#send(JSON.stringify(errorResponse(null, refused, log)))
      return
    }
    if (++this.#inFlight >= limits.maxInFlight && !this.#paused) {
      this.#paused = true
      this.#socket.pause()
    }
    this.#handle(data.toString('utf8'))
      .catch((e: unknown) => log(`ws: request failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`))
      .finally(() => {
        this.#inFlight--
        if (this.#paused && this.#inFlight < limits.maxInFlight && !this.#closed) {
          this.#paused = false
          this.#socket.resume()
        }
      })
  }

  async #handle(text: string): Promise<void> {
    const activations: Subscriber[] = []
    const response = await this.#respond(text, activations)
    if (response !== undefined) this.#send(JSON.stringify(response))
    // a subscription starts only once its id is out, so no notification can precede the response naming it
    for (const sub of activations) {
      if (!this.#subs.has(sub.id)) continue
      const first = this.#ctx.hub.activate(sub)
      if (first !== undefined) this.notify(sub.id, first)
    }
  }

  async #respond(text: string, activations: Subscriber[]): Promise<RpcResponse | RpcResponse[] | undefined> {
    const { maxBatch } = this.#ctx
    const dispatch = (body: string | { parsed: unknown[] }) => this.#ctx.dispatch(body, this.#ip)
    if (!text.includes('perp_subscribe') && !text.includes('perp_unsubscribe')) return dispatch(text)
    let parsed: unknown
    try {
      parsed = JSON.parse(text)
    } catch {
      return dispatch(text) // the parse error, worded as for HTTP
    }
    if (!Array.isArray(parsed))
      return isSubscriptionCall(parsed) ? (this.#subscriptionCall(parsed, activations) ?? undefined) : dispatch(text)
    if (parsed.length === 0 || parsed.length > maxBatch) return dispatch(text)
    const mine: RpcResponse[] = []
    const others: unknown[] = []
    for (const r of parsed) {
      if (!isSubscriptionCall(r)) others.push(r)
      else {
        const response = this.#subscriptionCall(r, activations)
        if (response !== null) mine.push(response)
      }
    }
    const rest = others.length === 0 ? undefined : await dispatch({ parsed: others })
    const all = [...mine, ...(rest === undefined ? [] : Array.isArray(rest) ? rest : [rest])]
    return all.length === 0 ? undefined : all
  }

  /** perp_subscribe or perp_unsubscribe; null for a notification (no id), which runs but gets no answer. */
  #subscriptionCall(r: Record<string, unknown>, activations: Subscriber[]): RpcResponse | null {
    const isNotification = !('id' in r)
    const id = validId(r.id) ? r.id : null
    if (r.jsonrpc !== '2.0' || (!isNotification && !validId(r.id)))
      return errorResponse(
        id,
        new RpcError(PROTOCOL_ERRORS.invalidRequest, 'expected {"jsonrpc":"2.0","method":string,"id"?}'),
        this.#ctx.log,
      )
    try {
      const result =
        r.method === 'perp_subscribe' ? this.#subscribe(r.params, activations) : this.#unsubscribe(r.params)
      return isNotification ? null : { jsonrpc: '2.0', id, result }
    } catch (e) {
      return isNotification ? null : errorResponse(id, e, this.#ctx.log)
    }
  }

  #subscribe(params: unknown, activations: Subscriber[]): string {
    const cap = this.#ctx.limits.maxSubscriptionsPerConnection
    if (this.#subs.size >= cap)
      throw appError('TOO_MANY_SUBSCRIPTIONS', `at most ${cap} subscriptions per connection: unsubscribe one first`)
    const topic = readSubscribeParams(params)
    const id = `0x${randomBytes(16).toString('hex')}`
    const sub = this.#ctx.hub.subscribe(topic, id, this)
    const prefix = Buffer.from(
      `{"jsonrpc":"2.0","method":"perp_subscription","params":{"subscription":"${id}","result":`,
    )
    this.#subs.set(id, { sub, prefix })
    activations.push(sub)
    return id
  }

  #unsubscribe(params: unknown): boolean {
    const id = readUnsubscribeParams(params)
    const entry = this.#subs.get(id)
    if (entry === undefined) return false
    this.#subs.delete(id)
    return this.#ctx.hub.unsubscribe(entry.sub)
  }
}
