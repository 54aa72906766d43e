/**
 * The `liquidations` subscription on a real liquidation (the scenario of liquidation.test.ts: a 10× long, the
 * oracle falls 5%, a slice goes to auction, a liquidator's signed bid takes it): the auction's start comes as
 * in the block's events, the bid's fill as in its receipt with the transaction hash, and a subscription for
 * another market hears nothing of it.
 */
import { privateKeyToAccount } from 'viem/accounts'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { PerpNode } from '../../node/index.ts'
import { devnetKey } from '../../node/index.ts'
import { toHex } from '../../state/index.ts'
import { startSequencer, tempDir } from '../support/nodes.ts'
import { feedOracle } from '../support/oracle.ts'
import { call } from '../support/rpcClient.ts'
import type { Eip712Info, WireMessage } from '../support/signing.ts'
import { sendAndWait } from '../support/signing.ts'
import { WsClient } from './wsClient.ts'

const maker = privateKeyToAccount(toHex(devnetKey(0).privateKey))
const trader = privateKeyToAccount(toHex(devnetKey(1).privateKey))
const liquidator = privateKeyToAccount(toHex(devnetKey(2).privateKey))

interface Included {
  hash: string
  status: string
  height: string
  events: { type: string; [k: string]: unknown }[]
}
interface LiquidationMsg {
  height: string
  events: { type: string; [k: string]: unknown }[]
}

describe('liquidations subscription', () => {
  const dir = tempDir('wsliq')
  let node: PerpNode
  let eip712: Eip712Info
  let client: WsClient
  let nonce = 1

  const send = (account: typeof maker, kind: string, message: WireMessage): Promise<Included> =>
    sendAndWait(node.rpcUrl, account, eip712, kind, { ...message, nonce: String(nonce++) })

  beforeAll(async () => {
    node = await startSequencer({ dataDir: dir.path })
    eip712 = (await call<{ eip712: Eip712Info }>(node.rpcUrl, 'perp_chainInfo')).eip712
    await feedOracle(node.rpcUrl)
    client = await WsClient.open(node.rpcUrl)
  })

  afterAll(async () => {
    client?.close()
    await node?.stop()
    dir.remove()
  })

  it('streams the auction start and the bid that takes it', async () => {
    const all = await client.subscribe('liquidations')
    const btc = await client.subscribe('liquidations', { market: 0 })
    const eth = await client.subscribe('liquidations', { market: '1' })
    const order = { market: '0', price: '6000000000000', size: '100000', reduceOnly: false, postOnly: false }
    const common = { ...order, timeInForce: 0, expiresAt: '0' }
    await send(maker, 'order', { ...common, account: maker.address, subaccount: '0', isBuy: false, clientId: '1' })
    await send(trader, 'transfer', {
      account: trader.address,
      fromSubaccount: '0',
      toSubaccount: '1',
      amount: '600000000',
    })
    const bought = await send(trader, 'order', {
      ...common,
      account: trader.address,
      subaccount: '1',
      isBuy: true,
      timeInForce: 1,
      clientId: '2',
    })
    expect(bought.events.map((e) => e.type)).toEqual(['fill'])
    await feedOracle(node.rpcUrl, ['5700000000000', '300000000000'])

    const startedMsg = await client.until('auctionStarted', () =>
      client.notifications<LiquidationMsg>(all).find((m) => m.events.some((e) => e.type === 'auctionStarted')),
    )
    const started = startedMsg.events.find((e) => e.type === 'auctionStarted') as unknown as { auctionId: string }
    expect(started).toMatchObject({ market: 0, asset: 0, address: trader.address.toLowerCase(), subaccount: 1 })
    // exactly the events of that block
    const block = await call<{ events: { type: string }[] }>(node.rpcUrl, 'perp_block', [startedMsg.height])
    expect(block.events).toContainEqual(started)

    const { auctions } = await call<{ auctions: { id: string; size: string; price: string }[] }>(
      node.rpcUrl,
      'perp_auctions',
      [0],
    )
    const auction = auctions.find((a) => a.id === started.auctionId) as { id: string; size: string; price: string }
    const bid = await send(liquidator, 'auctionBid', {
      account: liquidator.address,
      subaccount: '0',
      auctionId: auction.id,
      size: auction.size,
      limitPrice: auction.price,
    })
    const fillMsg = await client.until('auctionFill', () =>
      client.notifications<LiquidationMsg>(all).find((m) => m.events.some((e) => e.type === 'auctionFill')),
    )
    expect(fillMsg.height).toBe(bid.height)
    const { type: _, ...receiptFill } = bid.events[0] as { type: string }
    expect(fillMsg.events.find((e) => e.type === 'auctionFill')).toEqual({
      type: 'auctionFill',
      ...receiptFill,
      txHash: bid.hash,
      txIndex: expect.any(Number),
    })

    // market 0's stream saw the same (every event here names market 0); market 1's saw nothing
    await client.until('the market 0 stream', () =>
      client.notifications(btc).length >= client.notifications(all).length ? true : undefined,
    )
    expect(client.notifications(btc)).toEqual(client.notifications(all))
    expect(client.notifications(eth)).toEqual([])
  })
})
