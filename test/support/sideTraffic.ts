/**
 * Traffic that test/support/load.ts does not send, from devnet accounts 0–3 (funded, unused by Load): transfers
 * between subaccounts 0 and 1 in both directions, post-only orders resting 3–8 % away from the oracle with a
 * client id, and cancels of those orders by client id (10 % of cancels leave the order on the list, so a later
 * cancel may name an order that is already gone). Wallet-signed over JSON-RPC like any client; the choices come from a seeded generator.
 */
import type { PrivateKeyAccount } from 'viem/accounts'
import { privateKeyToAccount } from 'viem/accounts'
import { seededRandom } from '../../engine/index.ts'
import { devnetKey } from '../../node/index.ts'
import { toHex } from '../../state/index.ts'
import { rpcBatch } from './load.ts'
import type { Eip712Info, WireMessage } from './signing.ts'
import { signTx } from './signing.ts'

interface MarketInfo {
  id: number
  tickSize: string
  lotSize: string
  minOrderSize?: string
  oraclePrice: string
}

export class SideTraffic {
  readonly #rand: () => number
  readonly #accounts: PrivateKeyAccount[] = [0, 1, 2, 3].map((i) => privateKeyToAccount(toHex(devnetKey(i).privateKey)))
  readonly #nonces = new Map<string, bigint>()
  /** client ids of resting orders sent per account, oldest first */
  readonly #resting = new Map<string, { market: number; clientId: bigint }[]>()
  #stopped = false
  #loop: Promise<void> | undefined
  readonly sentByKind = new Map<string, number>()
  readonly hashes: string[] = []
  refused = 0

  constructor(seed: number) {
    this.#rand = seededRandom(seed)
  }

  start(url: string): void {
    this.#loop = this.#run(url)
  }

  async stop(): Promise<void> {
    this.#stopped = true
    await this.#loop
  }

  async #run(url: string): Promise<void> {
    const [info, marketsAnswer] = await rpcBatch(url, [
      { method: 'perp_chainInfo', params: [] },
      { method: 'perp_markets', params: [] },
    ])
    if (info?.result === undefined || marketsAnswer?.result === undefined) throw new Error('chain info not served')
    const eip712 = (info.result as { eip712: Eip712Info }).eip712
    const markets = marketsAnswer.result as MarketInfo[]
    while (!this.#stopped) {
      const account = this.#accounts[Math.floor(this.#rand() * this.#accounts.length)] as PrivateKeyAccount
      const { kind, message } = this.#next(account, markets)
      const tx = await signTx(account, eip712, kind, message)
      try {
        const [a] = await rpcBatch(url, [{ method: 'perp_sendTransaction', params: [tx] }])
        this.sentByKind.set(kind, (this.sentByKind.get(kind) ?? 0) + 1)
        if (a === undefined || a.error !== undefined) this.refused++
        else this.hashes.push((a.result as { hash: string }).hash)
      } catch {
        this.refused++
      }
      await new Promise((r) => setTimeout(r, 10 + this.#rand() * 30))
    }
  }

  #nonce(account: PrivateKeyAccount): string {
    const n = (this.#nonces.get(account.address) ?? 0n) + 1n
    this.#nonces.set(account.address, n)
    return n.toString()
  }

  #next(account: PrivateKeyAccount, markets: MarketInfo[]): { kind: string; message: WireMessage } {
    const r = this.#rand()
    const resting = this.#resting.get(account.address) ?? []
    this.#resting.set(account.address, resting)
    if (r < 0.35) {
      // 0 → 1 moves 10–500 USDC; 1 → 0 moves back 1–50 USDC (refused at admission when subaccount 1 is short)
      const out = this.#rand() < 0.6
      const usdc = out ? 10 + Math.floor(this.#rand() * 490) : 1 + Math.floor(this.#rand() * 50)
      return {
        kind: 'transfer',
        message: {
          account: account.address,
          fromSubaccount: out ? 0 : 1,
          toSubaccount: out ? 1 : 0,
          amount: (BigInt(usdc) * 1_000_000n).toString(),
          nonce: this.#nonce(account),
        },
      }
    }
    if (r < 0.7 || resting.length === 0) {
      const m = markets[Math.floor(this.#rand() * markets.length)] as MarketInfo
      const isBuy = this.#rand() < 0.5
      const ref = BigInt(m.oraclePrice)
      const bps = BigInt(300 + Math.floor(this.#rand() * 500))
      const tick = BigInt(m.tickSize)
      const raw = isBuy ? ref - (ref * bps) / 10_000n : ref + (ref * bps) / 10_000n
      const price = (raw / tick) * tick
      const lot = BigInt(m.lotSize)
      const min = BigInt(m.minOrderSize ?? m.lotSize)
      const size = lot * BigInt(1 + Math.floor(this.#rand() * 5))
      const nonce = this.#nonce(account)
      resting.push({ market: m.id, clientId: BigInt(nonce) })
      return {
        kind: 'order',
        message: {
          account: account.address,
          subaccount: '0',
          market: String(m.id),
          isBuy,
          price: price.toString(),
          size: (size >= min ? size : ((min + lot - 1n) / lot) * lot).toString(),
          timeInForce: 0,
          reduceOnly: false,
          postOnly: true,
          clientId: nonce,
          nonce,
          expiresAt: '0',
        },
      }
    }
    // cancel one of this account's resting orders by client id; 10 % of the time it stays on the list
    const replay = this.#rand() < 0.1
    const at = Math.floor(this.#rand() * resting.length)
    const target = resting[at] as { market: number; clientId: bigint }
    if (!replay) resting.splice(at, 1)
    return {
      kind: 'cancel',
      message: {
        account: account.address,
        subaccount: '0',
        market: String(target.market),
        clientId: target.clientId.toString(),
        nonce: this.#nonce(account),
      },
    }
  }
}
