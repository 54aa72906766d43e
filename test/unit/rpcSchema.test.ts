/**
 * The RPC's schema validator and parameter reading: each keyword it supports, the decimal range patterns against
 * bigint comparison, the message schemas against the engine's own decoder (they must accept the same messages),
 * and the -32602 messages that name the field.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { decodeMessage, EIP712_TYPES, MessageError, PRIMARY_TYPE, TX_KINDS } from '../../engine/index.ts'
import type { JsonSchema } from '../../rpc/index.ts'
import { METHODS_BY_NAME, PROTOCOL_ERRORS, RpcError, SCHEMA_TABLE, validate } from '../../rpc/index.ts'
import { readParams } from '../../rpc/params.ts'
import { decimalAtMost } from '../../rpc/schema.ts'
import { MAX_ARRAY_ITEMS } from '../../rpc/schemaComponents.ts'

const ok = (s: JsonSchema, v: unknown) => validate(s, v, SCHEMA_TABLE) === undefined

describe('validator keywords', () => {
  it('type: integer is a number without fraction; number admits integers', () => {
    expect(ok({ type: 'integer' }, 3)).toBe(true)
    expect(ok({ type: 'integer' }, 3.5)).toBe(false)
    expect(ok({ type: 'integer' }, '3')).toBe(false)
    expect(ok({ type: 'number' }, 3)).toBe(true)
    expect(ok({ type: 'object' }, [])).toBe(false)
    expect(ok({ type: 'array' }, {})).toBe(false)
    expect(ok({ type: 'null' }, null)).toBe(true)
    expect(ok({ type: ['string', 'null'] }, null)).toBe(true)
  })
  it('string length is checked before the pattern, and patterns are anchored by the schema', () => {
    const s: JsonSchema = { type: 'string', maxLength: 4, pattern: '^a+$' }
    expect(ok(s, 'aaaa')).toBe(true)
    expect(ok(s, 'aaaaa')).toBe(false)
    expect(ok(s, 'aab')).toBe(false)
  })
  it('minimum, maximum, enum, const', () => {
    expect(ok({ minimum: 1, maximum: 2 }, 0)).toBe(false)
    expect(ok({ minimum: 1, maximum: 2 }, 2)).toBe(true)
    expect(ok({ enum: ['a', 1] }, 1)).toBe(true)
    expect(ok({ enum: ['a', 1] }, '1')).toBe(false)
    expect(ok({ const: 'latest' }, 'latest')).toBe(true)
  })
  it('objects: required, unknown properties only when additionalProperties is false', () => {
    const s: JsonSchema = { type: 'object', properties: { a: { type: 'integer' } }, required: ['a'] }
    expect(ok(s, { a: 1, b: 2 })).toBe(true)
    expect(ok({ ...s, additionalProperties: false }, { a: 1, b: 2 })).toBe(false)
    expect(validate(s, {}, SCHEMA_TABLE)).toMatchObject({ path: ['a'], keyword: 'missing' })
    // an inherited name is not a property of the value
    expect(ok(s, JSON.parse('{"__proto__":{"a":1}}'))).toBe(false)
  })
  it('oneOf needs exactly one branch, anyOf at least one', () => {
    const both: JsonSchema[] = [{ type: 'integer' }, { type: 'number' }]
    expect(ok({ oneOf: both }, 1)).toBe(false)
    expect(ok({ anyOf: both }, 1)).toBe(true)
    expect(ok({ oneOf: both }, 1.5)).toBe(true)
  })
  it('arrays: items, minItems, maxItems, and the path names the index', () => {
    const s: JsonSchema = { type: 'array', items: { type: 'string' }, maxItems: 3 }
    expect(ok(s, ['a', 'b'])).toBe(true)
    expect(ok(s, ['a', 'b', 'c', 'd'])).toBe(false)
    expect(validate({ type: 'object', properties: { xs: s } }, { xs: ['a', 7] }, SCHEMA_TABLE)?.path).toEqual(['xs', 1])
  })
  it('the path names only the way down to the violation, not the siblings checked before it', () => {
    const point: JsonSchema = {
      type: 'object',
      properties: { x: { type: 'integer' }, tags: { type: 'array', items: { type: 'string' } } },
      additionalProperties: false,
    }
    const s: JsonSchema = { type: 'object', properties: { a: point, b: point } }
    const bad = (value: unknown): unknown => validate(s, value, SCHEMA_TABLE)
    expect(bad({ a: { x: 1, tags: ['p', 'q'] }, b: { x: 'two' } })).toMatchObject({ path: ['b', 'x'], keyword: 'type' })
    expect(bad({ a: { tags: ['p'] }, b: { x: 2, tags: ['r', 3] } })).toMatchObject({ path: ['b', 'tags', 1] })
    expect(bad({ a: { x: 1 }, b: { x: 2, y: 0 } })).toMatchObject({ path: ['b', 'y'], keyword: 'unknown' })
    // the same walk again: nothing of the first call's path is left over
    expect(bad({ b: { tags: [null] } })).toMatchObject({ path: ['b', 'tags', 0] })
    expect(validate(s, { a: {} }, SCHEMA_TABLE)).toBeUndefined()
  })
  it('a oneOf branch that fails deep inside leaves nothing on the path of a later violation', () => {
    const s: JsonSchema = {
      type: 'object',
      properties: {
        c: {
          oneOf: [
            { type: 'object', properties: { d: { type: 'string' } } },
            { type: 'object', properties: { d: { type: 'integer' } } },
          ],
        },
        e: { type: 'string' },
      },
    }
    expect(validate(s, { c: { d: 1 }, e: 2 }, SCHEMA_TABLE)).toMatchObject({ path: ['e'], keyword: 'type' })
    expect(validate(s, { c: { d: true } }, SCHEMA_TABLE)).toMatchObject({ path: ['c'], keyword: 'oneOf' })
  })
  it('a value nested far deeper than the schema costs only the schema depth', () => {
    let deep: unknown = 1
    for (let i = 0; i < 100_000; i++) deep = [deep]
    expect(ok({ type: 'object' }, deep)).toBe(false)
    expect(ok({}, deep)).toBe(true)
  })
})

describe('decimalAtMost: the pattern accepts exactly the decimals from 0 to max', () => {
  it('agrees with bigint comparison on random bounds and values', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: (1n << 256n) - 1n }), fc.bigInt({ min: 0n, max: 1n << 257n }), (max, n) => {
        const re = new RegExp(decimalAtMost(max))
        expect(re.test(n.toString())).toBe(n <= max)
      }),
      { numRuns: 2000 },
    )
  })
  it('agrees near the bound, where the digit-by-digit construction can slip', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 10n ** 30n }), fc.integer({ min: -3, max: 3 }), (max, d) => {
        const n = max + BigInt(d)
        if (n < 0n) return
        expect(new RegExp(decimalAtMost(max)).test(n.toString())).toBe(n <= max)
      }),
    )
  })
  it('refuses zero padding unless asked for it', () => {
    expect(new RegExp(decimalAtMost(500n)).test('007')).toBe(false)
    expect(new RegExp(decimalAtMost(500n, true)).test('007')).toBe(true)
    expect(new RegExp(decimalAtMost(500n, true)).test('0501')).toBe(false)
  })
})

/** Random wire values for a field of `type`: mostly valid, often a near miss. */
function fieldValue(type: string): fc.Arbitrary<unknown> {
  const bits = { uint8: 8n, uint32: 32n, uint64: 64n, uint256: 256n }[type.replace('[]', '')] ?? 0n
  const uint = fc.oneof(
    fc.bigInt({ min: 0n, max: (1n << bits) + 5n }).map((n) => n.toString()),
    fc.integer({ min: -2, max: 2 ** 40 }),
    fc.constantFrom('007', '-1', '1.5', '', '0x10', 1.5, null, true),
  )
  if (type === 'address')
    return fc.oneof(
      fc.uint8Array({ minLength: 20, maxLength: 20 }).map((b) => `0x${Buffer.from(b).toString('hex')}`),
      fc.constantFrom('0x12', 'f39fd6e51aad88f6f4ce6ab8827279cfffb92266', 7),
    )
  if (type === 'bool') return fc.oneof(fc.boolean(), fc.constantFrom('true', 0, null))
  if (type.endsWith('[]')) return fc.oneof(fc.array(uint, { maxLength: 4 }), fc.constantFrom('x', {}))
  return uint
}

