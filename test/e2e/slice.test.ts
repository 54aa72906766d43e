/**
 * End to end, with real parts on loopback: a sequencer and a validator, two wallet-signed crossing orders
 * over HTTP, inclusion, conservation, agreement of roots, nonce replay, and a sequencer restart from disk.
 */

import { privateKeyToAccount } from 'viem/accounts'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { PerpNode } from '../../node/index.ts'
import { devnetKey } from '../../node/index.ts'
import { toHex } from '../../state/index.ts'
import { freePort, startSequencer, startValidator, tempDir } from '../support/nodes.ts'
import { feedOracle } from '../support/oracle.ts'
import { call, rpc, waitFor } from '../support/rpcClient.ts'
import type { Eip712Info } from '../support/signing.ts'
import { signTx } from '../support/signing.ts'

const trader0 = privateKeyToAccount(toHex(devnetKey(0).privateKey))
const trader1 = privateKeyToAccount(toHex(devnetKey(1).privateKey))

// Genesis (genesis.json): each trader has 1,000,000 USDC = 1e12 units. BTC-USD: price 8 decimals,
// size 6 decimals, so quote (USDC units) = size × price / 1e8. Maker fee 100 ppm, taker fee 500 ppm, rounded up.
const PRICE = '6000000000000' // $60,000.00000000
const SIZE = '100000' // 0.1 BTC
const QUOTE = (100000n * 6000000000000n) / 100000000n // 6,000,000,000 = 6,000 USDC
const MAKER_FEE = (QUOTE * 100n + 999_999n) / 1_000_000n // 600,000
const TAKER_FEE = (QUOTE * 500n + 999_999n) / 1_000_000n // 3,000,000
const START = 1_000_000_000_000n

interface Account {
  collateral: string
  positions: { market: number; size: string; entryPrice: string }[]
}

