/**
 * @module Positional parameters read against the method's declared schemas (rpc/methods.ts), with uniform
 * -32602 errors that name the parameter or field: "`<field>` must be `<the schema's phrase>`", `data.field`.
 * After validation, the converters below turn a value the schema admitted into the backend's type.
 */

import { invalidParams, type RpcError } from './errors.ts'
import type { Json } from './json.ts'
import type { JsonSchema, SchemaTable, Violation } from './schema.ts'
import { resolveRef, validate } from './schema.ts'

/** One positional parameter: an OpenRPC content descriptor. */
export interface ParamSpec {
  name: string
  summary: string
  schema: JsonSchema
  required: boolean
  /** used when the parameter is absent */
  default?: Json
}

/** The field a violation names: the last property walked, with any array indexes after it ("prices[3]"). */
function fieldOf(paramName: string, path: (string | number)[]): string {
  let field = paramName
  for (const step of path) field = typeof step === 'string' ? step : `${field}[${step}]`
  return field
}

function phraseOf(schema: JsonSchema, table: SchemaTable): string {
  const s = resolveRef(schema, table)
  if (s.description !== undefined) return s.description
  if (s.type === 'integer') return `an integer from ${s.minimum ?? '−∞'} to ${s.maximum ?? '∞'}`
  if (s.const !== undefined) return JSON.stringify(s.const)
  if (s.enum !== undefined) return `one of ${s.enum.map((e) => JSON.stringify(e)).join(', ')}`
  if (typeof s.type === 'string') return `of type ${s.type}`
  return 'valid'
}

export function violationError(paramName: string, v: Violation, table: SchemaTable): RpcError {
  const field = fieldOf(paramName, v.path)
  if (v.keyword === 'unknown') return invalidParams(`unknown field ${field}`, field)
  return invalidParams(`${field} must be ${phraseOf(v.schema, table)}`, field)
}

/**
 * Validates `params` (absent, or a JSON array) against the specs and returns one value per spec, the default
 * (or undefined) for an absent optional one. Throws -32602.
 */
export function readParams(specs: readonly ParamSpec[], params: unknown, table: SchemaTable): unknown[] {
  if (params !== undefined && !Array.isArray(params)) throw invalidParams('params must be an array (positional)')
  const list = (params ?? []) as unknown[]
  if (list.length > specs.length) throw invalidParams(`at most ${specs.length} params`)
  return specs.map((spec, i) => {
    const v = list[i]
    if (v === undefined) {
      if (spec.required) throw invalidParams(`${spec.name} must be ${phraseOf(spec.schema, table)}`, spec.name)
      return spec.default
    }
    const bad = validate(spec.schema, v, table)
    if (bad !== undefined) throw violationError(spec.name, bad, table)
    return v
  })
}

/** A validated integer parameter (JSON integer or decimal string). */
export function asUint(v: unknown): number {
  return typeof v === 'string' ? Number(v) : (v as number)
}

/** A validated BlockTag. */
export function asBlockTag(v: unknown): bigint | 'latest' {
  return v === 'latest' ? 'latest' : BigInt(v as string | number)
}

/** A validated 0x string, lowercased (addresses and hashes are keyed in lowercase). */
export function asLowerHex(v: unknown): string {
  return (v as string).toLowerCase()
}
