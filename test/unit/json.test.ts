/**
 * toJson (rpc/json.ts), the JSON form the RPC serves and the node stores receipts in: each expected value is
 * written out by hand from the rules in its module comment.
 */
import { describe, expect, it } from 'vitest'
import { toJson } from '../../rpc/index.ts'

describe('toJson', () => {
  it('turns bigints into decimal strings, bytes into 0x-hex, and keeps strings, numbers and booleans', () => {
    expect(toJson(-12345678901234567890n)).toBe('-12345678901234567890')
    expect(toJson(Uint8Array.of(0, 1, 0xfe))).toBe('0x0001fe')
    expect(toJson('a')).toBe('a')
    expect(toJson(7)).toBe(7)
    expect(toJson(false)).toBe(false)
    expect(toJson(null)).toBe(null)
    expect(toJson(undefined)).toBe(null)
  })

  it('drops undefined fields and keeps the others in their order, nested', () => {
    const out = toJson({ b: 1n, a: undefined, c: { z: [2n, undefined], y: null }, d: true })
    expect(out).toEqual({ b: '1', c: { z: ['2', null], y: null }, d: true })
    expect(Object.keys(out as object)).toEqual(['b', 'c', 'd'])
  })

  it('turns a Map into an object keyed by String(key), and a Set into an array', () => {
    const m = new Map<unknown, unknown>([
      [3, 30n],
      [1n, Uint8Array.of(0xab)],
      ['x', new Set([1, 2])],
    ])
    const out = toJson(m)
    expect(out).toEqual({ '3': '30', '1': '0xab', x: [1, 2] })
    expect(toJson(new Map())).toEqual({})
  })

  it('reads own fields only', () => {
    const proto = { inherited: 1 }
    const value = Object.create(proto) as Record<string, unknown>
    value.own = 2n
    expect(toJson(value)).toEqual({ own: '2' })
  })
})
