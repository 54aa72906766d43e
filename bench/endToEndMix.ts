/**
 * @module The end-to-end benchmark's traffic: the engine-replay mix (bench/engineReplay.ts: 70% resting orders
 * near the oracle, 25% cancels of an account's own earlier orders, 5% IOC taking) over funded accounts whose
 * keys derive from a seed. The stream is drawn here in order (it has state: the resting orders a cancel may
 * name); bench/endToEndSigner.ts signs it natively and serializes it to the JSON-RPC wire form before timing.
 *
 * Admission checks a transaction against the head's state, not the mempool: a cancel of an order still in
 * flight would be refused (ORDER_NOT_FOUND). So a cancel names only an order signed at least `cancelLag`
 * transactions earlier in the stream; with no such order the slot places an order instead.
 */
import type { Address, TxKind, TxMessage } from '../engine/index.ts'
import { encodeMessageJson, seededRandom, typedDataDigest } from '../engine/index.ts'
import { addressOfPrivateKey, signDigest } from '../node/index.ts'
import { keccak256, toHex } from '../state/index.ts'

export interface Trader {
  key: Uint8Array
  address: Address
}

/** `count` private keys from `seed` (keccak of "perpd e2e <seed> <i>"), with their addresses. */
export function traders(seed: string, count: number): Trader[] {
  const encoder = new TextEncoder()
  return Array.from({ length: count }, (_, i) => {
    const key = keccak256(encoder.encode(`perpd e2e ${seed} ${i}`))
    return { key, address: addressOfPrivateKey(key) }
  })
}

export interface MarketTerms {
  tickSize: bigint
  lotSize: bigint
  /** the genesis price: orders rest around it (10^-priceDecimals USD per base unit) */
  price: bigint
}

/** One signed transaction on the wire: its hash (0x-hex EIP-712 digest) and its `perp_sendTransaction` params. */
export interface WireTx {
  hash: string
  params: string
}

/** A transaction of the stream before signing: the message and the index of the trader who signs it. */
export interface Unsigned {
  tx: TxMessage
  trader: number
}

export class SignedOrderMix {
  readonly #rand: () => number
  readonly #traders: Trader[]
  readonly #markets: MarketTerms[]
  readonly #cancelLag: number
  /** per trader: [position in the stream, clientId] of its resting orders, oldest first */
  readonly #resting: [number, bigint][][]
  #position = 0
  #nonce = 0n
  counts = { order: 0, cancel: 0, taking: 0 }

  constructor(init: { traders: Trader[]; markets: MarketTerms[]; seed: number; cancelLag: number }) {
    this.#rand = seededRandom(init.seed)
    this.#traders = init.traders
    this.#markets = init.markets
    this.#cancelLag = init.cancelLag
    this.#resting = init.traders.map(() => [])
  }

  /** Forget every resting order: later cancels name only orders drawn after this (a part not sent). */
  forgetResting(): void {
    for (const r of this.#resting) r.length = 0
  }

  /** The next `count` transactions of the stream. */
  next(count: number): Unsigned[] {
    const out: Unsigned[] = []
    for (let k = 0; k < count; k++) out.push(this.#one())
    return out
  }

  #one(): Unsigned {
    const i = Math.floor(this.#rand() * this.#traders.length)
    const trader = this.#traders[i] as Trader
    const market = this.#rand() < 0.5 ? 0 : 1
    const m = this.#markets[market] as MarketTerms
    const nonce = ++this.#nonce
    const position = this.#position++
    const roll = this.#rand()
    const resting = this.#resting[i] as [number, bigint][]
    // only orders old enough to be in a block by now (see the module comment)
    let old = 0
    while (old < resting.length && (resting[old] as [number, bigint])[0] <= position - this.#cancelLag) old++
    let tx: TxMessage
    if (roll < 0.25 && old > 0) {
      const [, clientId] = resting.splice(Math.floor(this.#rand() * old), 1)[0] as [number, bigint]
      const restingMarket = Number(clientId & 1n)
      tx = {
        kind: 'cancel',
        message: { account: trader.address, subaccount: 0, market: restingMarket, clientId, nonce },
      }
      this.counts.cancel++
    } else {
      const isBuy = this.#rand() < 0.5
      const taking = roll > 0.95
      const ticks = BigInt(1 + Math.floor(this.#rand() * 50)) * m.tickSize * 10n
      const price = taking ? (isBuy ? m.price * 2n : m.tickSize) : isBuy ? m.price - ticks : m.price + ticks
      // the clientId carries the market in its low bit, so a cancel names the right book
      const clientId = (nonce << 1n) | BigInt(market)
      if (!taking) resting.push([position, clientId])
      tx = {
        kind: 'order',
        message: {
          account: trader.address,
          subaccount: 0,
          market,
          isBuy,
          price: (price / m.tickSize) * m.tickSize,
          size: m.lotSize * BigInt(1 + Math.floor(this.#rand() * 5)),
          timeInForce: taking ? 1 : 0,
          reduceOnly: false,
          postOnly: false,
          clientId,
          nonce,
          expiresAt: 0n,
        },
      }
      if (taking) this.counts.taking++
      else this.counts.order++
    }
    return { tx, trader: i }
  }
}

/** Sign `tx` with `key` and serialize its `perp_sendTransaction` params (`{ kind, message, signature }`). */
export function signWire(domainSep: Uint8Array, tx: TxMessage, key: Uint8Array): WireTx {
  const digest = typedDataDigest(domainSep, tx.kind as TxKind, tx.message as never)
  const params = JSON.stringify({
    kind: tx.kind,
    message: encodeMessageJson(tx),
    signature: toHex(signDigest(key, digest)),
  })
  return { hash: toHex(digest), params }
}

/** A JSON-RPC batch body of `perp_sendTransaction` requests (ids are positions in the batch). */
export function batchBody(txs: readonly WireTx[]): string {
  const parts = txs.map(
    (tx, id) => `{"jsonrpc":"2.0","id":${id},"method":"perp_sendTransaction","params":[${tx.params}]}`,
  )
  return `[${parts.join(',')}]`
}
