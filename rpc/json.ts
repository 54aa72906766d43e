/**
 * @module JSON form of engine values: bigint → decimal string, bytes → 0x-hex, Map → object, undefined fields
 * dropped. The RPC and the node's receipt storage both use it, so what is stored is what is served.
 */
import { toHex } from '../state/index.ts'

export type Json = string | number | boolean | null | Json[] | { [key: string]: Json }

export function toJson(value: unknown): Json {
  if (value === null || value === undefined) return null
  if (typeof value === 'bigint') return value.toString()
  if (typeof value === 'string' || typeof value === 'boolean' || typeof value === 'number') return value
  if (value instanceof Uint8Array) return toHex(value)
  if (Array.isArray(value)) return value.map(toJson)
  if (value instanceof Set) return [...value].map(toJson)
  const out: { [key: string]: Json } = {}
  // written into `out` directly, not through arrays of [key, value] pairs: receipts and events go through here for
  // every transaction of a block, and the pairs were ~1 KB of garbage an order (bench/NOTES.md, twelfth pass)
  if (value instanceof Map) {
    for (const [k, v] of value) out[String(k)] = toJson(v)
    return out
  }
  const record = value as Record<string, unknown>
  for (const k of Object.keys(record)) {
    const v = record[k]
    if (v !== undefined) out[k] = toJson(v)
  }
  return out
}
