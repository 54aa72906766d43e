/**
 * @module The wire form ↔ the client's values. The node sends every integer quantity as a decimal string
 * (docs/rpc.md); `fromWire` turns each such string into a bigint, recursively, and leaves JSON numbers,
 * booleans, hex and text as they are. Text fields (`message`, `detail`, `symbol`) and the EIP-712 description
 * (whose domain `version` is "1", and must stay the string it signs) are kept whole, so text that happens to be
 * digits stays text. `toWireMessage` is the other way for signed messages.
 */

const INTEGER = /^-?[0-9]{1,78}$/
const KEPT_WHOLE: ReadonlySet<string> = new Set(['message', 'detail', 'symbol', 'eip712'])

export function fromWire<T>(value: unknown): T {
  return convert(value, undefined) as T
}

function convert(value: unknown, key: string | undefined): unknown {
  if (key !== undefined && KEPT_WHOLE.has(key)) return value
  if (typeof value === 'string') return INTEGER.test(value) ? BigInt(value) : value
  if (Array.isArray(value)) return value.map((v) => convert(v, undefined))
  if (typeof value === 'object' && value !== null) {
    const out: Record<string, unknown> = {}
    for (const [k, v] of Object.entries(value)) out[k] = convert(v, k)
    return out
  }
  return value
}

/** A message field as the client holds it before signing. */
export type MessageValue = bigint | number | boolean | string | readonly (bigint | number)[]

/** Integers → decimal strings (the wire form of perp_sendTransaction); booleans and addresses as they are. */
export function toWireMessage(message: Readonly<Record<string, MessageValue>>): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(message)) {
    if (typeof v === 'bigint' || typeof v === 'number') out[k] = v.toString()
    else if (Array.isArray(v)) out[k] = v.map((x: bigint | number) => x.toString())
    else out[k] = v
  }
  return out
}
