/**
 * The OpenRPC document `rpc.discover` answers: its structure (OpenRPC 1.2 objects), every method of the table in
 * it, every `$ref` resolving, the error table complete, and the example requests of docs/rpc.md valid against
 * the document itself (read as a client would: the JSON, with its own components).
 */
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import type { JsonSchema } from '../../rpc/index.ts'
import {
  APP_ERRORS,
  METHOD_SPECS,
  OPENRPC_VERSION,
  openRpcDocument,
  PROTOCOL_ERRORS,
  validate,
} from '../../rpc/index.ts'

interface Descriptor {
  name: string
  summary?: string
  required?: boolean
  schema: JsonSchema
}
interface MethodObject {
  name: string
  summary: string
  paramStructure: string
  params: Descriptor[]
  result: Descriptor
  errors: { $ref: string }[]
  servers?: { url: string }[]
}
interface Doc {
  openrpc: string
  info: { title: string; version: string }
  servers: { name: string; url: string }[]
  methods: MethodObject[]
  components: { schemas: Record<string, JsonSchema>; errors: Record<string, { code: number; message: string }> }
}

const doc = JSON.parse(JSON.stringify(openRpcDocument('9.9.9'))) as Doc

/** Every `$ref` string anywhere in a JSON value. */
function refs(v: unknown, out: string[] = []): string[] {
  if (Array.isArray(v)) for (const x of v) refs(x, out)
  else if (typeof v === 'object' && v !== null)
    for (const [k, x] of Object.entries(v)) {
      if (k === '$ref' && typeof x === 'string') out.push(x)
      else refs(x, out)
    }
  return out
}

function resolve(ref: string): unknown {
  if (!ref.startsWith('#/')) return undefined
  let at: unknown = doc
  for (const part of ref.slice(2).split('/')) at = (at as Record<string, unknown> | undefined)?.[part]
  return at
}

