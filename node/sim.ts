/**
 * @module The devnet's market simulation, a real client of the JSON-RPC: an oracle feeder (the three devnet
 * oracle keys report a random-walk price every 500 ms), two market makers (accounts 0 and 1: every second
 * cancel-all then three post-only levels each side around the oracle), and two takers (accounts 2 and 3:
 * IOC orders 0.3% through the oracle; account 3 sends through a validator, which forwards to the sequencer),
 * a gambler (account 6: moves 200 USDC into its subaccount 1 and opens a position at about 18× leverage there)
 * and a liquidator (account 7: takes every live auction in full at its current price once the price is at or
 * better than the oracle). Every 20 s the oracle walk takes a jump of ±2.5%, so liquidations come quickly.
 * With an L1, a bridger (account 8) deposits, withdraws and finalizes its withdrawals on L1 (node/simBridge.ts).
 * Signing is viem's signTypedData with the domain and types from perp_chainInfo, as any wallet would do.
 */

import type { PrivateKeyAccount } from 'viem/accounts'
import { privateKeyToAccount } from 'viem/accounts'
import { toHex } from '../state/index.ts'
import { devnetKey, ORACLE_KEY_INDEXES } from './devnetKeys.ts'
import type { SimBridgeInit } from './simBridge.ts'
import { startSimBridge } from './simBridge.ts'

interface Eip712Info {
  domain: { name: string; version: string; chainId: number }
  types: Record<string, { name: string; type: string }[]>
  primaryTypes: Record<string, string>
}
interface MarketInfo {
  id: number
  symbol: string
  tickSize: string
  lotSize: string
  oraclePrice: string
  priceDecimals: number
  sizeDecimals: number
}

export interface SimOptions {
  sequencerUrl: string
  validatorUrl?: string
  /** the embedded L1 and its rollup: with it, account 8 bridges in and out (node/simBridge.ts) */
  l1?: Pick<SimBridgeInit, 'l1' | 'rollup' | 'token'>
  log: (msg: string) => void
}

export interface Simulation {
  stop(): Promise<void>
  readonly sent: number
  readonly refused: Map<string, number>
}

async function rpc<T>(url: string, method: string, params: unknown[] = []): Promise<T> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
  })
  const body = (await res.json()) as {
    result?: T
    error?: { code: number; message: string; data?: { reason?: string } }
  }
  if (body.error !== undefined)
    throw Object.assign(new Error(body.error.message), { reason: body.error.data?.reason ?? String(body.error.code) })
  return body.result as T
}

