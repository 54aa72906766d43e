/**
 * @module The JSON Schema subset the RPC declares its methods in, and a small validator for exactly that
 * subset (draft-07 keywords: type, enum, const, pattern, minLength, maxLength, minimum, maximum, items,
 * minItems, maxItems, properties, required, additionalProperties, oneOf, anyOf, $ref to `#/components/schemas/`).
 * Annotations (title, description, default, examples) are carried into the OpenRPC document untouched.
 *
 * The validator walks the schema, never the value beyond it, so a deeply nested value costs no more than the
 * schema's depth; string lengths are checked before patterns.
 */
import { isHex } from '../state/index.ts'
import type { Json } from './json.ts'

export type SchemaType = 'object' | 'array' | 'string' | 'integer' | 'number' | 'boolean' | 'null'

export interface JsonSchema {
  $ref?: string
  title?: string
  /** for parameter schemas and components: the phrase an error message uses ("a 0x address") */
  description?: string
  type?: SchemaType | readonly SchemaType[]
  enum?: readonly Json[]
  const?: Json
  pattern?: string
  minLength?: number
  maxLength?: number
  minimum?: number
  maximum?: number
  items?: JsonSchema
  minItems?: number
  maxItems?: number
  properties?: Readonly<Record<string, JsonSchema>>
  required?: readonly string[]
  additionalProperties?: boolean | JsonSchema
  oneOf?: readonly JsonSchema[]
  anyOf?: readonly JsonSchema[]
  default?: Json
  examples?: readonly Json[]
}

/** Where a value failed: the property names and array indexes walked, and the schema that refused it. */
export interface Violation {
  path: (string | number)[]
  schema: JsonSchema
  /** what was wrong, for a message: 'type', 'missing', 'unknown', … */
  keyword: string
}

export const SCHEMA_REF_PREFIX = '#/components/schemas/'

export type SchemaTable = Readonly<Record<string, JsonSchema>>

/** A compiled pattern: a RegExp, or a table check with the same answers */
interface Pattern {
  test(v: string): boolean
}

const patterns = new WeakMap<JsonSchema, Pattern>()

/** `^0x[0-9a-fA-F]{n}$`, the pattern of every hex field (hashes, addresses, signatures): tested by table, not regex */
const HEX_PATTERN = /^\^0x\[0-9a-fA-F\]\{(\d+)\}\$$/

function patternOf(schema: JsonSchema & { pattern: string }): Pattern {
  let re = patterns.get(schema)
  if (re === undefined) {
    const hex = HEX_PATTERN.exec(schema.pattern)
    const digits = Number(hex?.[1])
    re = hex !== null ? { test: (v: string) => isHex(v, digits) } : new RegExp(schema.pattern, 'u')
    patterns.set(schema, re)
  }
  return re
}

function typeOf(v: unknown): SchemaType | 'other' {
  if (v === null) return 'null'
  if (Array.isArray(v)) return 'array'
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number'
  if (typeof v === 'string' || typeof v === 'boolean' || typeof v === 'object') return typeof v as SchemaType
  return 'other'
}

function typeIs(want: SchemaType, got: SchemaType | 'other'): boolean {
  return want === got || (want === 'number' && got === 'integer')
}

function typeMatches(want: SchemaType | readonly SchemaType[], v: unknown): boolean {
  const got = typeOf(v)
  if (typeof want === 'string') return typeIs(want, got)
  for (const t of want) if (typeIs(t, got)) return true
  return false
}

export function resolveRef(schema: JsonSchema, table: SchemaTable): JsonSchema {
  if (schema.$ref === undefined) return schema
  if (!schema.$ref.startsWith(SCHEMA_REF_PREFIX)) throw new Error(`unsupported $ref ${schema.$ref}`)
  const target = table[schema.$ref.slice(SCHEMA_REF_PREFIX.length)]
  if (target === undefined) throw new Error(`unresolved $ref ${schema.$ref}`)
  return target
}

/**
 * The walk keeps one path array, pushing a name or index on the way down and popping it on the way back, and a
 * violation takes a copy: a new array per property visited was ~0.3 KB of garbage a signed order (bench/NOTES.md,
 * twelfth pass).
 */
function fail(path: readonly (string | number)[], schema: JsonSchema, keyword: string): Violation {
  return { path: [...path], schema, keyword }
}

/** validate(schema, value) with `step` on the path while it runs. */
function validateAt(
  schema: JsonSchema,
  value: unknown,
  table: SchemaTable,
  path: (string | number)[],
  step: string | number,
): Violation | undefined {
  path.push(step)
  const bad = validate(schema, value, table, path)
  path.pop()
  return bad
}

