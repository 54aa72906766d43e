/**
 * Load for a node that is being killed and restarted: wallet-signed transactions over JSON-RPC, as any
 * client sends them (viem's signTypedData with the EIP-712 domain and types from perp_chainInfo), and a
 * record of what the node acknowledged.
 *
 * - oracle reports from the devnet oracle keys (10–12) every 150 ms, a seeded random walk, so prices stay fresh;
 * - makers (devnet accounts 4–6, funded and otherwise unused): post-only orders 2–80 bps around the oracle,
 *   and now and then (3 %) a cancelAll, so a few hundred orders rest;
 * - takers (accounts 7–9): IOC orders 30 bps through the oracle, which fill against the makers.
 *
 * A transaction counts as acknowledged once perp_transaction reports it `included` or `rejected` (both mean:
 * in a committed block, with a receipt). `check()` asks a node whether acknowledged transactions are still
 * where they were. What the node reported as its head (perp_chainInfo) is kept as `durable`.
 */
import type { PrivateKeyAccount } from 'viem/accounts'
import { privateKeyToAccount } from 'viem/accounts'
import { seededRandom } from '../../engine/index.ts'
import { devnetKey, ORACLE_KEY_INDEXES } from '../../node/index.ts'
import { toHex } from '../../state/index.ts'
import type { Eip712Info } from './signing.ts'

interface RpcAnswer {
  id: number
  result?: unknown
  error?: { code: number; message: string; data?: { reason?: string } }
}

/** One JSON-RPC batch over HTTP; answers in call order. Throws on a network error. */
export async function rpcBatch(url: string, calls: { method: string; params: unknown[] }[]): Promise<RpcAnswer[]> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(calls.map((c, id) => ({ jsonrpc: '2.0', id, ...c }))),
    signal: AbortSignal.timeout(5000),
  })
  const answers = (await res.json()) as RpcAnswer[]
  const byId = new Map(answers.map((a) => [a.id, a]))
  return calls.map((_, id) => byId.get(id) ?? { id, error: { code: 0, message: 'no answer' } })
}

export interface AckedTx {
  status: 'included' | 'rejected'
  height: bigint
  index: number
  /** the node start (1, 2, …) during which it was acknowledged */
  epoch: number
}

interface TxInfo {
  status: string
  height?: string
  index?: number
}

interface MarketInfo {
  id: number
  tickSize: string
  lotSize: string
  minOrderSize?: string
  oraclePrice: string
}

export class Load {
  readonly #rand: () => number
  #url: string | undefined
  #epoch = 0
  #stopped = false
  #loops: Promise<void>[] = []
  #eip712: Eip712Info | undefined
  #markets: MarketInfo[] = []
  #prices: bigint[] = []
  #nonce = 1n
  #lastReport = 0n
  readonly pending = new Map<string, number>()
  readonly acked = new Map<string, AckedTx>()
  readonly refused = new Map<string, number>()
  sent = 0
  networkErrors = 0
  /** sent and accepted, then gone with a killed node before any block held it */
  lost = 0
  /** accepted, then dropped without a receipt while the node ran (a block stopped by an invariant) */
  dropped = 0
  durable: { height: bigint; stateRoot: string } = { height: -1n, stateRoot: '' }

  constructor(seed: number) {
    this.#rand = seededRandom(seed)
  }

  get epoch(): number {
    return this.#epoch
  }

  /** Points the load at a freshly started node (a new epoch); the first call starts the loops. */
  async attach(url: string): Promise<void> {
    this.#epoch++
    if (this.#eip712 === undefined) {
      const [info, markets] = await rpcBatch(url, [
        { method: 'perp_chainInfo', params: [] },
        { method: 'perp_markets', params: [] },
      ])
      if (info?.result === undefined || markets?.result === undefined) throw new Error('chain info not served')
      this.#eip712 = (info.result as { eip712: Eip712Info }).eip712
      this.#markets = markets.result as MarketInfo[]
      this.#prices = this.#markets.map((m) => BigInt(m.oraclePrice))
      this.#start()
    }
    this.#url = url
  }

  /** The node is gone: the loops idle until the next attach. */
  detach(): void {
    this.#url = undefined
  }

