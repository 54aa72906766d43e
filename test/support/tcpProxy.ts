/**
 * A TCP proxy on 127.0.0.1 that a test puts between two nodes and can cut: `cut()` resets every connection it
 * carries (both ends see ECONNRESET at once, as after a crashed router or a pulled cable that the kernel notices)
 * and resets each new one until `restore()`. The listening port stays the same throughout, so a node that
 * redials its bootstrap address reaches the other side again as soon as the proxy is restored.
 */
import type { Server, Socket } from 'node:net'
import { connect, createServer } from 'node:net'

export interface TcpProxy {
  /** the proxy's port on 127.0.0.1 */
  readonly port: number
  /** connections forwarded so far */
  readonly forwarded: number
  /** connections reset while cut (existing ones at the cut, and every new attempt until restored) */
  readonly reset: number
  /** connections open through the proxy right now */
  readonly open: number
  /** resets every connection and every new one until restore() */
  cut(): void
  restore(): void
  close(): Promise<void>
}

/** Forwards 127.0.0.1:<port> to 127.0.0.1:<targetPort>. */
export async function startTcpProxy(targetPort: number): Promise<TcpProxy> {
  const pairs = new Set<[Socket, Socket]>()
  let isCut = false
  let forwarded = 0
  let reset = 0

  const server: Server = createServer((client) => {
    if (isCut) {
      reset++
      client.resetAndDestroy()
      return
    }
    forwarded++
    const upstream = connect({ host: '127.0.0.1', port: targetPort })
    const pair: [Socket, Socket] = [client, upstream]
    pairs.add(pair)
    const drop = (): void => {
      pairs.delete(pair)
      if (!client.destroyed) client.destroy()
      if (!upstream.destroyed) upstream.destroy()
    }
    for (const s of pair) {
      s.setNoDelay(true)
      s.on('error', drop)
      s.on('close', drop)
    }
    client.pipe(upstream)
    upstream.pipe(client)
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => resolve())
  })
  const address = server.address()
  const port = typeof address === 'object' && address !== null ? address.port : 0

  return {
    port,
    get forwarded() {
      return forwarded
    },
    get reset() {
      return reset
    },
    get open() {
      return pairs.size
    },
    cut() {
      isCut = true
      for (const pair of [...pairs]) {
        pairs.delete(pair)
        reset++
        // RST both ways: neither end waits for a FIN handshake or for buffered data to drain
        for (const s of pair) if (!s.destroyed) s.resetAndDestroy()
      }
    },
    restore() {
      isCut = false
    },
    async close() {
      isCut = true
      for (const pair of pairs) for (const s of pair) s.destroy()
      pairs.clear()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}