describe('message schemas accept exactly what the engine decoder accepts', () => {
  for (const kind of TX_KINDS) {
    it(`${kind}`, () => {
      const fields = EIP712_TYPES[PRIMARY_TYPE[kind]] ?? []
      const message = fc.record(Object.fromEntries(fields.map((f) => [f.name, fieldValue(f.type)])))
      const withNoise = fc.tuple(message, fc.constantFrom(0, 1, 2)).map(([m, noise]) => {
        const out: Record<string, unknown> = { ...m }
        if (noise === 1) out.extra = '1'
        if (noise === 2) delete out[fields[0]?.name as string]
        return out
      })
      fc.assert(
        fc.property(withNoise, (m) => {
          let engine = true
          try {
            decodeMessage(kind, m)
          } catch (e) {
            if (!(e instanceof MessageError)) throw e
            engine = false
          }
          // the oracle report's equal-length rule is the decoder's alone (not expressible in the schema)
          if (kind === 'oracleReport' && !engine && ok({ $ref: '#/components/schemas/OracleReportMessage' }, m)) {
            const r = m as { markets: unknown[]; prices: unknown[] }
            expect(r.markets.length).not.toBe(r.prices.length)
            return
          }
          expect(ok({ $ref: `#/components/schemas/${PRIMARY_TYPE[kind]}Message` }, m)).toBe(engine)
        }),
        { numRuns: 400 },
      )
    })
  }
  it(`array fields hold at most ${MAX_ARRAY_ITEMS} items, in both`, () => {
    const report = (n: number) => ({
      signer: `0x${'11'.repeat(20)}`,
      timestamp: '1',
      markets: Array(n).fill('0'),
      prices: Array(n).fill('1'),
    })
    const schema = { $ref: '#/components/schemas/OracleReportMessage' }
    expect(ok(schema, report(MAX_ARRAY_ITEMS))).toBe(true)
    expect(() => decodeMessage('oracleReport', report(MAX_ARRAY_ITEMS))).not.toThrow()
    expect(ok(schema, report(MAX_ARRAY_ITEMS + 1))).toBe(false)
    expect(() => decodeMessage('oracleReport', report(MAX_ARRAY_ITEMS + 1))).toThrow(MessageError)
  })
})