export async function startSimulation(o: SimOptions): Promise<Simulation> {
  const info = await rpc<{ eip712: Eip712Info }>(o.sequencerUrl, 'perp_chainInfo')
  const markets = await rpc<MarketInfo[]>(o.sequencerUrl, 'perp_markets')
  const { EIP712Domain: _, ...types } = info.eip712.types
  const prices = markets.map((m) => BigInt(m.oraclePrice))
  const timers: NodeJS.Timeout[] = []
  const inFlight = new Set<Promise<unknown>>()
  const refused = new Map<string, number>()
  let sent = 0
  let nonce = BigInt(Date.now()) * 1000n
  let stopped = false

  async function send(
    account: PrivateKeyAccount,
    kind: string,
    message: Record<string, unknown>,
    url = o.sequencerUrl,
  ): Promise<void> {
    const primaryType = info.eip712.primaryTypes[kind] as string
    const signature = await account.signTypedData({ domain: info.eip712.domain, types, primaryType, message } as never)
    const wire = Object.fromEntries(
      Object.entries(message).map(([k, v]) => [
        k,
        typeof v === 'bigint' ? v.toString() : Array.isArray(v) ? v.map(String) : v,
      ]),
    )
    sent++
    await rpc(url, 'perp_sendTransaction', [{ kind, message: wire, signature }]).catch((e: { reason?: string }) => {
      const reason = e.reason ?? 'NETWORK'
      refused.set(reason, (refused.get(reason) ?? 0) + 1)
    })
  }

  function every(ms: number, job: () => Promise<void>): void {
    const run = (): void => {
      if (stopped) return
      const p = job().catch((e: unknown) => o.log(`sim: ${String(e)}`))
      inFlight.add(p)
      void p.finally(() => inFlight.delete(p))
      timers.push(setTimeout(run, ms))
    }
    timers.push(setTimeout(run, ms * Math.random()))
  }

  const oracles = ORACLE_KEY_INDEXES.map((i) => privateKeyToAccount(toHex(devnetKey(i).privateKey)))
  let lastReport = 0n
  let step = 0
  every(500, async () => {
    // random walk: each step moves at most ±0.1% (integer math on the price units); every 40th step a ±2.5% jump
    step += 1
    const jump = step % 40 === 0 ? (Math.random() < 0.5 ? -25_000n : 25_000n) : 0n
    prices.forEach((p, i) => {
      prices[i] = p + (p * (BigInt(Math.round((Math.random() - 0.5) * 2000)) + jump)) / 1_000_000n
    })
    const timestamp = BigInt(Math.max(Date.now(), Number(lastReport) + 1))
    lastReport = timestamp
    await Promise.all(
      oracles.map((signer, k) =>
        send(signer, 'oracleReport', {
          signer: signer.address,
          timestamp,
          markets: markets.map((m) => m.id),
          prices: prices.map((p) => p + (p * BigInt(k - 1)) / 100_000n),
        }),
      ),
    )
  })

  const snap = (price: bigint, tick: bigint, up: boolean): bigint =>
    up ? ((price + tick - 1n) / tick) * tick : (price / tick) * tick

  const makers = [0, 1].map((i) => privateKeyToAccount(toHex(devnetKey(i).privateKey)))
  makers.forEach((maker, k) => {
    const offsets = k === 0 ? [5n, 10n, 15n] : [8n, 12n, 20n] // bps from the oracle: the two makers never cross
    every(1000, async () => {
      for (const m of markets) {
        await send(maker, 'cancelAll', { account: maker.address, subaccount: 0, market: m.id, nonce: nonce++ })
        const tick = BigInt(m.tickSize)
        const lot = BigInt(m.lotSize)
        const ref = prices[m.id] as bigint
        for (const [level, bps] of offsets.entries()) {
          const size = lot * BigInt(5 + Math.floor(Math.random() * 20)) * BigInt(level + 1)
          for (const isBuy of [true, false]) {
            const price = snap(isBuy ? ref - (ref * bps) / 10_000n : ref + (ref * bps) / 10_000n, tick, !isBuy)
            await send(maker, 'order', {
              account: maker.address,
              subaccount: 0,
              market: m.id,
              isBuy,
              price,
              size,
              timeInForce: 0,
              reduceOnly: false,
              postOnly: true,
              clientId: nonce,
              nonce: nonce++,
              expiresAt: 0n,
            })
          }
        }
      }
    })
  })

  /** An IOC order 30 bps through the oracle: it fills against the makers' levels. */
  const take = (
    account: PrivateKeyAccount,
    subaccount: number,
    m: MarketInfo,
    isBuy: boolean,
    size: bigint,
    url = o.sequencerUrl,
  ): Promise<void> => {
    const ref = prices[m.id] as bigint
    const price = snap(isBuy ? ref + (ref * 30n) / 10_000n : ref - (ref * 30n) / 10_000n, BigInt(m.tickSize), isBuy)
    const message = { account: account.address, subaccount, market: m.id, isBuy, price, size, timeInForce: 1 }
    const flags = { reduceOnly: false, postOnly: false, clientId: 0n, nonce: nonce++, expiresAt: 0n }
    return send(account, 'order', { ...message, ...flags }, url)
  }

  const takers = [2, 3].map((i) => privateKeyToAccount(toHex(devnetKey(i).privateKey)))
  takers.forEach((taker, k) => {
    every(400, async () => {
      const m = markets[Math.floor(Math.random() * markets.length)] as MarketInfo
      const isBuy = Math.random() < 0.5
      const size = BigInt(m.lotSize) * BigInt(1 + Math.floor(Math.random() * 10))
      const url = k === 1 && o.validatorUrl !== undefined ? o.validatorUrl : o.sequencerUrl
      await take(taker, 0, m, isBuy, size, url)
    })
  })

  const gambler = privateKeyToAccount(toHex(devnetKey(6).privateKey))
  every(3000, async () => {
    const sub = await rpc<{ equity: string; positions: unknown[]; collateral: string }>(
      o.sequencerUrl,
      'perp_account',
      [gambler.address, 1],
    )
    if (sub.positions.length > 0) return
    if (BigInt(sub.equity) < 100_000_000n)
      await send(gambler, 'transfer', {
        account: gambler.address,
        fromSubaccount: 0,
        toSubaccount: 1,
        amount: 200_000_000n,
        nonce: nonce++,
      })
    const m = markets[0] as MarketInfo
    const ref = prices[m.id] as bigint
    const isBuy = Math.random() < 0.5
    // about 18× the 200 USDC: 3,600 USDC of notional, in whole lots (size = notional × quoteDivisor / price)
    const lot = BigInt(m.lotSize)
    const quoteDivisor = 10n ** BigInt(m.priceDecimals + m.sizeDecimals - 6)
    const size = ((3_600_000_000n * quoteDivisor) / ref / lot) * lot
    await take(gambler, 1, m, isBuy, size)
  })

  const liquidator = privateKeyToAccount(toHex(devnetKey(7).privateKey))
  every(500, async () => {
    const { auctions } = await rpc<{
      auctions: { id: string; market: number; size: string; price: string; bidderBuys: boolean }[]
    }>(o.sequencerUrl, 'perp_auctions')
    for (const a of auctions) {
      const oracle = prices[a.market] as bigint
      const price = BigInt(a.price)
      if (a.bidderBuys ? price > oracle : price < oracle) continue // not yet worth taking
      await send(liquidator, 'auctionBid', {
        account: liquidator.address,
        subaccount: 0,
        auctionId: BigInt(a.id),
        size: BigInt(a.size),
        limitPrice: price,
        nonce: nonce++,
      })
    }
  })

  if (o.l1 !== undefined) {
    const bridger = privateKeyToAccount(toHex(devnetKey(8).privateKey))
    startSimBridge({
      ...o.l1,
      account: bridger,
      rpc: (method, params) => rpc(o.sequencerUrl, method, params),
      send: (kind, message) => send(bridger, kind, message),
      nextNonce: () => nonce++,
      every,
      log: o.log,
    })
  }

  return {
    get sent() {
      return sent
    },
    refused,
    async stop() {
      stopped = true
      for (const t of timers) clearTimeout(t)
      await Promise.allSettled([...inFlight])
    },
  }
}
