/**
 * The client SDK (imported as a user would, through the package export 'perpd/client') against a real
 * sequencer on loopback with an oracle feed: decimal orders land at the hand-computed integer price, cancels,
 * transfers, withdrawals, an agent trading for its owner, a JSON-RPC account signing through a real wallet
 * (anvil), typed refusals from the node, and refusals of malformed decimals before anything is sent.
 */
import { spawn } from 'node:child_process'
import { join } from 'node:path'
import type { ChainEvent, FetchFn, NewHead, PerpdClient } from 'perpd/client'
import {
  AuctionNotFoundError,
  createClient,
  InsufficientMarginError,
  NonceReusedError,
  NotOnTickError,
  type PerpdError,
  TooManyDecimalsError,
  UnauthorizedError,
  UnknownMarketError,
} from 'perpd/client'
import { createWalletClient, http } from 'viem'
import { generatePrivateKey, mnemonicToAccount, privateKeyToAccount } from 'viem/accounts'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import type { PerpNode } from '../../node/index.ts'
import { DEVNET_MNEMONIC, devnetKey } from '../../node/index.ts'
import { toHex } from '../../state/index.ts'
import { freePort, startSequencer, tempDir } from '../support/nodes.ts'
import { feedOracle } from '../support/oracle.ts'

/** A real fetch that records the JSON-RPC methods it carried, to prove what was (not) sent. */
function recordingFetch(): { fetch: FetchFn; methods: string[] } {
  const methods: string[] = []
  return {
    methods,
    fetch: (input, init) => {
      methods.push((JSON.parse(String(init.body)) as { method: string }).method)
      return fetch(input, init)
    },
  }
}

/** anvil on loopback: a real Ethereum node whose unlocked accounts are the devnet mnemonic's (a JSON-RPC wallet). */
async function startAnvil(): Promise<{ url: string; stop: () => Promise<void> }> {
  const port = await freePort()
  const bin = join(import.meta.dirname, '../../node_modules/.bin/anvil')
  const child = spawn(bin, ['--host', '127.0.0.1', '--port', String(port), '--silent'], { stdio: 'ignore' })
  const url = `http://127.0.0.1:${port}`
  const until = Date.now() + 20_000
  for (;;) {
    const up = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"jsonrpc":"2.0","id":1,"method":"eth_chainId","params":[]}',
    }).then(
      (r) => r.ok,
      () => false,
    )
    if (up) break
    if (Date.now() > until || child.exitCode !== null) throw new Error('anvil did not start')
    await new Promise((r) => setTimeout(r, 100))
  }
  return {
    url,
    stop: async () => {
      if (child.exitCode !== null) return
      const exited = new Promise((r) => child.once('exit', r))
      child.kill('SIGTERM')
      await exited
    },
  }
}

// devnet traders (genesis.json): 1,000,000 USDC each in subaccount 0
const alice = mnemonicToAccount(DEVNET_MNEMONIC, { addressIndex: 2 })
const bob = privateKeyToAccount(toHex(devnetKey(3).privateKey))

