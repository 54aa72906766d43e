/**
 * Bad input over real HTTP against a running sequencer: every case gets the documented JSON-RPC error, the
 * state root does not move (empty blocks keep the root), and the node keeps producing.
 */

import { hashTypedData } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { PerpNode } from '../../node/index.ts'
import { devnetKey } from '../../node/index.ts'
import { toHex } from '../../state/index.ts'
import { startSequencer, tempDir } from '../support/nodes.ts'
import { feedOracle } from '../support/oracle.ts'
import { call, rpc, rpcRaw, waitFor } from '../support/rpcClient.ts'
import type { Eip712Info, WireMessage } from '../support/signing.ts'
import { orderMessage, signTx } from '../support/signing.ts'

const trader = privateKeyToAccount(toHex(devnetKey(4).privateKey))
const other = privateKeyToAccount(toHex(devnetKey(5).privateKey))

describe('bad input is refused with a documented error and changes nothing', () => {
  const dir = tempDir('bad')
  let node: PerpNode
  let eip712: Eip712Info
  let rootBefore: string
  let heightBefore: bigint
  let nonce = 100
  const order = (over: Partial<WireMessage> = {}): WireMessage => orderMessage(trader.address, nonce++, over)
  const send = async (tx: unknown) => (await rpc(node.rpcUrl, 'perp_sendTransaction', [tx])).body.error

  beforeAll(async () => {
    node = await startSequencer({ dataDir: dir.path })
    await feedOracle(node.rpcUrl)
    // the prices can be visible a moment before their block is committed: take the baseline one block later
    const fed = await call<{ height: string }>(node.rpcUrl, 'perp_chainInfo')
    await waitFor('a committed block after the oracle feed', async () => {
      const i = await call<{ height: string }>(node.rpcUrl, 'perp_chainInfo')
      return BigInt(i.height) > BigInt(fed.height) + 1n ? true : undefined
    })
    const info = await call<{ eip712: Eip712Info; stateRoot: string; height: string }>(node.rpcUrl, 'perp_chainInfo')
    eip712 = info.eip712
    rootBefore = info.stateRoot
    heightBefore = BigInt(info.height)
  })
  afterAll(async () => {
    await node?.stop()
    dir.remove()
  })

  it('malformed JSON → -32700', async () => {
    const r = await rpcRaw(node.rpcUrl, '{"jsonrpc":"2.0","id":1,"method":')
    expect(JSON.parse(r.text).error.code).toBe(-32700)
  })
  it('not a request object → -32600; empty batch → -32600', async () => {
    expect(JSON.parse((await rpcRaw(node.rpcUrl, '42')).text).error.code).toBe(-32600)
    expect(JSON.parse((await rpcRaw(node.rpcUrl, '[]')).text).error.code).toBe(-32600)
  })
  it('unknown method → -32601', async () => {
    expect((await rpc(node.rpcUrl, 'perp_noSuchThing')).body.error?.code).toBe(-32601)
  })
  it('wrong parameter types → -32602 naming the parameter', async () => {
    const r = await rpc(node.rpcUrl, 'perp_account', [12345])
    expect(r.body.error).toMatchObject({ code: -32602, data: { field: 'address' } })
    expect((await rpc(node.rpcUrl, 'perp_orderBook', ['zero'])).body.error?.code).toBe(-32602)
    expect(
      (await rpc(node.rpcUrl, 'perp_sendTransaction', [{ kind: 'order', message: {}, signature: '0x12' }])).body.error,
    ).toMatchObject({ code: -32602, data: { field: 'signature' } })
  })
  it('a message field of the wrong type → 1061 naming the field', async () => {
    const tx = await signTx(trader, eip712, 'order', order())
    const err = await send({ ...tx, message: { ...tx.message, price: 'sixty thousand' } })
    expect(err).toMatchObject({ code: 1061, data: { reason: 'INVALID_MESSAGE', field: 'price' } })
  })
  it('a bad signature → 1001 (high-s) or 1003 (recovers to someone else)', async () => {
    const tx = await signTx(trader, eip712, 'order', order())
    const bytes = Buffer.from(tx.signature.slice(2), 'hex')
    bytes[64] = 30
    expect(await send({ ...tx, signature: `0x${bytes.toString('hex')}` })).toMatchObject({
      code: 1001,
      data: { reason: 'INVALID_SIGNATURE' },
    })
    const forged = await signTx(other, eip712, 'order', order())
    expect(await send(forged)).toMatchObject({ code: 1003, data: { reason: 'UNAUTHORIZED' } })
  })
  it('another chain id in the domain → 1003', async () => {
    const wrong = { ...eip712, domain: { ...eip712.domain, chainId: 1 } }
    expect(await send(await signTx(trader, wrong, 'order', order()))).toMatchObject({ code: 1003 })
  })
  it('an unknown market → 1020, off tick → 1022, size zero → 1024', async () => {
    expect(await send(await signTx(trader, eip712, 'order', order({ market: '7' })))).toMatchObject({
      code: 1020,
      data: { reason: 'UNKNOWN_MARKET' },
    })
    expect(await send(await signTx(trader, eip712, 'order', order({ price: '5900000000001' })))).toMatchObject({
      code: 1022,
      data: { reason: 'NOT_ON_TICK' },
    })
    expect(await send(await signTx(trader, eip712, 'order', order({ size: '0' })))).toMatchObject({
      code: 1024,
      data: { reason: 'INVALID_SIZE' },
    })
  })
  it('a key with nothing on the chain → 1004 (it cannot grow the state with nonces)', async () => {
    const stranger = privateKeyToAccount(`0x${'42'.repeat(32)}`)
    const tx = await signTx(stranger, eip712, 'order', order({ account: stranger.address, timeInForce: 1 }))
    expect(await send(tx)).toMatchObject({ code: 1004, data: { reason: 'ACCOUNT_NOT_FOUND' } })
  })
  it('an unknown kind → 1060', async () => {
    const tx = await signTx(trader, eip712, 'order', order())
    expect(await send({ ...tx, kind: 'mint' })).toMatchObject({ code: 1060 })
  })
  it('a body over the limit → HTTP 413 with 1082, before parsing', async () => {
    const r = await rpcRaw(node.rpcUrl, `{"x":"${'a'.repeat(300 * 1024)}"}`)
    expect(r.status).toBe(413)
    expect(JSON.parse(r.text).error.code).toBe(1082)
  })
  it('a batch over the limit is refused whole → -32600', async () => {
    const batch = JSON.stringify(
      Array.from({ length: 101 }, (_, i) => ({ jsonrpc: '2.0', id: i, method: 'eth_chainId' })),
    )
    expect(JSON.parse((await rpcRaw(node.rpcUrl, batch)).text).error.code).toBe(-32600)
  })

  it('none of it changed the state, and the node kept producing', async () => {
    const info = await waitFor('more blocks', async () => {
      const i = await call<{ stateRoot: string; height: string }>(node.rpcUrl, 'perp_chainInfo')
      return BigInt(i.height) > heightBefore + 2n ? i : undefined
    })
    expect(info.stateRoot).toBe(rootBefore)
  })

  it('a reused nonce → 1010, and a crossing post-only → 1026', async () => {
    const resting = await signTx(trader, eip712, 'order', order({ isBuy: false, price: '6100000000000' }))
    const { hash } = await call<{ hash: string }>(node.rpcUrl, 'perp_sendTransaction', [resting])
    await waitFor('inclusion', async () =>
      (await call<{ status: string } | null>(node.rpcUrl, 'perp_transaction', [hash]))?.status === 'included'
        ? true
        : undefined,
    )
    expect(await send(resting)).toMatchObject({ code: 1010, data: { reason: 'NONCE_REUSED' } })
    const crossing = await signTx(trader, eip712, 'order', order({ price: '6100000000000', postOnly: true }))
    expect(await send(crossing)).toMatchObject({ code: 1026, data: { reason: 'POST_ONLY_WOULD_CROSS' } })
  })

  it('a batch answers each transaction as it would alone: good ones admitted, bad ones refused in place', async () => {
    // a batch's signatures are recovered ahead, together, on the worker threads (node/admissionSignatures.ts);
    // the first call waits for them, the later ones find them done: both paths answer as a lone request does
    const first = await signTx(trader, eip712, 'order', order())
    const badV = await signTx(trader, eip712, 'order', order())
    const v = Buffer.from(badV.signature.slice(2), 'hex')
    v[64] = 30
    const forged = await signTx(other, eip712, 'order', order())
    const mistyped = await signTx(trader, eip712, 'order', order())
    const sameNonce = await signTx(trader, eip712, 'order', { ...first.message, clientId: '999999' })
    const more = await Promise.all(Array.from({ length: 40 }, () => signTx(trader, eip712, 'order', order())))
    const txs = [
      first,
      { ...badV, signature: `0x${v.toString('hex')}` },
      forged,
      { ...mistyped, message: { ...mistyped.message, price: 'sixty thousand' } },
      first,
      sameNonce,
      ...more,
    ]
    const body = JSON.stringify(
      txs.map((tx, id) => ({ jsonrpc: '2.0', id, method: 'perp_sendTransaction', params: [tx] })),
    )
    const answers = JSON.parse((await rpcRaw(node.rpcUrl, body)).text) as {
      id: number
      result?: { hash: string }
      error?: { code: number; data?: { reason?: string; field?: string } }
    }[]
    const byId = new Map(answers.map((a) => [a.id, a]))
    expect(byId.size).toBe(txs.length)
    // the digest a wallet library computes is the transaction's hash
    const digest = (tx: typeof first) => {
      const { EIP712Domain: _, ...types } = eip712.types
      const m = tx.message
      const message = Object.fromEntries(
        Object.entries(m).map(([k, x]) => [k, typeof x === 'string' && /^[0-9]+$/.test(x) ? BigInt(x) : x]),
      )
      return hashTypedData({ domain: eip712.domain, types, primaryType: 'Order', message } as never)
    }
    expect(byId.get(0)?.result).toEqual({ hash: digest(first) })
    expect(byId.get(1)?.error).toMatchObject({ code: 1001, data: { reason: 'INVALID_SIGNATURE' } })
    expect(byId.get(2)?.error).toMatchObject({ code: 1003, data: { reason: 'UNAUTHORIZED' } })
    expect(byId.get(3)?.error).toMatchObject({ code: 1061, data: { reason: 'INVALID_MESSAGE', field: 'price' } })
    expect(byId.get(4)?.error).toMatchObject({ code: 1070, data: { reason: 'ALREADY_KNOWN' } })
    expect(byId.get(5)?.error).toMatchObject({ code: 1010, data: { reason: 'NONCE_REUSED' } })
    for (const [k, tx] of more.entries()) expect(byId.get(6 + k)?.result).toEqual({ hash: digest(tx) })
    const last = more[more.length - 1] as typeof first
    await waitFor('the batch in a block', async () =>
      (await call<{ status: string } | null>(node.rpcUrl, 'perp_transaction', [digest(last)]))?.status === 'included'
        ? true
        : undefined,
    )
  })
})
