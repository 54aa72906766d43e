/**
 * @module The fuzzer's mutations: from a valid request of some method (scripts/rpc-fuzz-payloads.ts) to one
 * request body. Each mutation is named, so the run can report how many of each it sent.
 */
import type { Rand, SignedWire } from './rpc-fuzz-payloads.ts'
import { junkJson, validParams } from './rpc-fuzz-payloads.ts'

const pick = <T>(rand: Rand, xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)] as T
const int = (rand: Rand, lo: number, hi: number): number => lo + Math.floor(rand() * (hi - lo + 1))

export interface FuzzContext {
  rand: Rand
  methods: readonly string[]
  pool: readonly SignedWire[]
  /** bytes: bodies over it must be answered 413 */
  bodyLimit: number
  maxBatch: number
}

let nextId = 1
const JUNK = '@@fuzz-junk@@'

function request(ctx: FuzzContext, method = pick(ctx.rand, ctx.methods)): Record<string, unknown> {
  return { jsonrpc: '2.0', id: nextId++, method, params: validParams(method, ctx.rand, ctx.pool) ?? [] }
}

/** Replaces the text of one param with junk JSON. */
function wrongParam(ctx: FuzzContext): string {
  const r = request(ctx)
  const params = r.params as unknown[]
  const at = params.length === 0 ? 0 : int(ctx.rand, 0, params.length)
  const texts = params.map((p) => JSON.stringify(p))
  texts[at] = junkJson(ctx.rand)
  return `{"jsonrpc":"2.0","id":${r.id},"method":${JSON.stringify(r.method)},"params":[${texts.join(',')}]}`
}

/** Flips one hex digit of a signed transaction's signature or message, or changes a field's type. */
function flippedTx(ctx: FuzzContext): string {
  const { rand } = ctx
  const tx = structuredClone(pick(rand, ctx.pool)) as unknown as Record<string, unknown>
  const message = tx.message as Record<string, unknown>
  const flip = (hex: string): string => {
    const i = int(rand, 2, hex.length - 1)
    const c = hex[i] === 'f' ? '0' : (parseInt(hex[i] as string, 16) + 1).toString(16)
    return `${hex.slice(0, i)}${c}${hex.slice(i + 1)}`
  }
  const keys = Object.keys(message)
  const field = pick(rand, keys)
  const v = message[field]
  switch (int(rand, 0, 6)) {
    case 0:
      tx.signature = flip(tx.signature as string)
      break
    case 1:
      if (typeof v === 'string' && v.startsWith('0x')) message[field] = flip(v)
      else if (typeof v === 'string') message[field] = `${v}1`
      else if (typeof v === 'boolean') message[field] = !v
      else message[field] = 'x'
      break
    case 2:
      message[field] = JUNK // replaced by junk JSON text below (JSON.stringify cannot write 60,000 levels)
      break
    case 3:
      delete message[field]
      break
    case 4:
      message[`${field}_`] = v
      break
    case 5:
      tx.kind = pick(rand, ['order', 'cancel', 'mint', '', 'ORDER', 'oracleReport', 'deposit'])
      break
    default:
      tx.signature = `${(tx.signature as string).slice(0, int(rand, 2, 131))}`
  }
  const body = JSON.stringify({ jsonrpc: '2.0', id: nextId++, method: 'perp_sendTransaction', params: [tx] })
  return body.replace(`"${JUNK}"`, () => junkJson(rand))
}

function envelope(ctx: FuzzContext): string {
  const { rand } = ctx
  const r = request(ctx)
  switch (int(rand, 0, 7)) {
    case 0:
      r.jsonrpc = pick(rand, ['1.0', 2, null, '2.0 '])
      break
    case 1:
      delete r.jsonrpc
      break
    case 2:
      r.method = pick(rand, [7, null, '', 'PERP_CHAININFO', 'rpc.', '__proto__', 'constructor', 'perp_chainInfo\u0000'])
      break
    case 3:
      r.id = pick(rand, [{}, [], true, 1.5, -1, 2 ** 60, 'é😀', '', null])
      break
    case 4:
      delete r.id // a notification
      break
    case 5:
      r.params = pick(rand, [{}, 'x', 1, null, { 0: 1 }])
      break
    case 6:
      r.extra = junkJson(rand)
      break
    default:
      r.method = `${r.method}${pick(rand, ['😀', '\ud800', ' ', 'x'])}`
  }
  return JSON.stringify(r)
}