describe('the OpenRPC document', () => {
  it('is an OpenRPC 1.2 document with info and servers', () => {
    expect(doc.openrpc).toBe(OPENRPC_VERSION)
    expect(doc.openrpc).toMatch(/^1\.2\.\d+$/)
    expect(doc.info).toMatchObject({ title: expect.any(String), version: '9.9.9' })
    expect(doc.servers.map((s) => s.name)).toEqual(['http', 'ws'])
    for (const s of doc.servers) expect(s.url).toMatch(/^(http|ws):\/\//)
  })
  it('lists every method of the table once, by position, each with params, result and errors', () => {
    const names = doc.methods.map((m) => m.name)
    expect(new Set(names).size).toBe(names.length)
    expect(names.sort()).toEqual(METHOD_SPECS.map((m) => m.name).sort())
    for (const required of [
      'perp_sendTransaction',
      'perp_subscribe',
      'perp_unsubscribe',
      'rpc.discover',
      'eth_chainId',
    ])
      expect(names).toContain(required)
    for (const m of doc.methods) {
      expect(m.paramStructure).toBe('by-position')
      expect(m.summary.length).toBeGreaterThan(0)
      for (const p of m.params) {
        expect(p.name).toMatch(/^[a-zA-Z]+$/)
        expect(typeof p.required).toBe('boolean')
        expect(typeof p.schema).toBe('object')
      }
      // a required param never follows an optional one (positional)
      const req = m.params.map((p) => p.required)
      expect(req).toEqual([...req].sort((a, b) => Number(b) - Number(a)))
      expect(m.result.name.length).toBeGreaterThan(0)
      for (const e of m.errors) expect(e.$ref).toMatch(/^#\/components\/errors\//)
    }
  })
  it('serves the subscription methods on the WebSocket server only', () => {
    for (const name of ['perp_subscribe', 'perp_unsubscribe']) {
      const m = doc.methods.find((x) => x.name === name)
      expect(m?.servers?.map((s) => s.url)).toEqual(['ws://{host}:{port}/ws'])
    }
    const subscribe = doc.methods.find((x) => x.name === 'perp_subscribe') as MethodObject
    expect(subscribe.params[0]?.schema.enum).toEqual(['newHeads', 'fills', 'orderBook', 'liquidations', 'account'])
  })
  it('every $ref resolves inside the document', () => {
    const all = refs(doc)
    expect(all.length).toBeGreaterThan(20)
    for (const r of all) expect(resolve(r), r).toBeDefined()
  })
  it('names components as OpenRPC requires', () => {
    for (const group of [doc.components.schemas, doc.components.errors])
      for (const key of Object.keys(group)) expect(key).toMatch(/^[a-zA-Z0-9.\-_]+$/)
  })
  it('holds the whole error table with the codes of rpc/errors.ts, each code once', () => {
    const errors = doc.components.errors
    for (const [reason, code] of Object.entries(APP_ERRORS)) {
      expect(errors[reason]?.code).toBe(code)
      // a meaning written for it, not the reason repeated
      expect(errors[reason]?.message).not.toBe(reason)
    }
    for (const [name, code] of Object.entries(PROTOCOL_ERRORS)) expect(errors[name]?.code).toBe(code)
    const codes = Object.values(errors).map((e) => e.code)
    expect(new Set(codes).size).toBe(codes.length)
  })
  it('every method can answer RATE_LIMITED, and methods with params -32602', () => {
    for (const m of doc.methods) {
      const errs = m.errors.map((e) => e.$ref.split('/').at(-1))
      expect(errs).toContain('RATE_LIMITED')
      if (m.params.length > 0) expect(errs).toContain('invalidParams')
    }
  })
})

/** The JSON-RPC request bodies in docs/rpc.md: `-d '…'` arguments of curl lines and ```json request blocks. */
function docExamples(): unknown[] {
  const text = readFileSync(new URL('../../docs/rpc.md', import.meta.url), 'utf8')
  const bodies = [...text.matchAll(/-d '([^']+)'/g)].map((m) => m[1] as string)
  for (const m of text.matchAll(/```json\n([\s\S]*?)```/g))
    if ((m[1] as string).includes('"jsonrpc"')) bodies.push(m[1] as string)
  return bodies.flatMap((b) => {
    const parsed = JSON.parse(b) as unknown
    return Array.isArray(parsed) ? parsed : [parsed]
  })
}

describe('the example requests in docs/rpc.md are valid against the document', () => {
  const examples = docExamples() as { jsonrpc: string; method: string; params?: unknown[] }[]
  it('there are examples of reads, a write, a batch and discovery', () => {
    const methods = new Set(examples.map((e) => e.method))
    for (const m of ['perp_orderBook', 'perp_account', 'perp_sendTransaction', 'rpc.discover'])
      expect(methods).toContain(m)
  })
  it.each(examples.map((e) => [e.method, e]))('%s', (_name, e) => {
    expect(e.jsonrpc).toBe('2.0')
    const m = doc.methods.find((x) => x.name === e.method)
    expect(m, e.method).toBeDefined()
    const params = e.params ?? []
    const specs = (m as MethodObject).params
    expect(params.length).toBeLessThanOrEqual(specs.length)
    specs.forEach((p, i) => {
      if (params[i] === undefined) expect(p.required, `${e.method} ${p.name} is required`).toBe(false)
      else expect(validate(p.schema, params[i], doc.components.schemas), `${e.method} ${p.name}`).toBeUndefined()
    })
    // a transaction's message is checked against its kind's message schema
    if (e.method === 'perp_sendTransaction') {
      const tx = params[0] as { kind: string; message: unknown }
      const kind = `${tx.kind[0]?.toUpperCase()}${tx.kind.slice(1)}Message`
      expect(validate({ $ref: `#/components/schemas/${kind}` }, tx.message, doc.components.schemas)).toBeUndefined()
    }
  })
})
