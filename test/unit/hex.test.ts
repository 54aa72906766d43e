/**
 * Hex conversion (state/hash.ts) against independent references: Node's Buffer for the bytes, and the regex
 * parser fromHex used to be for which strings are accepted. Inputs come from a seeded generator, so a failure
 * reproduces.
 */
import { Buffer } from 'node:buffer'
import { describe, expect, it } from 'vitest'
import { seededRandom } from '../../engine/index.ts'
import { fromHex, hexInto, isHex, toHex } from '../../state/index.ts'

/** The engine's seeded generator (mulberry32) as 32-bit integers, uniform in [0, 2^32). */
function generator(seed: number): () => number {
  const random = seededRandom(seed)
  return () => Math.floor(random() * 2 ** 32)
}

function randomBytes(next: () => number, length: number): Uint8Array {
  const out = new Uint8Array(length)
  for (let i = 0; i < length; i++) out[i] = next() & 0xff
  return out
}

/** The parser as it was written first (regex, then parseInt per byte): the reference for accept or reject. */
function referenceFromHex(hex: string): Uint8Array {
  const body = hex.startsWith('0x') || hex.startsWith('0X') ? hex.slice(2) : hex
  if (body.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(body)) throw new Error(`invalid hex: ${hex.slice(0, 20)}`)
  return new Uint8Array(Buffer.from(body, 'hex'))
}

/** Random case for each letter digit: the parser takes both. */
function mixCase(next: () => number, hex: string): string {
  let out = ''
  for (const c of hex) out += next() & 1 ? c.toUpperCase() : c
  return out
}

const LENGTHS = [...Array.from({ length: 130 }, (_, i) => i), 255, 256, 1000, 4095, 4096, 4097, 8193, 100_000]

describe('toHex', () => {
  it('matches Buffer on random bytes of many lengths, 0x-prefixed and lowercase', () => {
    const next = generator(1)
    for (const length of LENGTHS)
      for (let k = 0; k < 3; k++) {
        const bytes = randomBytes(next, length)
        expect(toHex(bytes)).toBe(`0x${Buffer.from(bytes).toString('hex')}`)
      }
  })

  it('every byte value, and a view into a larger buffer', () => {
    const all = Uint8Array.from({ length: 256 }, (_, i) => i)
    expect(toHex(all)).toBe(`0x${Buffer.from(all).toString('hex')}`)
    expect(toHex(all.subarray(250, 253))).toBe('0xfafbfc')
    expect(toHex(new Uint8Array(0))).toBe('0x')
  })

  it('a string already returned is unchanged by later calls of the same length (they share a code array)', () => {
    const first = toHex(new Uint8Array(32).fill(0xab))
    const second = toHex(new Uint8Array(32).fill(0x01))
    expect(first).toBe(`0x${'ab'.repeat(32)}`)
    expect(second).toBe(`0x${'01'.repeat(32)}`)
  })
})