describe('decodeMessage names the field in each refusal', () => {
  const refusal = (kind: (typeof TX_KINDS)[number], message: unknown) => {
    try {
      decodeMessage(kind, message)
    } catch (e) {
      if (e instanceof MessageError) return [e.message, e.field]
      throw e
    }
    return undefined
  }
  const order = {
    account: `0x${'Ab'.repeat(20)}`,
    subaccount: '0',
    market: '1',
    isBuy: true,
    price: '6000000000000',
    size: '100000',
    timeInForce: '0',
    reduceOnly: false,
    postOnly: false,
    clientId: '1',
    nonce: '2',
    expiresAt: '0',
  }
  const report = { signer: `0x${'11'.repeat(20)}`, timestamp: '1', markets: ['0', '1'], prices: ['5', '6'] }

  it('accepts a whole message, lowercasing the address', () => {
    expect(decodeMessage('order', order).message).toMatchObject({ account: `0x${'ab'.repeat(20)}`, nonce: 2n })
  })

  it('missing, unknown (after every known field is read), too large, not decimal, items of arrays', () => {
    const { nonce: _, ...noNonce } = order
    expect(refusal('order', noNonce)).toEqual(['missing field nonce', 'nonce'])
    expect(refusal('order', { ...order, zeta: 1, extra: 2 })).toEqual(['unknown field zeta', 'zeta'])
    expect(refusal('order', { ...order, price: 'x', zeta: 1 })).toEqual([
      'price must be an unsigned integer as a decimal string',
      'price',
    ])
    expect(refusal('order', { ...order, timeInForce: '256' })).toEqual([
      'timeInForce does not fit in uint8',
      'timeInForce',
    ])
    expect(refusal('order', { ...order, market: 2 ** 32 })).toEqual(['market does not fit in uint32', 'market'])
    expect(refusal('order', { ...order, nonce: (1n << 64n).toString() })).toEqual([
      'nonce does not fit in uint64',
      'nonce',
    ])
    expect(refusal('order', { ...order, size: (1n << 256n).toString() })).toEqual([
      'size does not fit in uint256',
      'size',
    ])
    expect(refusal('order', { ...order, nonce: ((1n << 64n) - 1n).toString() })).toBeUndefined()
    expect(refusal('oracleReport', { ...report, prices: ['5', '06'] })).toEqual([
      'prices[1] must be an unsigned integer as a decimal string',
      'prices[1]',
    ])
    expect(refusal('oracleReport', { ...report, markets: ['0', String(2 ** 32)] })).toEqual([
      'markets[1] does not fit in uint32',
      'markets[1]',
    ])
    expect(refusal('oracleReport', { ...report, markets: ['0'] })).toEqual([
      'markets and prices must have the same length',
      'prices',
    ])
  })

  it('integer fields of every width follow the decimal rule as the regular expression states it', () => {
    // the reference: the rule as first written (a regex, then BigInt and a comparison with 2^bits)
    const expected = (raw: unknown, field: string, bits: number): unknown => {
      const fine =
        (typeof raw === 'string' && /^(0|[1-9][0-9]{0,77})$/.test(raw)) ||
        (typeof raw === 'number' && Number.isSafeInteger(raw) && raw >= 0)
      if (!fine) return [`${field} must be an unsigned integer as a decimal string`, field]
      return BigInt(raw as string | number) < 1n << BigInt(bits)
        ? undefined
        : [`${field} does not fit in uint${bits}`, field]
    }
    const widths: [string, number][] = [
      ['timeInForce', 8],
      ['market', 32],
      ['nonce', 64],
      ['size', 256],
    ]
    const raws: unknown[] = [
      ...['', '0', '00', '01', '1', '9', '10', '255', '256', '-1', '+1', '1e3', ' 1', '1 ', '0x10', '1.0', 'a', '٣'],
      ...['4294967295', '4294967296', '9999999999', '10000000000', '00000000001', '18446744073709551615'],
      ...['18446744073709551616', '9'.repeat(77), '9'.repeat(78), '1'.repeat(79), ((1n << 256n) - 1n).toString()],
      ...[0, 1, 255, 256, 2 ** 32 - 1, 2 ** 32, 2 ** 53 - 1, 2 ** 53, -1, 1.5, Number.NaN, null, true, ['1']],
    ]
    for (const [field, bits] of widths)
      for (const raw of raws)
        expect(refusal('order', { ...order, [field]: raw }), `${field} ${String(raw)}`).toEqual(
          expected(raw, field, bits),
        )
  })
})