function checkScalar(s: JsonSchema, v: unknown, path: readonly (string | number)[]): Violation | undefined {
  if (s.enum !== undefined && !s.enum.some((e) => e === v)) return fail(path, s, 'enum')
  if (s.const !== undefined && s.const !== v) return fail(path, s, 'const')
  if (typeof v === 'string') {
    if (s.maxLength !== undefined && v.length > s.maxLength) return fail(path, s, 'maxLength')
    if (s.minLength !== undefined && v.length < s.minLength) return fail(path, s, 'minLength')
    if (s.pattern !== undefined && !patternOf(s as JsonSchema & { pattern: string }).test(v))
      return fail(path, s, 'pattern')
  }
  if (typeof v === 'number') {
    if (s.minimum !== undefined && v < s.minimum) return fail(path, s, 'minimum')
    if (s.maximum !== undefined && v > s.maximum) return fail(path, s, 'maximum')
  }
  return undefined
}

function checkArray(s: JsonSchema, v: unknown[], path: (string | number)[], table: SchemaTable): Violation | undefined {
  if (s.maxItems !== undefined && v.length > s.maxItems) return fail(path, s, 'maxItems')
  if (s.minItems !== undefined && v.length < s.minItems) return fail(path, s, 'minItems')
  if (s.items === undefined) return undefined
  for (let i = 0; i < v.length; i++) {
    const bad = validateAt(s.items, v[i], table, path, i)
    if (bad !== undefined) return bad
  }
  return undefined
}

function checkObject(
  s: JsonSchema,
  v: Record<string, unknown>,
  path: (string | number)[],
  table: SchemaTable,
): Violation | undefined {
  if (s.required !== undefined)
    for (const name of s.required)
      if (!Object.hasOwn(v, name))
        return fail([...path, name], resolveRef(s.properties?.[name] ?? {}, table), 'missing')
  for (const name in v) {
    if (!Object.hasOwn(v, name)) continue
    const prop = s.properties !== undefined && Object.hasOwn(s.properties, name) ? s.properties[name] : undefined
    if (prop !== undefined) {
      const bad = validateAt(prop, v[name], table, path, name)
      if (bad !== undefined) return bad
    } else if (s.additionalProperties === false) return fail([...path, name], {}, 'unknown')
    else if (typeof s.additionalProperties === 'object') {
      const bad = validateAt(s.additionalProperties, v[name], table, path, name)
      if (bad !== undefined) return bad
    }
  }
  return undefined
}

/**
 * The first violation of `schema` by `value`, or undefined when it conforms. `path`: where `value` sits (the walk
 * adds to it and takes its steps off again before returning).
 */
export function validate(
  schema: JsonSchema,
  value: unknown,
  table: SchemaTable,
  path: (string | number)[] = [],
): Violation | undefined {
  const s = resolveRef(schema, table)
  if (s.type !== undefined && !typeMatches(s.type, value)) return fail(path, s, 'type')
  if (s.oneOf !== undefined) {
    let matches = 0
    for (const branch of s.oneOf) if (validate(branch, value, table, path) === undefined) matches++
    if (matches !== 1) return fail(path, s, 'oneOf')
  }
  if (s.anyOf !== undefined && !anyBranch(s.anyOf, value, table, path)) return fail(path, s, 'anyOf')
  const scalar = checkScalar(s, value, path)
  if (scalar !== undefined) return scalar
  if (Array.isArray(value)) return checkArray(s, value, path, table)
  if (typeof value === 'object' && value !== null) return checkObject(s, value as Record<string, unknown>, path, table)
  return undefined
}

function anyBranch(
  branches: readonly JsonSchema[],
  value: unknown,
  table: SchemaTable,
  path: (string | number)[],
): boolean {
  for (const branch of branches) if (validate(branch, value, table, path) === undefined) return true
  return false
}

/**
 * A regular expression source for the decimal integers 0..max, built digit by digit from max: every shorter
 * number, then each prefix of max followed by a smaller digit. `leadingZeros` admits zero padding (the RPC's
 * own params do; signed messages do not, so each value has one wire form).
 */
export function decimalAtMost(max: bigint, leadingZeros = false): string {
  const digits = max.toString()
  const alternatives = ['0']
  if (digits.length > 1) alternatives.push(`[1-9][0-9]{0,${digits.length - 2}}`)
  for (let i = 0; i < digits.length; i++) {
    const d = Number(digits[i])
    const low = i === 0 ? 1 : 0
    if (d - 1 < low) continue
    const rest = digits.length - i - 1
    const range = d - 1 === low ? String(low) : `[${low}-${d - 1}]`
    alternatives.push(`${digits.slice(0, i)}${range}${rest > 0 ? `[0-9]{${rest}}` : ''}`)
  }
  if (max > 0n) alternatives.push(digits)
  return `^${leadingZeros ? '0*' : ''}(?:${alternatives.join('|')})$`
}
