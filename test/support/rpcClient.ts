/**
 * Minimal JSON-RPC over HTTP for tests: real sockets, no SDK, so the tests see the wire as a client does.
 */
export interface RpcReply {
  status: number
  body: {
    jsonrpc: string
    id: unknown
    result?: unknown
    error?: { code: number; message: string; data?: { reason?: string; field?: string } }
  }
}

export async function rpcRaw(url: string, body: string): Promise<{ status: number; text: string }> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body })
  return { status: res.status, text: await res.text() }
}

export async function rpc(url: string, method: string, params: unknown[] = []): Promise<RpcReply> {
  const { status, text } = await rpcRaw(url, JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }))
  return { status, body: JSON.parse(text) }
}

export async function call<T = unknown>(url: string, method: string, params: unknown[] = []): Promise<T> {
  const r = await rpc(url, method, params)
  if (r.body.error !== undefined) throw new Error(`${method}: ${r.body.error.code} ${r.body.error.message}`)
  return r.body.result as T
}

export async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 15_000): Promise<T> {
  const until = Date.now() + timeoutMs
  for (;;) {
    const v = await probe()
    if (v !== undefined) return v
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 50))
  }
}
