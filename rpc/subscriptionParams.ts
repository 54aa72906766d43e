/**
 * @module Reading `perp_subscribe(topic, params)`: the topic is checked against the list, its params against the
 * topic's schema (rpc/subscriptionSchemas.ts, walked by the small validator below for exactly the keywords those
 * schemas use), then normalized: integers as numbers, addresses lower-case, defaults filled in. A violation is
 * -32602 whose `data.field` names the parameter (`topic`, or the params property such as `market`).
 *
 * The normalized params also give each subscription its group key: subscriptions with equal keys share one
 * notification per block (rpc/subscriptionHub.ts).
 */
import { invalidParams } from './errors.ts'
import type { SubscriptionTopic, TopicSchema } from './subscriptionSchemas.ts'
import { DEFAULT_BOOK_DEPTH, SUBSCRIPTION_PARAM_SCHEMAS, SUBSCRIPTION_TOPICS } from './subscriptionSchemas.ts'

export type TopicParams =
  | { topic: 'newHeads' }
  | { topic: 'fills'; market?: number; account?: string }
  | { topic: 'orderBook'; market: number; depth: number }
  | { topic: 'liquidations'; market?: number }
  | { topic: 'account'; address: string; subaccount: number }

function typeOk(type: NonNullable<TopicSchema['type']>, v: unknown): boolean {
  if (type === 'integer') return typeof v === 'number' && Number.isInteger(v)
  if (type === 'array') return Array.isArray(v)
  if (type === 'null') return v === null
  if (type === 'object') return typeof v === 'object' && v !== null && !Array.isArray(v)
  return typeof v === type
}

/** True when `v` conforms to `s` (the keywords of TopicSchema; annotations ignored). */
export function conforms(s: TopicSchema, v: unknown): boolean {
  if (s.type !== undefined && !typeOk(s.type, v)) return false
  if (s.anyOf !== undefined && !s.anyOf.some((branch) => conforms(branch, v))) return false
  if (s.enum !== undefined && !s.enum.some((e) => e === v)) return false
  if (typeof v === 'string' && s.pattern !== undefined && !new RegExp(s.pattern).test(v)) return false
  if (typeof v === 'number' && s.minimum !== undefined && v < s.minimum) return false
  if (typeof v === 'number' && s.maximum !== undefined && v > s.maximum) return false
  if (Array.isArray(v) && s.items !== undefined) return v.every((x) => conforms(s.items as TopicSchema, x))
  return true
}

/** Checks an object's properties one by one, so the error names the first offending one. */
function checkObject(s: TopicSchema, v: unknown, topic: string): Record<string, unknown> {
  if (v === undefined || v === null) v = {}
  if (!typeOk('object', v)) throw invalidParams(`params of ${topic} must be an object`, 'params')
  const obj = v as Record<string, unknown>
  for (const name of s.required ?? [])
    if (!Object.hasOwn(obj, name))
      throw invalidParams(`${name} is required: ${s.properties?.[name]?.description ?? 'a value'}`, name)
  for (const [name, value] of Object.entries(obj)) {
    const prop = s.properties !== undefined && Object.hasOwn(s.properties, name) ? s.properties[name] : undefined
    if (prop === undefined) {
      if (s.additionalProperties === false)
        throw invalidParams(`${topic} takes no parameter ${name.slice(0, 32)}`, name.slice(0, 32))
      continue
    }
    if (!conforms(prop, value)) throw invalidParams(`${name} must be ${prop.description ?? 'valid'}`, name)
  }
  return obj
}

/**
 * A schema-checked unsigned integer (JSON integer or decimal string) as a number; a decimal string's range is
 * checked here against the integer branch's bounds, since its pattern bounds only the digit count.
 */
function uint(p: Record<string, unknown>, schema: TopicSchema, name: string): number | undefined {
  const v = p[name]
  if (v === undefined) return undefined
  const n = typeof v === 'string' ? Number(v) : (v as number)
  const prop = schema.properties?.[name]
  const bounds = prop?.anyOf?.[0] ?? {}
  if (n < (bounds.minimum ?? 0) || n > (bounds.maximum ?? 2 ** 32 - 1))
    throw invalidParams(`${name} must be ${prop?.description ?? 'in range'}`, name)
  return n
}

/** Validates and normalizes perp_subscribe's params (positional: `[topic, params?]`). */
export function readSubscribeParams(params: unknown): TopicParams {
  if (!Array.isArray(params)) throw invalidParams('params must be an array: [topic, params?]')
  if (params.length < 1 || params.length > 2) throw invalidParams('params must be [topic, params?]')
  const topic = params[0]
  if (typeof topic !== 'string' || !(SUBSCRIPTION_TOPICS as readonly string[]).includes(topic))
    throw invalidParams(`topic must be one of ${SUBSCRIPTION_TOPICS.join(', ')}`, 'topic')
  const t = topic as SubscriptionTopic
  const schema = SUBSCRIPTION_PARAM_SCHEMAS[t]
  const p = checkObject(schema, params[1], t)
  switch (t) {
    case 'newHeads':
      return { topic: t }
    case 'fills': {
      const out: TopicParams = { topic: t }
      const market = uint(p, schema, 'market')
      if (market !== undefined) out.market = market
      if (p.account !== undefined) out.account = (p.account as string).toLowerCase()
      return out
    }
    case 'orderBook':
      return {
        topic: t,
        market: uint(p, schema, 'market') as number,
        depth: uint(p, schema, 'depth') ?? DEFAULT_BOOK_DEPTH,
      }
    case 'liquidations': {
      const market = uint(p, schema, 'market')
      return market === undefined ? { topic: t } : { topic: t, market }
    }
    case 'account':
      return { topic: t, address: (p.address as string).toLowerCase(), subaccount: uint(p, schema, 'subaccount') ?? 0 }
  }
}

/** The key of a subscription's group: equal keys get the same notifications. */
export function groupKey(p: TopicParams): string {
  switch (p.topic) {
    case 'newHeads':
      return 'newHeads'
    case 'fills':
      return `fills:${p.market ?? '*'}:${p.account ?? '*'}`
    case 'orderBook':
      return `orderBook:${p.market}:${p.depth}`
    case 'liquidations':
      return `liquidations:${p.market ?? '*'}`
    case 'account':
      return `account:${p.address}:${p.subaccount}`
  }
}

/** perp_unsubscribe's one param: a subscription id as perp_subscribe returned it. */
export function readUnsubscribeParams(params: unknown): string {
  if (!Array.isArray(params) || params.length !== 1) throw invalidParams('params must be [subscriptionId]')
  const id = params[0]
  if (typeof id !== 'string' || !/^0x[0-9a-fA-F]{1,64}$/.test(id))
    throw invalidParams('subscription id must be a 0x-hex string', 'subscription')
  return id.toLowerCase()
}
