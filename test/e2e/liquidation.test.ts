/**
 * A liquidation end to end on a real sequencer, every transaction wallet-signed over JSON-RPC: a trader moves
 * 600 USDC into its subaccount 1 and buys 0.1 BTC there at $60,000 (10×); the oracle falls to $57,000; the
 * account is found below maintenance margin and a slice of its long goes to auction (perp_auctions); a liquidator
 * signs an AuctionBid at the listed price and takes it (auctionFill in its receipt; auctionStarted in the events of
 * the block that started it); perp_insuranceFund shows the
 * fund's balance no lower than at genesis.
 */
import { privateKeyToAccount } from 'viem/accounts'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { PerpNode } from '../../node/index.ts'
import { devnetKey } from '../../node/index.ts'
import { toHex } from '../../state/index.ts'
import { startSequencer, tempDir } from '../support/nodes.ts'
import { feedOracle } from '../support/oracle.ts'
import { call, waitFor } from '../support/rpcClient.ts'
import type { Eip712Info, WireMessage } from '../support/signing.ts'
import { sendAndWait } from '../support/signing.ts'

const maker = privateKeyToAccount(toHex(devnetKey(0).privateKey))
const trader = privateKeyToAccount(toHex(devnetKey(1).privateKey))
const liquidator = privateKeyToAccount(toHex(devnetKey(2).privateKey))

interface Included {
  status: string
  events: { type: string; [k: string]: unknown }[]
  error?: { reason: string }
}
interface AuctionJson {
  id: string
  market: number
  asset: number
  address: string
  subaccount: number
  size: string
  price: string
  bidderBuys: boolean
}

describe('liquidation over JSON-RPC', () => {
  const dir = tempDir('liq')
  let node: PerpNode
  let eip712: Eip712Info
  let nonce = 1

  const send = (account: typeof maker, kind: string, message: WireMessage): Promise<Included> =>
    sendAndWait(node.rpcUrl, account, eip712, kind, { ...message, nonce: String(nonce++) })

  beforeAll(async () => {
    node = await startSequencer({ dataDir: dir.path })
    eip712 = (await call<{ eip712: Eip712Info }>(node.rpcUrl, 'perp_chainInfo')).eip712
    await feedOracle(node.rpcUrl)
  })

  afterAll(async () => {
    await node?.stop()
    dir.remove()
  })

  it('auctions an under-margined account and lets a signed bid take the slice', async () => {
    const order = { market: '0', price: '6000000000000', size: '100000', reduceOnly: false, postOnly: false }
    const rest = await send(maker, 'order', {
      ...order,
      account: maker.address,
      subaccount: '0',
      isBuy: false,
      timeInForce: 0,
      clientId: '1',
      expiresAt: '0',
    })
    expect(rest.status).toBe('included')
    const moved = await send(trader, 'transfer', {
      account: trader.address,
      fromSubaccount: '0',
      toSubaccount: '1',
      amount: '600000000',
    })
    expect(moved.status).toBe('included')
    // initial margin 5% of 6,000 USDC = 300 ≤ 600 − the 3 USDC fee (a calm market: volatility scale ×1)
    const bought = await send(trader, 'order', {
      ...order,
      account: trader.address,
      subaccount: '1',
      isBuy: true,
      timeInForce: 1,
      clientId: '2',
      expiresAt: '0',
    })
    expect(bought.events.map((e) => e.type)).toEqual(['fill'])

    // $57,000: equity 597 − 300 = 297 USDC. One 5% oracle step sets the volatility to √(0.06 × 50,000²) ≈ 12,247
    // PPM, 12× the reference, so the scale sits at its ×3 cap: maintenance 9% of 5,700 = 513 USDC > 297. The
    // bankruptcy point of even the whole position is 2,970 USD lower (about 10 s of the −0.5%/s auction), so a
    // slow machine still bids before the fund would take over.
    await feedOracle(node.rpcUrl, ['5700000000000', '300000000000'])
    const auction = await waitFor('an auction for the trader', async () => {
      const { auctions } = await call<{ auctions: AuctionJson[] }>(node.rpcUrl, 'perp_auctions', [0])
      return auctions.find((a) => a.address === trader.address.toLowerCase() && a.subaccount === 1)
    })
    expect(auction).toMatchObject({ market: 0, asset: 0, bidderBuys: true })
    expect(BigInt(auction.size)).toBeGreaterThan(0n)
    expect(BigInt(auction.price)).toBeLessThanOrEqual(5_700_000_000_000n)
    // the block that started it says so in its own events
    const latest = BigInt(await call<string>(node.rpcUrl, 'eth_blockNumber'))
    let started: unknown
    for (let h = latest; h > 0n && started === undefined; h--) {
      const block = await call<{ events: { type: string; auctionId?: string }[] }>(node.rpcUrl, 'perp_block', [
        h.toString(),
      ])
      started = block.events.find((e) => e.type === 'auctionStarted' && e.auctionId === auction.id)
    }
    expect(started).toMatchObject({ market: 0, asset: 0, subaccount: 1, size: auction.size })
    const refused = await call<{ auctions: AuctionJson[] }>(node.rpcUrl, 'perp_auctions', [1])
    expect(refused.auctions).toEqual([])

    const fundBefore = await call<{ balance: string }>(node.rpcUrl, 'perp_insuranceFund')
    // the listed price is the head's; the bid's block comes later, when a falling auction is cheaper
    const bid = await send(liquidator, 'auctionBid', {
      account: liquidator.address,
      subaccount: '0',
      auctionId: auction.id,
      size: auction.size,
      limitPrice: auction.price,
    })
    expect(bid.error).toBeUndefined()
    expect(bid.events).toEqual([
      expect.objectContaining({
        type: 'auctionFill',
        auctionId: auction.id,
        size: auction.size,
        bidder: liquidator.address.toLowerCase(),
      }),
    ])
    const taken = await call<{ positions: { market: number; size: string }[] }>(node.rpcUrl, 'perp_account', [
      liquidator.address,
      0,
    ])
    expect(taken.positions).toEqual([expect.objectContaining({ market: 0, size: auction.size })])
    const fund = await call<{ address: string; balance: string }>(node.rpcUrl, 'perp_insuranceFund')
    expect(fund.address).toBe('0x0000000000000000000000000000000000000000')
    expect(BigInt(fund.balance)).toBeGreaterThanOrEqual(BigInt(fundBefore.balance))
  })
})
