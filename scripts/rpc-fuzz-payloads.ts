/**
 * @module Seeded payloads for the RPC fuzzer (scripts/rpc-fuzz.ts): a valid request of every method, then
 * mutations of it — wrong types, huge numbers, deep nesting, unicode, truncated JSON, duplicate keys, batches
 * mixing valid and invalid requests, envelopes with odd ids, and signed transactions with flipped bytes.
 *
 * Every signed transaction is signed by a key the chain does not know (or claims another account, or is an
 * oracle report from a non-oracle), so no payload can be admitted: a node fuzzed with these alone must end
 * on the state root it started with.
 */
import type { TxKind } from '../engine/index.ts'
import { decodeMessage, domainSeparator, SYSTEM_KINDS, TX_KINDS, typedDataDigest } from '../engine/index.ts'
import { addressOfPrivateKey, signDigest } from '../node/index.ts'
import { keccak256, toHex } from '../state/index.ts'

export type Rand = () => number

const pick = <T>(rand: Rand, xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)] as T
const int = (rand: Rand, lo: number, hi: number): number => lo + Math.floor(rand() * (hi - lo + 1))

/** A funded devnet account (index 0): used only as a claimed `account` its signer does not own. */
const FUNDED = '0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266'

export interface SignedWire {
  kind: string
  message: Record<string, unknown>
  signature: string
}

function wireMessage(kind: TxKind, account: string, n: number): Record<string, unknown> {
  const base = { account, nonce: String(1_000_000 + n) }
  switch (kind) {
    case 'order':
      return {
        ...base,
        subaccount: 0,
        market: n % 2,
        isBuy: n % 3 === 0,
        price: '6000000000000',
        size: '100000',
        timeInForce: n % 3,
        reduceOnly: false,
        postOnly: false,
        clientId: String(n),
        expiresAt: '0',
      }
    case 'cancel':
      return { ...base, subaccount: 0, market: 0, clientId: String(n) }
    case 'cancelAll':
      return { ...base, subaccount: 0, market: 1 }
    case 'withdraw':
      return { ...base, subaccount: 0, recipient: account, amount: '1000000' }
    case 'transfer':
      return { ...base, fromSubaccount: 0, toSubaccount: 1, amount: '1000000' }
    case 'approveAgent':
      return { ...base, agent: FUNDED, validUntil: '0' }
    case 'auctionBid':
      return { ...base, subaccount: 0, auctionId: '1', size: '1000', limitPrice: '6000000000000' }
    default:
      return { signer: account, timestamp: String(Date.now()), markets: ['0', '1'], prices: ['1', '2'] }
  }
}

/** every kind a user signs (system kinds come from L1 through the sequencer, never over RPC) */
const KINDS: readonly TxKind[] = TX_KINDS.filter((kind) => !SYSTEM_KINDS.has(kind))

/** `count` transactions of every kind, signed by keys derived from `seed` that hold nothing on the chain. */
export function signedPool(seed: number, chainId: number, count: number): SignedWire[] {
  const domain = domainSeparator(chainId)
  const out: SignedWire[] = []
  for (let i = 0; i < count; i++) {
    const key = keccak256(new TextEncoder().encode(`rpc-fuzz ${seed} ${i}`))
    const account = addressOfPrivateKey(key)
    for (const kind of KINDS) {
      const message = wireMessage(kind, account, i)
      const decoded = decodeMessage(kind, message)
      const digest = typedDataDigest(domain, kind, decoded.message as never)
      out.push({ kind, message, signature: toHex(signDigest(key, digest)) })
    }
  }
  return out
}

