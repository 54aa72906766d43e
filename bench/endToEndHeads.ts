/**
 * @module Inclusion as a client learns it: a WebSocket `perp_subscribe('newHeads')` gives each committed block
 * the moment its head arrives here (performance.now(), ms), then `perp_block(height).transactions` (fetched in
 * height order, after the arrival is noted) says which transaction hashes it holds.
 */
import { rpc } from './endToEndNode.ts'

export interface Head {
  height: bigint
  /** performance.now() when the newHeads notification arrived, ms */
  arrivedAt: number
  transactionCount: number
}

export interface HeadWatcher {
  heads: Head[]
  /** called with every transaction hash of every block, and the arrival time of that block's head */
  onIncluded: (listener: (hash: string, arrivedAt: number) => void) => void
  /** resolves once every head that arrived so far has had its transactions read */
  settled: () => Promise<void>
  close: () => void
}

export async function watchHeads(wsUrl: string, httpUrl: string): Promise<HeadWatcher> {
  const heads: Head[] = []
  const listeners: ((hash: string, arrivedAt: number) => void)[] = []
  let reading = Promise.resolve()
  const ws = new WebSocket(wsUrl)
  await new Promise<void>((resolve, reject) => {
    ws.onopen = () => resolve()
    ws.onerror = () => reject(new Error(`cannot open ${wsUrl}`))
  })
  let subscribed: () => void = () => {}
  const ready = new Promise<void>((resolve) => {
    subscribed = resolve
  })
  ws.onmessage = (event: MessageEvent) => {
    const arrivedAt = performance.now()
    const msg = JSON.parse(String(event.data)) as {
      id?: number
      method?: string
      params?: { result: { height: string; transactionCount: number } }
    }
    if (msg.id === 1) return subscribed()
    if (msg.method !== 'perp_subscription' || msg.params === undefined) return
    const head = {
      height: BigInt(msg.params.result.height),
      arrivedAt,
      transactionCount: msg.params.result.transactionCount,
    }
    heads.push(head)
    if (head.transactionCount === 0) return
    reading = reading.then(async () => {
      const block = await rpc<{ transactions: string[] } | null>(httpUrl, 'perp_block', [String(head.height)])
      for (const hash of block?.transactions ?? []) for (const l of listeners) l(hash, arrivedAt)
    })
  }
  ws.send(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'perp_subscribe', params: ['newHeads'] }))
  await ready
  return {
    heads,
    onIncluded: (listener) => {
      listeners.push(listener)
    },
    settled: async () => {
      for (let last: Promise<void> | undefined; last !== reading; ) {
        last = reading
        await last
      }
    },
    close: () => ws.close(),
  }
}
