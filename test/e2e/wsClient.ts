/**
 * A minimal JSON-RPC client over WebSocket for the tests: Node's own WebSocket (a real client on a real socket),
 * requests matched to answers by id, notifications kept per subscription in arrival order.
 */

export interface WsAnswer {
  jsonrpc: '2.0'
  id: number | string | null
  result?: unknown
  error?: { code: number; message: string; data?: { reason?: string; field?: string } }
}

export interface Notification {
  subscription: string
  result: unknown
}

export function wsUrl(rpcUrl: string): string {
  return `${rpcUrl.replace(/^http/, 'ws')}/ws`
}

export class WsClient {
  readonly socket: WebSocket
  /** every frame received, parsed, in order */
  readonly frames: unknown[] = []
  readonly #waiting = new Map<number | string, (a: WsAnswer) => void>()
  readonly #notes = new Map<string, unknown[]>()
  readonly #listeners = new Set<() => void>()
  #nextId = 1
  closed: Promise<{ code: number; reason: string }>

  private constructor(socket: WebSocket) {
    this.socket = socket
    this.closed = new Promise((resolve) =>
      socket.addEventListener('close', (e) => {
        resolve({ code: e.code, reason: e.reason })
        for (const l of this.#listeners) l()
      }),
    )
    socket.addEventListener('message', (e) => {
      const msg = JSON.parse(String(e.data)) as Record<string, unknown>
      this.frames.push(msg)
      if (msg.method === 'perp_subscription') {
        const p = msg.params as Notification
        const list = this.#notes.get(p.subscription) ?? []
        list.push(p.result)
        this.#notes.set(p.subscription, list)
      } else if (!Array.isArray(msg) && msg.id !== undefined && msg.id !== null) {
        this.#waiting.get(msg.id as number)?.(msg as unknown as WsAnswer)
        this.#waiting.delete(msg.id as number)
      }
      for (const l of this.#listeners) l()
    })
  }

  static open(rpcUrl: string): Promise<WsClient> {
    const socket = new WebSocket(wsUrl(rpcUrl))
    return new Promise((resolve, reject) => {
      socket.addEventListener('open', () => resolve(new WsClient(socket)), { once: true })
      socket.addEventListener('error', () => reject(new Error('websocket did not open')), { once: true })
    })
  }

  /** Sends one request and resolves with its answer. */
  request(method: string, params: unknown[] = []): Promise<WsAnswer> {
    const id = this.#nextId++
    const answer = new Promise<WsAnswer>((resolve) => this.#waiting.set(id, resolve))
    this.socket.send(JSON.stringify({ jsonrpc: '2.0', id, method, params }))
    return answer
  }

  async call<T = unknown>(method: string, params: unknown[] = []): Promise<T> {
    const a = await this.request(method, params)
    if (a.error !== undefined) throw new Error(`${method}: ${a.error.code} ${a.error.message}`)
    return a.result as T
  }

  async subscribe(topic: string, params?: unknown): Promise<string> {
    return this.call<string>('perp_subscribe', params === undefined ? [topic] : [topic, params])
  }

  notifications<T = unknown>(subscription: string): T[] {
    return (this.#notes.get(subscription) ?? []) as T[]
  }

  /** Resolves once `probe` returns a value (checked at every frame), or fails after `timeoutMs`. */
  until<T>(what: string, probe: () => T | undefined, timeoutMs = 15_000): Promise<T> {
    return new Promise((resolve, reject) => {
      const check = (): void => {
        const v = probe()
        if (v === undefined) return
        cleanup()
        resolve(v)
      }
      const timer = setTimeout(() => {
        cleanup()
        reject(new Error(`timed out waiting for ${what}`))
      }, timeoutMs)
      const cleanup = (): void => {
        clearTimeout(timer)
        this.#listeners.delete(check)
      }
      this.#listeners.add(check)
      check()
    })
  }

  /** The next frame that is not a notification (an answer to a frame sent without an id, or an error). */
  nextAnswerAfter(count: number): Promise<WsAnswer> {
    return this.until('an answer', () =>
      this.frames.slice(count).find((f) => (f as { method?: string }).method !== 'perp_subscription'),
    ) as Promise<WsAnswer>
  }

  close(): void {
    this.socket.close()
  }
}

/**
 * A bare client on a TCP socket: completes the WebSocket handshake by hand and then writes masked text frames,
 * reading nothing unless asked. It behaves as a stalled consumer does (the kernel buffers fill, then the server's).
 */
export async function rawWebSocket(rpcUrl: string): Promise<{
  socket: import('node:net').Socket
  sendText: (text: string) => void
}> {
  const { connect } = await import('node:net')
  const { randomBytes } = await import('node:crypto')
  const url = new URL(rpcUrl)
  const socket = connect(Number(url.port), url.hostname)
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve)
    socket.once('error', reject)
  })
  socket.write(
    `GET /ws HTTP/1.1\r\nHost: ${url.host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
      `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
  )
  await new Promise<void>((resolve) => {
    let head = ''
    const onData = (chunk: Buffer): void => {
      head += chunk.toString('latin1')
      if (!head.includes('\r\n\r\n')) return
      socket.off('data', onData)
      socket.pause()
      resolve()
    }
    socket.on('data', onData)
  })
  const sendText = (text: string): void => {
    const payload = Buffer.from(text)
    const mask = randomBytes(4)
    const len = payload.length
    const header =
      len < 126
        ? Buffer.from([0x81, 0x80 | len])
        : len < 65536
          ? Buffer.from([0x81, 0x80 | 126, len >> 8, len & 0xff])
          : Buffer.concat([Buffer.from([0x81, 0x80 | 127]), bigEndian64(len)])
    const masked = Buffer.alloc(len)
    for (let i = 0; i < len; i++) masked[i] = (payload[i] as number) ^ (mask[i % 4] as number)
    socket.write(Buffer.concat([header, mask, masked]))
  }
  return { socket, sendText }
}

function bigEndian64(n: number): Buffer {
  const b = Buffer.alloc(8)
  b.writeBigUInt64BE(BigInt(n))
  return b
}