describe('perpd/client against a sequencer', () => {
  const dir = tempDir('client')
  let node: PerpNode
  let a: PerpdClient
  let b: PerpdClient

  beforeAll(async () => {
    node = await startSequencer({ dataDir: dir.path })
    a = createClient({ url: node.rpcUrl, account: alice })
    b = createClient({ url: node.rpcUrl, account: bob })
  })
  // orders need a fresh oracle price (maxPriceAgeMs 30 s on the devnet)
  beforeEach(async () => feedOracle(node.rpcUrl))
  afterAll(async () => {
    await node?.stop()
    dir.remove()
  })

  it("reads the node's EIP-712 domain and the markets with bigint scales", async () => {
    expect((await a.eip712()).domain).toEqual({ name: 'perpd', version: '1', chainId: 424242 })
    const btc = await a.market('btc-usd')
    expect(btc).toMatchObject({ id: 0, symbol: 'BTC-USD', priceDecimals: 8, sizeDecimals: 6 })
    expect(btc.tickSize).toBe(10_000_000n)
    expect(btc.lotSize).toBe(1_000n)
    expect((await a.chainInfo()).height).toBeTypeOf('bigint')
    const account = await a.account()
    expect(account.address).toBe(alice.address.toLowerCase())
    expect(account.collateral).toBe(1_000_000_000_000n)
  })

  it('places a decimal order that rests at the hand-computed integer price, then cancels it by clientId', async () => {
    const { hash, clientId } = await a.placeOrder({
      market: 'BTC-USD',
      side: 'buy',
      price: '55000.5',
      size: '0.012',
      postOnly: true,
    })
    expect((await a.waitFor(hash)).status).toBe('included')
    // 55000.5 × 10^8 price units; 0.012 × 10^6 size units
    const price = 55_000n * 100_000_000n + 50_000_000n
    const book = await a.orderBook('BTC-USD')
    expect(book.bids).toContainEqual([price, 12_000n])
    const open = (await a.account()).openOrders
    expect(open).toEqual([expect.objectContaining({ market: 0, isBuy: true, price, size: 12_000n, clientId })])

    const cancel = await a.cancel({ market: 0, clientId })
    const receipt = await a.waitFor(cancel.hash)
    expect(receipt).toMatchObject({ status: 'included', kind: 'cancel' })
    expect((await a.account()).openOrders).toEqual([])
  })

  it('cancelAll removes every resting order of the subaccount in the market', async () => {
    const o1 = await a.placeOrder({ market: 'ETH-USD', side: 'buy', price: '2500.01', size: '0.5', clientId: 11n })
    const o2 = await a.placeOrder({ market: 'ETH-USD', side: 'sell', price: '3500.25', size: '0.25', clientId: 12n })
    await a.waitFor(o1.hash)
    await a.waitFor(o2.hash)
    expect((await a.account()).openOrders.map((o) => o.clientId).sort()).toEqual([11n, 12n])
    const all = await a.cancelAll({ market: 'ETH-USD' })
    expect((await a.waitFor(all.hash)).status).toBe('included')
    expect((await a.account()).openOrders).toEqual([])
  })

  it('a market order is an IOC within the slippage of the best ask and fills at the maker price', async () => {
    const ask = await b.placeOrder({ market: 'BTC-USD', side: 'sell', price: '60000', size: '0.01', postOnly: true })
    await b.waitFor(ask.hash)
    const { hash } = await a.marketOrder({ market: 'BTC-USD', side: 'buy', size: '0.01', slippage: '0.01' })
    const receipt = await a.waitFor(hash)
    expect(receipt.status).toBe('included')
    const fill = 'events' in receipt ? receipt.events.find((e) => e.type === 'fill') : undefined
    expect(fill).toMatchObject({ price: 6_000_000_000_000n, size: 10_000n, takerIsBuy: true })
    expect((await a.account()).positions).toEqual([expect.objectContaining({ market: 0, size: 10_000n })])
  })

  it('transfers between subaccounts in USDC decimals', async () => {
    const before = (await b.account(undefined, 0)).collateral
    const { hash } = await b.transfer({ from: 0, to: 1, amount: '250.75' })
    expect((await b.waitFor(hash)).status).toBe('included')
    expect((await b.account(undefined, 1)).collateral).toBe(250_750_000n)
    expect((await b.account(undefined, 0)).collateral).toBe(before - 250_750_000n)
  })

  it('withdraws: the collateral leaves at once and the receipt shows the pending withdrawal', async () => {
    const before = (await b.account()).collateral
    const { hash } = await b.withdraw({ amount: '100.5' })
    const receipt = await b.waitFor(hash)
    expect(receipt.status).toBe('included')
    const event = 'events' in receipt ? receipt.events.find((e) => e.type === 'withdrawal') : undefined
    expect(event).toMatchObject({ amount: 100_500_000n, recipient: bob.address.toLowerCase() })
    expect((await b.account()).collateral).toBe(before - 100_500_000n)
  })

  it('raises the typed error of the node: insufficient margin, nonce reused', async () => {
    // 100 USDC in subaccount 7 cannot carry a resting 0.1 BTC bid at $55,000 (5% initial margin = 275 USDC)
    await b.waitFor((await b.transfer({ from: 0, to: 7, amount: '100' })).hash)
    const e = await b
      .placeOrder({ market: 'BTC-USD', side: 'buy', price: '55000', size: '0.1', subaccount: 7 })
      .catch((x) => x)
    expect(e).toBeInstanceOf(InsufficientMarginError)
    expect(e).toMatchObject({ reason: 'INSUFFICIENT_MARGIN', code: 1040, origin: 'node' })

    const nonce = 7_000_000_000_000_000n
    await b.cancelAll({ market: 0, nonce })
    const again = await b.cancelAll({ market: 1, nonce }).catch((x) => x)
    expect(again).toBeInstanceOf(NonceReusedError)
    expect((again as PerpdError).reason).toBe('NONCE_REUSED')
  })

  it('refuses too many decimals, off-tick prices and unknown markets before sending anything', async () => {
    const rec = recordingFetch()
    const c = createClient({ url: node.rpcUrl, account: alice, fetch: rec.fetch })
    const refusals = [
      () => c.placeOrder({ market: 'BTC-USD', side: 'buy', price: '60000.123456789', size: '0.01' }),
      () => c.placeOrder({ market: 'BTC-USD', side: 'buy', price: '60000', size: '0.0100001' }),
      () => c.withdraw({ amount: '1.0000001' }),
      () => c.transfer({ from: 0, to: 1, amount: '0.0000005' }),
    ]
    for (const send of refusals) expect(await send().catch((x) => x)).toBeInstanceOf(TooManyDecimalsError)
    const offTick = await c
      .placeOrder({ market: 'BTC-USD', side: 'buy', price: '60000.05', size: '0.01' })
      .catch((x) => x)
    expect(offTick).toBeInstanceOf(NotOnTickError)
    expect(offTick).toMatchObject({ origin: 'client', field: 'price' })
    expect(await c.cancelAll({ market: 'DOGE-USD' }).catch((x) => x)).toBeInstanceOf(UnknownMarketError)
    // reading the markets (for their scales) is all that went out
    expect(rec.methods.filter((m) => m !== 'perp_markets')).toEqual([])
  })

  it('an agent client signs for its owner; it may not move collateral', async () => {
    const agentKey = privateKeyToAccount(generatePrivateKey())
    const agent = createClient({ url: node.rpcUrl, account: agentKey, owner: alice.address })
    expect(agent.address).toBe(alice.address.toLowerCase())
    expect(agent.signer).toBe(agentKey.address.toLowerCase())
    // refused by the client, before signing: agents trade and cancel only
    for (const move of [
      () => agent.withdraw({ amount: '1' }),
      () => agent.transfer({ from: 0, to: 1, amount: '1' }),
      () => agent.approveAgent({ agent: agentKey.address, validUntil: 1n }),
    ])
      expect(await move().catch((x) => x)).toMatchObject({ reason: 'UNAUTHORIZED', origin: 'client' })
    // not approved yet: the node recovers the agent's key from an order for alice's account and refuses it
    const early = await agent
      .placeOrder({ market: 'BTC-USD', side: 'buy', price: '50000', size: '0.002' })
      .catch((x) => x)
    expect(early).toBeInstanceOf(UnauthorizedError)
    expect((early as PerpdError).shortMessage).toContain(agentKey.address.toLowerCase())
    expect((early as PerpdError).shortMessage).toContain(alice.address.toLowerCase())
  })

  it('an approved agent trades and cancels for its owner', async () => {
    const agentKey = privateKeyToAccount(generatePrivateKey())
    const approval = await a.approveAgent({ agent: agentKey.address, validUntil: new Date(Date.now() + 3_600_000) })
    expect((await a.waitFor(approval.hash)).status).toBe('included')

    const agent = createClient({ url: node.rpcUrl, account: agentKey, owner: alice.address })
    const order = await agent.placeOrder({
      market: 'BTC-USD',
      side: 'buy',
      price: '50000',
      size: '0.002',
      clientId: 77n,
    })
    expect((await agent.waitFor(order.hash)).status).toBe('included')
    expect((await a.account()).openOrders).toContainEqual(expect.objectContaining({ clientId: 77n }))
    const cancel = await agent.cancel({ market: 'BTC-USD', clientId: 77n })
    expect((await agent.waitFor(cancel.hash)).status).toBe('included')
    expect((await a.account()).openOrders).not.toContainEqual(expect.objectContaining({ clientId: 77n }))
  })

  it('signs with a JSON-RPC account through a viem WalletClient (anvil holds the key)', async () => {
    const anvil = await startAnvil()
    try {
      const walletClient = createWalletClient({ transport: http(anvil.url, { retryCount: 0 }) })
      // anvil's fifth unlocked account is devnet trader 4
      const address = devnetKey(4).account.address as `0x${string}`
      const c = createClient({ url: node.rpcUrl, account: { address, type: 'json-rpc' }, walletClient })
      const { hash } = await c.placeOrder({ market: 'ETH-USD', side: 'buy', price: '2000', size: '1', postOnly: true })
      expect((await c.waitFor(hash)).status).toBe('included')
      expect((await c.account()).openOrders).toEqual([
        expect.objectContaining({ market: 1, price: 200_000_000_000n, size: 1_000_000n }),
      ])
    } finally {
      await anvil.stop()
    }
  })

  it('bid looks the auction up first: none live is AuctionNotFoundError before signing', async () => {
    const rec = recordingFetch()
    const c = createClient({ url: node.rpcUrl, account: bob, fetch: rec.fetch })
    const e = await c.bid({ auctionId: 1n, size: '0.01', limitPrice: '59000' }).catch((x) => x)
    expect(e).toBeInstanceOf(AuctionNotFoundError)
    expect(e).toMatchObject({ origin: 'client', field: 'auctionId' })
    expect(rec.methods).toEqual(['perp_auctions'])
  })

  it('subscribes over WebSocket: consecutive heads as bigints, and the fills of its own trade', async () => {
    const heads: NewHead[] = []
    const fills: ChainEvent[] = []
    const h = await a.subscribe('newHeads', {}, { onData: (head) => heads.push(head) })
    const f = await a.subscribe(
      'fills',
      { market: 'BTC-USD', account: alice.address },
      {
        onData: (n) => fills.push(...n.fills),
      },
    )
    await b.waitFor(
      (await b.placeOrder({ market: 0, side: 'sell', price: '60000', size: '0.002', postOnly: true })).hash,
    )
    await a.waitFor((await a.marketOrder({ market: 0, side: 'buy', size: '0.002' })).hash)
    for (let i = 0; i < 100 && (fills.length === 0 || heads.length < 3); i++)
      await new Promise((r) => setTimeout(r, 50))
    expect(fills).toEqual([expect.objectContaining({ price: 6_000_000_000_000n, size: 2_000n, side: 'buy' })])
    expect(heads.length).toBeGreaterThanOrEqual(3)
    for (let i = 1; i < heads.length; i++) expect(heads[i]?.height).toBe((heads[i - 1]?.height ?? 0n) + 1n)
    expect(await h.unsubscribe()).toBe(true)
    expect(await f.unsubscribe()).toBe(true)
    await a.close()
  })

  it('serves the other reads typed: block, transaction, proof, auctions, insurance fund', async () => {
    const head = await a.block()
    expect(head?.height).toBeTypeOf('bigint')
    expect(await a.block(10n ** 12n)).toBeNull()
    const proof = await a.proof()
    expect(proof).toMatchObject({ kind: 'member' })
    expect(proof.height).toBeTypeOf('bigint')
    expect(await a.auctions('BTC-USD')).toMatchObject({ auctions: [] })
    const fund = await a.insuranceFund()
    expect(fund.balance).toBeTypeOf('bigint')
    expect(await a.transaction(`0x${'00'.repeat(32)}`)).toBeNull()
  })
})
