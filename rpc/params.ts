/**
 * @module Positional parameter readers with uniform -32602 errors that name the parameter.
 */
import { invalidParams } from './errors.ts'

export function paramList(params: unknown, max: number): unknown[] {
  if (params === undefined) return []
  if (!Array.isArray(params)) throw invalidParams('params must be an array (positional)')
  if (params.length > max) throw invalidParams(`at most ${max} params`)
  return params
}

export function uint(v: unknown, name: string, max: number, fallback?: number): number {
  if (v === undefined && fallback !== undefined) return fallback
  const n = typeof v === 'string' && /^[0-9]{1,10}$/.test(v) ? Number(v) : v
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n > max)
    throw invalidParams(`${name} must be an integer from 0 to ${max}`, name)
  return n
}

export function address(v: unknown, name: string): string {
  if (typeof v !== 'string' || !/^0x[0-9a-fA-F]{40}$/.test(v)) throw invalidParams(`${name} must be a 0x address`, name)
  return v.toLowerCase()
}

export function hash32(v: unknown, name: string): string {
  if (typeof v !== 'string' || !/^0x[0-9a-fA-F]{64}$/.test(v))
    throw invalidParams(`${name} must be a 32-byte 0x hash`, name)
  return v.toLowerCase()
}

export function blockTag(v: unknown, name: string): bigint | 'latest' {
  if (v === undefined || v === 'latest') return 'latest'
  if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) return BigInt(v)
  if (typeof v === 'string' && /^[0-9]{1,19}$/.test(v)) return BigInt(v)
  throw invalidParams(`${name} must be a block height (decimal) or "latest"`, name)
}

export function object(v: unknown, name: string): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw invalidParams(`${name} must be an object`, name)
  return v as Record<string, unknown>
}