function duplicateKeys(ctx: FuzzContext): string {
  const r = request(ctx)
  const body = JSON.stringify(r)
  const other = JSON.stringify(pick(ctx.rand, ctx.methods))
  return pick(ctx.rand, [
    body.replace('{', `{"method":${other},`),
    body.replace('{', `{"id":"first",`),
    body.replace(/}$/, `,"jsonrpc":"1.0"}`),
    body.replace(/}$/, `,"params":${junkJson(ctx.rand)}}`),
    body.replace(/}$/, `,"method":${other}}`),
  ])
}

function batch(ctx: FuzzContext): string {
  const { rand } = ctx
  const n = rand() < 0.05 ? pick(rand, [0, ctx.maxBatch, ctx.maxBatch + 1, ctx.maxBatch + 50]) : int(rand, 1, 30)
  const parts = Array.from({ length: n }, () => {
    const k = rand()
    if (k < 0.4) return JSON.stringify(request(ctx))
    if (k < 0.55) return wrongParam(ctx)
    if (k < 0.7) return flippedTx(ctx)
    if (k < 0.8) return envelope(ctx)
    return junkJson(rand).replace(/^\[+1$/, '1')
  })
  return `[${parts.join(',')}]`
}

function truncated(ctx: FuzzContext): string {
  const body = rand2(ctx) ? JSON.stringify(request(ctx)) : batch(ctx)
  return body.slice(0, int(ctx.rand, 0, Math.max(0, body.length - 1)))
}
const rand2 = (ctx: FuzzContext): boolean => ctx.rand() < 0.5

function deepNesting(ctx: FuzzContext): string {
  const depth = int(ctx.rand, 100, 60_000)
  const r = request(ctx)
  return pick(ctx.rand, [
    `${'['.repeat(depth)}${JSON.stringify(r)}${']'.repeat(depth)}`,
    `{"jsonrpc":"2.0","id":1,"method":${JSON.stringify(r.method)},"params":${'['.repeat(depth)}${']'.repeat(depth)}}`,
    JSON.stringify(r).replace('"params":[', `"params":[${'{"a":'.repeat(depth / 10)}1${'}'.repeat(depth / 10)},`),
  ])
}

function garbage(ctx: FuzzContext): string {
  const n = int(ctx.rand, 0, 200)
  let s = ''
  for (let i = 0; i < n; i++) s += String.fromCharCode(int(ctx.rand, 0, 0xffff))
  return pick(ctx.rand, [s, '', ' ', 'null', '"x"', '42', 'true', '{', '[', ']', '{"jsonrpc":"2.0"}'])
}

function oversized(ctx: FuzzContext): string {
  const r = request(ctx, 'perp_chainInfo')
  return JSON.stringify({ ...r, pad: 'x'.repeat(ctx.bodyLimit + int(ctx.rand, 1, 1000)) })
}

/** Mutation name → weight (per 1,000) and maker. */
export const MUTATIONS: readonly (readonly [string, number, (ctx: FuzzContext) => string])[] = [
  ['valid', 150, (ctx) => JSON.stringify(request(ctx))],
  ['wrong-param', 200, wrongParam],
  ['flipped-tx', 200, flippedTx],
  ['envelope', 100, envelope],
  ['duplicate-keys', 60, duplicateKeys],
  ['batch', 140, batch],
  ['truncated', 70, truncated],
  ['deep-nesting', 30, deepNesting],
  ['garbage', 48, garbage],
  ['oversized', 2, oversized],
]

/** One payload: its mutation's name and the request body. */
export function nextPayload(ctx: FuzzContext): { mutation: string; body: string } {
  let at = ctx.rand() * 1000
  for (const [name, weight, make] of MUTATIONS) {
    at -= weight
    if (at < 0) return { mutation: name, body: make(ctx) }
  }
  return { mutation: 'valid', body: JSON.stringify(request(ctx)) }
}