/** A valid params list for every method served over HTTP (the fuzzer checks this covers rpc.discover's list). */
export function validParams(method: string, rand: Rand, pool: readonly SignedWire[]): unknown[] | undefined {
  const addr = rand() < 0.5 ? FUNDED : '0x0000000000000000000000000000000000000001'
  switch (method) {
    case 'perp_sendTransaction':
      return [pick(rand, pool)]
    case 'perp_orderBook':
      return [int(rand, 0, 1), int(rand, 0, 50)]
    case 'perp_account':
      return [addr, int(rand, 0, 2)]
    case 'perp_transaction':
      return [`0x${'ab'.repeat(32)}`]
    case 'perp_block':
      return [pick(rand, ['latest', 0, '1', 2])]
    case 'perp_proof':
      return [addr, 0, 'latest']
    case 'perp_stateProof':
      return [pick(rand, ['0x0200000000', '0x08', `0x01${'00'.repeat(24)}`]), 'latest']
    case 'perp_withdrawalProof':
      return [String(int(rand, 0, 3)), 'latest']
    case 'perp_auctions':
      return rand() < 0.5 ? [] : [int(rand, 0, 1)]
    case 'perp_subscribe':
      return pick(rand, [['newHeads'], ['orderBook', { market: 0, depth: 5 }], ['account', { address: addr }]])
    case 'perp_unsubscribe':
      return ['0x1']
    case 'perp_chainInfo':
    case 'perp_markets':
    case 'perp_insuranceFund':
    case 'perp_settlement':
    case 'eth_chainId':
    case 'net_version':
    case 'web3_clientVersion':
    case 'eth_blockNumber':
    case 'rpc.discover':
      return []
    default:
      return undefined
  }
}

const UNICODE = ['é', '€', '😀', '\u0000', '\u202e', '\ud800', '\udfff', '\uffff', '𝔘', 'ß', '\n', '"', '\\']

function junkString(rand: Rand): string {
  const n = int(rand, 0, 12)
  let s = ''
  for (let i = 0; i < n; i++) s += rand() < 0.5 ? pick(rand, UNICODE) : String.fromCharCode(int(rand, 32, 126))
  return s
}

/** A JSON value of a random type (as JSON text, so it can hold numbers JSON.stringify cannot write). */
export function junkJson(rand: Rand): string {
  switch (int(rand, 0, 13)) {
    case 0:
      return String(int(rand, -1000, 1000))
    case 1:
      return pick(rand, [
        '1e309',
        '-1e309',
        '123456789012345678901234567890',
        '1.5',
        '-0',
        '1e-400',
        '9007199254740993',
      ])
    case 2:
      return pick(rand, ['"18446744073709551616"', '"-1"', `"${'9'.repeat(80)}"`, '"0x"', '"1e3"', '" 1"', '"01"'])
    case 3:
      return JSON.stringify(junkString(rand))
    case 4:
      return pick(rand, ['null', 'true', 'false'])
    case 5:
      return '[]'
    case 6:
      return '{}'
    case 7:
      // unbalanced: a parse error once inside a body
      return `${'['.repeat(int(rand, 10, 5000))}1`
    case 8: {
      const depth = int(rand, 10, 20_000)
      return `${'['.repeat(depth)}${']'.repeat(depth)}`
    }
    case 9: {
      const depth = int(rand, 10, 5_000)
      return `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`
    }
    case 10:
      return `"0x${'f'.repeat(int(rand, 0, 140))}"`
    case 11:
      return '{"__proto__":{"polluted":1},"constructor":"x","toString":2,"hasOwnProperty":3}'
    case 12:
      return `"latest${junkString(rand)}"`
    default:
      return `[${Array.from({ length: int(rand, 0, 5) }, () => String(int(rand, 0, 9))).join(',')}]`
  }
}

export interface OrderPlan {
  /** private keys of funded accounts; orders are spread over them round-robin */
  keys: readonly Uint8Array[]
  chainId: number
  count: number
  market: number
  /** a price (market units) that does not cross the book, so an IOC order never trades */
  price: string
  size: string
  /** first nonce; each order takes the next */
  nonceBase: bigint
}

/**
 * Valid orders signed ahead of time (IOC buys below the market: admitted, included, never filled), for load
 * that must be accepted: the block-interval e2e and the ingest benchmark.
 */
export function presignedOrders(p: OrderPlan): SignedWire[] {
  const domain = domainSeparator(p.chainId)
  const accounts = p.keys.map((k) => addressOfPrivateKey(k))
  return Array.from({ length: p.count }, (_, i) => {
    const k = i % p.keys.length
    const nonce = (p.nonceBase + BigInt(i)).toString()
    const message = {
      account: accounts[k] as string,
      subaccount: 0,
      market: p.market,
      isBuy: true,
      price: p.price,
      size: p.size,
      timeInForce: 1,
      reduceOnly: false,
      postOnly: false,
      clientId: nonce,
      nonce,
      expiresAt: '0',
    }
    const digest = typedDataDigest(domain, 'order', decodeMessage('order', message).message as never)
    return { kind: 'order', message, signature: toHex(signDigest(p.keys[k] as Uint8Array, digest)) }
  })
}