describe('fromHex', () => {
  it('hexInto writes the bytes at a place in a buffer and nowhere else, and refuses another length', () => {
    const buffer = new Uint8Array(8).fill(0xee)
    hexInto('0x0a0B0c', 3, buffer, 2)
    expect([...buffer]).toEqual([0xee, 0xee, 0x0a, 0x0b, 0x0c, 0xee, 0xee, 0xee])
    hexInto('0d0e', 2, buffer, 6)
    expect([...buffer]).toEqual([0xee, 0xee, 0x0a, 0x0b, 0x0c, 0xee, 0x0d, 0x0e])
    expect(() => hexInto('0x0a0b', 3, buffer, 2)).toThrow('invalid hex')
    expect(() => hexInto('0x0a0b0c0d', 3, buffer, 2)).toThrow('invalid hex')
  })

  it('inverts toHex and matches Buffer, with or without 0x/0X, in any letter case', () => {
    const next = generator(2)
    for (const length of LENGTHS) {
      const bytes = randomBytes(next, length)
      const body = mixCase(next, Buffer.from(bytes).toString('hex'))
      const expected = Buffer.from(bytes).toString('hex')
      // compared as Buffer's hex of the result: toEqual on long arrays is slow
      for (const hex of [toHex(bytes), `0x${body}`, `0X${body}`, body])
        expect(Buffer.from(fromHex(hex)).toString('hex')).toBe(expected)
    }
  })

  it('refuses what is not even-length hex, with the same message as before', () => {
    const bad = [
      '0', // odd
      '0x0',
      'abc',
      '0xg0',
      'g0',
      '0x 0',
      ' 00',
      '00 ',
      '0x0x',
      '0x0x00',
      'x0',
      '0xx0',
      '00-1',
      '0x+1',
      '\u00e1\u00e1', // code 0xe1: its low 7 bits are 'a'
      '\u0130\u0130', // code 0x130: its low 7 bits are '0'
      '\uff10\uff10', // fullwidth digits
      '\u{1f600}', // a surrogate pair: two code units
      'é0',
      '0\0',
    ]
    for (const hex of bad) expect(() => fromHex(hex), JSON.stringify(hex)).toThrow(`invalid hex: ${hex.slice(0, 20)}`)
    const long = `0x${'ab'.repeat(30)}z`
    expect(() => fromHex(long)).toThrow(new Error(`invalid hex: ${long.slice(0, 20)}`))
  })

  it('accepts and refuses exactly what the regex parser did, on random strings of hex and near-hex characters', () => {
    const next = generator(3)
    const alphabet = ['0', '9', 'a', 'f', 'A', 'F', 'g', 'G', 'x', 'X', ' ', '/', ':', '@', '`', '\u00e1', '\u0130']
    let accepted = 0
    for (let k = 0; k < 20_000; k++) {
      let s = next() % 3 === 0 ? (next() & 1 ? '0x' : '0X') : ''
      const length = next() % 9
      // mostly hex digits, so that both outcomes are common
      for (let i = 0; i < length; i++) s += alphabet[next() % 8 < 6 ? next() % 6 : next() % alphabet.length]
      let expected: Uint8Array | string
      try {
        expected = referenceFromHex(s)
        accepted++
      } catch (e) {
        expected = (e as Error).message
      }
      if (typeof expected === 'string') expect(() => fromHex(s), JSON.stringify(s)).toThrow(expected)
      else expect(fromHex(s), JSON.stringify(s)).toEqual(expected)
    }
    expect(accepted).toBeGreaterThan(2_000)
  })
})

describe('isHex', () => {
  it('answers exactly as /^0x[0-9a-fA-F]{n}$/u does, on random strings of hex and near-hex characters', () => {
    const next = generator(4)
    const alphabet = ['0', '9', 'a', 'f', 'A', 'F', 'g', 'G', 'x', 'X', ' ', '/', ':', '@', '`', '\u00e1', '\u0130']
    const expressions = new Map([0, 1, 2, 5, 8].map((n) => [n, new RegExp(`^0x[0-9a-fA-F]{${n}}$`, 'u')]))
    let accepted = 0
    for (let k = 0; k < 20_000; k++) {
      const prefix = ['0x', '0X', '', 'x', '00x'][next() % 5] as string
      let s = prefix
      const length = next() % 10
      for (let i = 0; i < length; i++) s += alphabet[next() % 8 < 6 ? next() % 6 : next() % alphabet.length]
      for (const [digits, re] of expressions) {
        const expected = re.test(s)
        if (expected) accepted++
        expect(isHex(s, digits), `${JSON.stringify(s)} with ${digits} digits`).toBe(expected)
      }
    }
    expect(accepted).toBeGreaterThan(1_000)
  })

  it('takes a signature and an address, and refuses a digit short, a digit over, and a non-ASCII digit', () => {
    const sig = `0x${'aB'.repeat(65)}`
    expect([isHex(sig, 130), isHex(sig, 128), isHex(sig.slice(0, -1), 130), isHex(`${sig}0`, 130)]).toEqual([
      true,
      false,
      false,
      false,
    ])
    expect(isHex(`0x${'0'.repeat(39)}\u0130`, 40)).toBe(false) // code 0x130: its low 7 bits are '0'
    expect(isHex(`0x${'f'.repeat(40)}`, 40)).toBe(true)
  })
})