describe('readParams: -32602 naming the field', () => {
  const read = (method: string, params: unknown) => {
    const spec = METHODS_BY_NAME.get(method)
    if (spec === undefined) throw new Error(method)
    try {
      return readParams(spec.params, params, SCHEMA_TABLE)
    } catch (e) {
      if (!(e instanceof RpcError)) throw e
      return { code: e.code, message: e.message, data: e.data }
    }
  }
  it('integers as JSON numbers or decimal strings, defaults for absent optional params', () => {
    expect(read('perp_orderBook', [0])).toEqual([0, 20])
    expect(read('perp_orderBook', ['4294967295', '500'])).toEqual(['4294967295', '500'])
    expect(read('perp_proof', ['0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266'])).toEqual([
      '0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266',
      0,
      'latest',
    ])
  })
  it.each([
    ['perp_orderBook', ['4294967296'], 'market must be an integer from 0 to 4294967295', 'market'],
    ['perp_orderBook', [0, 501], 'depth must be an integer from 0 to 500', 'depth'],
    ['perp_orderBook', [], 'market must be an integer from 0 to 4294967295', 'market'],
    ['perp_account', [12345], 'address must be a 0x address', 'address'],
    ['perp_block', [null], 'height must be a block height (decimal) or "latest"', 'height'],
    ['perp_transaction', ['0x12'], 'hash must be a 32-byte 0x hash', 'hash'],
    ['perp_sendTransaction', [[]], 'transaction must be an object', 'transaction'],
    ['perp_sendTransaction', [{ kind: 1, signature: `0x${'00'.repeat(65)}` }], 'kind must be a string', 'kind'],
    ['perp_sendTransaction', [{ kind: 'order' }], 'signature must be 65 bytes of 0x-hex (r‖s‖v)', 'signature'],
  ])('%s %j → "%s"', (method, params, message, field) => {
    expect(read(method, params)).toEqual({ code: PROTOCOL_ERRORS.invalidParams, message, data: { field } })
  })
  it('params that are not an array, or too many, name no field', () => {
    expect(read('perp_markets', {})).toMatchObject({ message: 'params must be an array (positional)' })
    expect(read('perp_markets', [1])).toMatchObject({ message: 'at most 0 params', data: undefined })
  })
})
