/**
 * perp_block answers the last RECENT_BLOCKS heights from memory (node/recentBlocks.ts) and older ones from the
 * store: both must give the same JSON, field for field and in the same order. A real sequencer (100 ms blocks)
 * with oracle prices and signed orders, so the blocks compared hold transactions and events.
 */
import { privateKeyToAccount } from 'viem/accounts'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { PerpNode } from '../../node/index.ts'
import { devnetKey, RECENT_BLOCKS } from '../../node/index.ts'
import { toHex } from '../../state/index.ts'
import { startSequencer, tempDir } from '../support/nodes.ts'
import { feedOracle } from '../support/oracle.ts'
import { call, rpcRaw, waitFor } from '../support/rpcClient.ts'
import type { Eip712Info } from '../support/signing.ts'
import { orderMessage, signTx } from '../support/signing.ts'

const trader = privateKeyToAccount(toHex(devnetKey(4).privateKey))

interface BlockView {
  height: string
  hash?: string
  transactions: string[]
  events: unknown[]
}

describe('perp_block of a recent height is the stored block', () => {
  const dir = tempDir('recent-blocks')
  let node: PerpNode
  beforeAll(async () => {
    node = await startSequencer({ dataDir: dir.path })
  })
  afterAll(async () => {
    await node?.stop()
    dir.remove()
  })

  const head = async () => BigInt((await call<{ height: string }>(node.rpcUrl, 'perp_chainInfo')).height)
  /** the raw answer text: key order counts too */
  const blockText = async (h: bigint) =>
    (await rpcRaw(node.rpcUrl, JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'perp_block', params: [h.toString()] })))
      .text

  it('the same text from memory and, later, from the store; the hash only for the head', async () => {
    await feedOracle(node.rpcUrl)
    const { eip712 } = await call<{ eip712: Eip712Info }>(node.rpcUrl, 'perp_chainInfo')
    const from = await head()
    for (let nonce = 1; nonce <= 12; nonce++) {
      const buy = nonce % 2 === 0
      const message = orderMessage(trader.address, nonce, {
        isBuy: buy,
        price: buy ? '5900000000000' : '6100000000000',
      })
      const tx = await signTx(trader, eip712, 'order', message)
      await call(node.rpcUrl, 'perp_sendTransaction', [tx])
    }
    const to = await waitFor('the orders in blocks, and two more heads', async () => {
      const h = await head()
      return h >= from + 4n ? h : undefined
    })
    // heights that are recent but not the head: served from memory now
    const heights: bigint[] = []
    for (let h = from; h < to; h++) heights.push(h)
    const fromMemory = await Promise.all(heights.map(blockText))
    const views = fromMemory.map((t) => (JSON.parse(t) as { result: BlockView }).result)
    expect(views.map((v) => v.height)).toEqual(heights.map(String))
    expect(views.some((v) => v.transactions.length > 0)).toBe(true)
    expect(views.some((v) => v.events.length > 0)).toBe(true)
    expect(views.every((v) => v.hash === undefined)).toBe(true)

    await waitFor(
      'the compared heights to leave memory',
      async () => ((await head()) > to + BigInt(RECENT_BLOCKS) + 2n ? true : undefined),
      30_000,
    )
    const fromStore = await Promise.all(heights.map(blockText))
    expect(fromStore).toEqual(fromMemory)

    // the head: shown with its hash, from memory
    const latest = JSON.parse(
      (await rpcRaw(node.rpcUrl, JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'perp_block', params: ['latest'] })))
        .text,
    ) as { result: BlockView }
    expect(latest.result.hash).toMatch(/^0x[0-9a-f]{64}$/)
  })
})