describe('perpd end to end: sequencer + validator on loopback', () => {
  const seqDir = tempDir('seq')
  const valDir = tempDir('val')
  let sequencer: PerpNode
  let validator: PerpNode
  let p2pPort: number
  let eip712: Eip712Info
  let order0: Awaited<ReturnType<typeof signTx>>

  beforeAll(async () => {
    p2pPort = await freePort()
    sequencer = await startSequencer({ dataDir: seqDir.path, p2pPort })
    validator = await startValidator({ dataDir: valDir.path, bootstrap: sequencer.p2p.multiaddrs() })
    await feedOracle(sequencer.rpcUrl)
  })

  afterAll(async () => {
    await validator?.stop()
    await sequencer?.stop()
    seqDir.remove()
    valDir.remove()
  })

  it('publishes the chain id and the EIP-712 domain and types', async () => {
    const info = await call<{ chainId: number; role: string; eip712: Eip712Info }>(sequencer.rpcUrl, 'perp_chainInfo')
    expect(info.chainId).toBe(424242)
    expect(info.role).toBe('sequencer')
    expect(info.eip712.domain).toEqual({ name: 'perpd', version: '1', chainId: 424242 })
    expect(info.eip712.types.Order?.map((f) => f.name)).toEqual([
      'account',
      'subaccount',
      'market',
      'isBuy',
      'price',
      'size',
      'timeInForce',
      'reduceOnly',
      'postOnly',
      'clientId',
      'nonce',
      'expiresAt',
    ])
    expect(await call(sequencer.rpcUrl, 'eth_chainId')).toBe('0x67932')
    eip712 = info.eip712
  })

  it('trades two wallet-signed crossing orders and conserves collateral plus fees', async () => {
    const base = {
      subaccount: '0',
      market: '0',
      price: PRICE,
      size: SIZE,
      timeInForce: 0,
      reduceOnly: false,
      postOnly: false,
      expiresAt: '0',
    }
    order0 = await signTx(trader0, eip712, 'order', {
      ...base,
      account: trader0.address,
      isBuy: true,
      clientId: '1',
      nonce: '1',
    })
    const order1 = await signTx(trader1, eip712, 'order', {
      ...base,
      account: trader1.address,
      isBuy: false,
      clientId: '1',
      nonce: '1',
    })
    const { hash: h0 } = await call<{ hash: string }>(sequencer.rpcUrl, 'perp_sendTransaction', [order0])
    const included0 = await waitFor('maker order', async () => {
      const t = await call<{ status: string; height?: string } | null>(sequencer.rpcUrl, 'perp_transaction', [h0])
      return t?.status === 'included' ? t : undefined
    })
    // the maker's order rests: the book shows it as the only bid level
    const book = await call<{ bids: string[][]; asks: string[][] }>(sequencer.rpcUrl, 'perp_orderBook', [0, 5])
    expect(book.bids).toEqual([[PRICE, SIZE]])
    expect(book.asks).toEqual([])
    const { hash: h1 } = await call<{ hash: string }>(sequencer.rpcUrl, 'perp_sendTransaction', [order1])
    const included1 = await waitFor('taker order', async () => {
      const t = await call<{
        status: string
        height: string
        events: { type: string; size: string; price: string }[]
      } | null>(sequencer.rpcUrl, 'perp_transaction', [h1])
      return t?.status === 'included' ? t : undefined
    })
    expect(BigInt(included1.height)).toBeGreaterThan(BigInt(included0.height as string))
    const emptied = await call<{ bids: string[][] }>(sequencer.rpcUrl, 'perp_orderBook', [0])
    expect(emptied.bids).toEqual([])
    const fill = included1.events.find((e) => e.type === 'fill')
    expect(fill).toMatchObject({ price: PRICE, size: SIZE })

    const a0 = await call<Account>(sequencer.rpcUrl, 'perp_account', [trader0.address, 0])
    const a1 = await call<Account>(sequencer.rpcUrl, 'perp_account', [trader1.address, 0])
    expect(a0.positions).toEqual([expect.objectContaining({ market: 0, size: SIZE, entryPrice: PRICE })])
    expect(a1.positions).toEqual([expect.objectContaining({ market: 0, size: `-${SIZE}`, entryPrice: PRICE })])
    // account 0 rested first (maker, buyer), account 1 crossed it (taker, seller)
    expect(BigInt(a0.collateral)).toBe(START - QUOTE - MAKER_FEE)
    expect(BigInt(a1.collateral)).toBe(START + QUOTE - TAKER_FEE)
    expect(BigInt(a0.collateral) + BigInt(a1.collateral) + MAKER_FEE + TAKER_FEE).toBe(2n * START)

    // the validator re-executed the same blocks and reached the same root at that height
    const height = included1.height
    const seqBlock = await call<{ stateRoot: string }>(sequencer.rpcUrl, 'perp_block', [height])
    const valBlock = await waitFor('validator import', async () => {
      const b = await call<{ stateRoot: string } | null>(validator.rpcUrl, 'perp_block', [height])
      return b ?? undefined
    })
    expect(valBlock.stateRoot).toBe(seqBlock.stateRoot)
    expect(validator.mismatch).toBeUndefined()
    const v0 = await call<Account>(validator.rpcUrl, 'perp_account', [trader0.address, 0])
    expect(v0.collateral).toBe(a0.collateral)
  })

  it('shows the market with its open interest after the trade', async () => {
    const markets = await call<Record<string, unknown>[]>(sequencer.rpcUrl, 'perp_markets')
    expect(markets.map((m) => m.symbol)).toEqual(['BTC-USD', 'ETH-USD'])
    // genesis.json: BTC-USD oracle $60,000, tick $0.10, lot 0.001 BTC, 5% / 3%; one 0.1 BTC trade happened
    expect(markets[0]).toMatchObject({
      id: 0,
      priceDecimals: 8,
      sizeDecimals: 6,
      tickSize: '10000000',
      lotSize: '1000',
      oraclePrice: PRICE,
      markPrice: PRICE,
      lastTradePrice: PRICE,
      openInterest: SIZE,
      initialMarginFraction: '50000',
      maintenanceMarginFraction: '30000',
      status: 'active',
      openInterestNotional: QUOTE.toString(), // 0.1 BTC × $60,000 = 6,000 USDC
    })
    expect(markets[0]).not.toHaveProperty('quoteDivisor')
  })

  it('rejects a resent order for its nonce, with the documented code', async () => {
    const r = await rpc(sequencer.rpcUrl, 'perp_sendTransaction', [order0])
    expect(r.body.error?.code).toBe(1010)
    expect(r.body.error?.data?.reason).toBe('NONCE_REUSED')
  })

  it('restarts the sequencer from its data directory and continues the same chain', async () => {
    const before = await call<{ height: string; stateRoot: string }>(sequencer.rpcUrl, 'perp_chainInfo')
    const account0 = await call<Account>(sequencer.rpcUrl, 'perp_account', [trader0.address, 0])
    await sequencer.stop()
    sequencer = await startSequencer({ dataDir: seqDir.path, p2pPort })
    const resumed = await call<{ height: string; stateRoot: string }>(sequencer.rpcUrl, 'perp_chainInfo')
    expect(BigInt(resumed.height)).toBeGreaterThanOrEqual(BigInt(before.height))
    const stored = await call<{ stateRoot: string }>(sequencer.rpcUrl, 'perp_block', [before.height])
    expect(stored.stateRoot).toBe(before.stateRoot)
    expect(await call<Account>(sequencer.rpcUrl, 'perp_account', [trader0.address, 0])).toEqual({
      ...account0,
      height: expect.any(String),
    })
    // it keeps producing on top, and the validator follows it through the restart
    const target = BigInt(resumed.height) + 5n
    await waitFor('new blocks', async () => {
      const i = await call<{ height: string }>(sequencer.rpcUrl, 'perp_chainInfo')
      return BigInt(i.height) >= target ? i : undefined
    })
    const seqRoot = (await call<{ stateRoot: string }>(sequencer.rpcUrl, 'perp_block', [target.toString()])).stateRoot
    const valRoot = await waitFor(
      'validator follows after restart',
      async () => {
        const b = await call<{ stateRoot: string } | null>(validator.rpcUrl, 'perp_block', [target.toString()])
        return b?.stateRoot
      },
      20_000,
    )
    expect(valRoot).toBe(seqRoot)
    // the order nonce is still used after the restart: exactly-once across restarts
    const r = await rpc(sequencer.rpcUrl, 'perp_sendTransaction', [order0])
    expect(r.body.error?.data?.reason).toBe('NONCE_REUSED')
  })
})