  async stop(): Promise<void> {
    this.#stopped = true
    this.#url = undefined
    await Promise.all(this.#loops)
  }

  #start(): void {
    const makers = [4, 5, 6].map((i) => privateKeyToAccount(toHex(devnetKey(i).privateKey)))
    const takers = [7, 8, 9].map((i) => privateKeyToAccount(toHex(devnetKey(i).privateKey)))
    const oracles = ORACLE_KEY_INDEXES.map((i) => privateKeyToAccount(toHex(devnetKey(i).privateKey)))
    this.#loops = [
      ...makers.map((a) => this.#loop(25, () => this.#makerTx(a))),
      ...takers.map((a) => this.#loop(40, () => this.#takerTx(a))),
      this.#loop(150, () => this.#oracleTxs(oracles)),
      this.#pollLoop(),
    ]
  }

  async #loop(paceMs: number, next: () => Promise<{ kind: string; message: unknown; signature: string }[]>) {
    while (!this.#stopped) {
      const url = this.#url
      if (url === undefined) {
        await sleep(10)
        continue
      }
      const epoch = this.#epoch
      const txs = await next()
      try {
        const answers = await rpcBatch(
          url,
          txs.map((tx) => ({ method: 'perp_sendTransaction', params: [tx] })),
        )
        this.sent += txs.length
        for (const a of answers) {
          if (a.error !== undefined) {
            const reason = a.error.data?.reason ?? String(a.error.code)
            this.refused.set(reason, (this.refused.get(reason) ?? 0) + 1)
          } else this.pending.set((a.result as { hash: string }).hash, epoch)
        }
      } catch {
        this.networkErrors++
        await sleep(10)
      }
      await sleep(paceMs * (0.5 + this.#rand()))
    }
  }

  async #sign(account: PrivateKeyAccount, kind: string, message: Record<string, unknown>) {
    const eip712 = this.#eip712 as Eip712Info
    const { EIP712Domain: _, ...types } = eip712.types
    const primaryType = eip712.primaryTypes[kind] as string
    const signature = await account.signTypedData({ domain: eip712.domain, types, primaryType, message } as never)
    const wire = Object.fromEntries(
      Object.entries(message).map(([k, v]) => [
        k,
        typeof v === 'bigint' ? v.toString() : Array.isArray(v) ? v.map(String) : v,
      ]),
    )
    return { kind, message: wire, signature }
  }

  #market(): MarketInfo {
    return this.#markets[Math.floor(this.#rand() * this.#markets.length)] as MarketInfo
  }

  #size(m: MarketInfo): bigint {
    const lot = BigInt(m.lotSize)
    const min = BigInt(m.minOrderSize ?? m.lotSize)
    const size = lot * BigInt(1 + Math.floor(this.#rand() * 8))
    return size >= min ? size : ((min + lot - 1n) / lot) * lot
  }

  #snap(price: bigint, m: MarketInfo, up: boolean): bigint {
    const tick = BigInt(m.tickSize)
    return up ? ((price + tick - 1n) / tick) * tick : (price / tick) * tick
  }

  async #makerTx(a: PrivateKeyAccount) {
    const m = this.#market()
    const nonce = this.#nonce++
    if (this.#rand() < 0.03)
      return [await this.#sign(a, 'cancelAll', { account: a.address, subaccount: 0, market: m.id, nonce })]
    const isBuy = this.#rand() < 0.5
    const ref = this.#prices[m.id] as bigint
    const bps = BigInt(2 + Math.floor(this.#rand() * 80))
    const price = this.#snap(isBuy ? ref - (ref * bps) / 10_000n : ref + (ref * bps) / 10_000n, m, !isBuy)
    return [await this.#order(a, m, { isBuy, price, timeInForce: 0, postOnly: true, clientId: nonce, nonce })]
  }

  /** A signed order of a random size; the rest of the fields as given. */
  #order(
    a: PrivateKeyAccount,
    m: MarketInfo,
    o: { isBuy: boolean; price: bigint; timeInForce: number; postOnly: boolean; clientId: bigint; nonce: bigint },
  ) {
    return this.#sign(a, 'order', {
      account: a.address,
      subaccount: 0,
      market: m.id,
      size: this.#size(m),
      reduceOnly: false,
      expiresAt: 0n,
      ...o,
    })
  }

  async #takerTx(a: PrivateKeyAccount) {
    const m = this.#market()
    const isBuy = this.#rand() < 0.5
    const ref = this.#prices[m.id] as bigint
    const price = this.#snap(isBuy ? ref + (ref * 30n) / 10_000n : ref - (ref * 30n) / 10_000n, m, isBuy)
    return [
      await this.#order(a, m, { isBuy, price, timeInForce: 1, postOnly: false, clientId: 0n, nonce: this.#nonce++ }),
    ]
  }

