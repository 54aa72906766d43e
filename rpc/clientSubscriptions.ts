/**
 * @module WebSocket subscriptions for the client: `perp_subscribe(topic, params)` on the node's `/ws`, one socket
 * per client opened at the first subscription (the platform's WebSocket: browsers, Node ≥ 22). Each
 * `perp_subscription` notification goes to its subscription's `onData`, converted by the rule of clientTypes.ts
 * (decimal-string integers → bigint). A closed socket ends every subscription with an HttpRequestError to
 * `onError`; subscribing again opens a new socket.
 */
import { HttpRequestError, TimeoutError } from './clientErrors.ts'
import type { MarketDirectory, MarketRef } from './clientMarkets.ts'
import { errorFromRpc } from './clientTransport.ts'
import type { AccountState, BookLevel, ChainEvent, Hex } from './clientTypes.ts'
import { fromWire } from './clientWire.ts'

export interface NewHead {
  height: bigint
  hash: Hex
  parentHash: Hex
  time: bigint
  proposer: Hex
  stateRoot: Hex
  txRoot: Hex
  transactionCount: number
}

/** Params and notification of each topic (docs/rpc.md; rpc/subscriptionSchemas.ts on the node). */
export interface Topics {
  newHeads: { params: Record<string, never>; result: NewHead }
  fills: { params: { market?: MarketRef; account?: string }; result: { height: bigint; fills: ChainEvent[] } }
  orderBook: {
    params: { market: MarketRef; depth?: number }
    result: {
      type: 'snapshot' | 'diff'
      market: number
      height: bigint
      seq: number
      bids: BookLevel[]
      asks: BookLevel[]
    }
  }
  liquidations: { params: { market?: MarketRef }; result: { height: bigint; events: ChainEvent[] } }
  /** address and subaccount default to the client's */
  account: { params: { address?: string; subaccount?: number }; result: AccountState }
}
export type Topic = keyof Topics

export interface SubscribeOptions<T extends Topic> {
  onData: (result: Topics[T]['result']) => void
  /** the socket closed (the subscription is over) */
  onError?: (error: HttpRequestError) => void
}

export interface Subscription {
  readonly id: string
  unsubscribe(): Promise<boolean>
}

interface Pending {
  resolve: (v: unknown) => void
  reject: (e: unknown) => void
}

export interface SubscriptionContext {
  /** the JSON-RPC HTTP url; the socket is its ws(s):// twin at /ws */
  url: string
  timeoutMs: number
  directory: MarketDirectory
  owner: string
  subaccount: number
}

export function wsUrlOf(url: string): string {
  return `${url.replace(/^http/, 'ws').replace(/\/$/, '')}/ws`
}

export function createSubscriptions(ctx: SubscriptionContext) {
  const url = wsUrlOf(ctx.url)
  let socket: Promise<WebSocket> | undefined
  let nextId = 1
  const pending = new Map<number, Pending>()
  const handlers = new Map<string, SubscribeOptions<Topic>>()

  function onMessage(text: string): void {
    const msg = JSON.parse(text) as Record<string, unknown>
    if (msg.method === 'perp_subscription') {
      const p = msg.params as { subscription: string; result: unknown }
      handlers.get(p.subscription)?.onData(fromWire(p.result))
      return
    }
    const waiting = pending.get(msg.id as number)
    pending.delete(msg.id as number)
    if (msg.error !== undefined) waiting?.reject(errorFromRpc(msg.error as never, 'perp_subscribe'))
    else waiting?.resolve(msg.result)
  }

  function open(): Promise<WebSocket> {
    socket ??= new Promise((resolve, reject) => {
      const ws = new WebSocket(url)
      ws.addEventListener('open', () => resolve(ws), { once: true })
      ws.addEventListener('message', (e) => onMessage(String(e.data)))
      ws.addEventListener('close', (e) => {
        socket = undefined
        const error = new HttpRequestError(url, undefined, { details: `WebSocket closed (${e.code} ${e.reason})` })
        reject(error)
        for (const w of pending.values()) w.reject(error)
        pending.clear()
        for (const h of handlers.values()) h.onError?.(error)
        handlers.clear()
      })
    })
    return socket
  }

  async function request(method: string, params: unknown[]): Promise<unknown> {
    const ws = await open()
    const id = nextId++
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        pending.delete(id)
        reject(new TimeoutError(`${method} on ${url}`, ctx.timeoutMs))
      }, ctx.timeoutMs)
      const settle = (f: (v: unknown) => void) => (v: unknown) => {
        clearTimeout(timer)
        f(v)
      }
      pending.set(id, { resolve: settle(resolve), reject: settle(reject) })
      ws.send(JSON.stringify({ jsonrpc: '2.0', id, method, params }))
    })
  }

  async function wireParams<T extends Topic>(topic: T, p: Topics[T]['params']): Promise<Record<string, unknown>> {
    const out: Record<string, unknown> = { ...p }
    if ('market' in p && p.market !== undefined) out.market = (await ctx.directory.get(p.market)).id
    if (topic === 'account') {
      out.address ??= ctx.owner
      out.subaccount ??= ctx.subaccount
    }
    return out
  }

  return {
    async subscribe<T extends Topic>(topic: T, params: Topics[T]['params'], opts: SubscribeOptions<T>) {
      const id = (await request('perp_subscribe', [topic, await wireParams(topic, params)])) as string
      handlers.set(id, opts as SubscribeOptions<Topic>)
      return {
        id,
        async unsubscribe() {
          handlers.delete(id)
          return (await request('perp_unsubscribe', [id])) as boolean
        },
      } satisfies Subscription
    },
    /** closes the socket (every subscription ends) */
    async close(): Promise<void> {
      const ws = await socket?.catch(() => undefined)
      if (ws === undefined) return
      handlers.clear()
      const closed = new Promise((r) => ws.addEventListener('close', r, { once: true }))
      ws.close()
      await closed
    },
  }
}