  async #oracleTxs(oracles: PrivateKeyAccount[]) {
    // random walk: each step moves at most ±0.05%
    this.#prices = this.#prices.map((p) => p + (p * BigInt(Math.round((this.#rand() - 0.5) * 1000))) / 1_000_000n)
    const timestamp = BigInt(Math.max(Date.now(), Number(this.#lastReport) + 1))
    this.#lastReport = timestamp
    return Promise.all(
      oracles.map((signer, k) =>
        this.#sign(signer, 'oracleReport', {
          signer: signer.address,
          timestamp,
          markets: this.#markets.map((m) => m.id),
          prices: this.#prices.map((p) => p + (p * BigInt(k - 1)) / 100_000n),
        }),
      ),
    )
  }

  /** Asks the node for the head and for up to 99 pending transactions, every 30 ms. */
  async #pollLoop(): Promise<void> {
    while (!this.#stopped) {
      await sleep(30)
      const url = this.#url
      if (url !== undefined) await this.poll(url).catch(() => undefined)
    }
  }

  async poll(url: string): Promise<void> {
    const epoch = this.#epoch
    const hashes = [...this.pending.keys()].slice(0, 99)
    const answers = await rpcBatch(url, [
      { method: 'perp_chainInfo', params: [] },
      ...hashes.map((h) => ({ method: 'perp_transaction', params: [h] })),
    ])
    const info = answers[0]?.result as { height: string; stateRoot: string } | undefined
    if (info !== undefined && BigInt(info.height) > this.durable.height)
      this.durable = { height: BigInt(info.height), stateRoot: info.stateRoot }
    hashes.forEach((hash, i) => {
      const a = answers[i + 1]
      if (a === undefined || a.error !== undefined) return
      const t = a.result as TxInfo | null
      if (t !== null && (t.status === 'included' || t.status === 'rejected')) {
        this.acked.set(hash, { status: t.status, height: BigInt(t.height as string), index: t.index as number, epoch })
        this.pending.delete(hash)
      } else if (t === null) {
        if ((this.pending.get(hash) as number) < epoch) this.lost++
        else this.dropped++
        this.pending.delete(hash)
      }
    })
  }

  /** Checks acknowledged transactions against a node: same status, height and index. Returns the problems. */
  async check(url: string, hashes: string[]): Promise<string[]> {
    const problems: string[] = []
    for (let i = 0; i < hashes.length; i += 100) {
      const part = hashes.slice(i, i + 100)
      const answers = await rpcBatch(
        url,
        part.map((h) => ({ method: 'perp_transaction', params: [h] })),
      )
      part.forEach((hash, k) => {
        const want = this.acked.get(hash) as AckedTx
        const got = answers[k]?.result as TxInfo | null | undefined
        if (
          got === undefined ||
          got === null ||
          got.status !== want.status ||
          got.height !== want.height.toString() ||
          got.index !== want.index
        )
          problems.push(
            `tx ${hash} was ${want.status} at ${want.height}/${want.index} (epoch ${want.epoch}), now ${JSON.stringify(got)}`,
          )
      })
    }
    return problems
  }

  stats(): string {
    const acked = [...this.acked.values()]
    const included = acked.filter((a) => a.status === 'included').length
    const refused = [...this.refused].map(([r, n]) => `${r} ${n}`).join(', ')
    return (
      `sent ${this.sent}, acknowledged ${acked.length} (${included} included, ${acked.length - included} rejected in a block), ` +
      `lost with a killed node before inclusion ${this.lost}, refused at admission ${refused === '' ? '0' : refused}`
    )
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))
