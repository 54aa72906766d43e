/**
 * A validator's RPC takes a signed transaction and forwards it to the sequencer over gossip; perp_transaction
 * on the validator says "pending" until the validator imports the block that includes it, then "included" with
 * the same height and events the sequencer reports; once included it leaves the validator's pool.
 */
import { privateKeyToAccount } from 'viem/accounts'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { PerpNode } from '../../node/index.ts'
import { devnetKey } from '../../node/index.ts'
import { toHex } from '../../state/index.ts'
import { startSequencer, startValidator, tempDir } from '../support/nodes.ts'
import { feedOracle } from '../support/oracle.ts'
import { call, waitFor } from '../support/rpcClient.ts'
import type { Eip712Info } from '../support/signing.ts'
import { signTx } from '../support/signing.ts'

const trader = privateKeyToAccount(toHex(devnetKey(3).privateKey))

interface TxStatus {
  status: string
  height?: string
  events?: unknown[]
}

describe('forwarding through a validator', () => {
  const seqDir = tempDir('fwd-seq')
  const valDir = tempDir('fwd-val')
  let sequencer: PerpNode
  let validator: PerpNode

  beforeAll(async () => {
    sequencer = await startSequencer({ dataDir: seqDir.path })
    validator = await startValidator({ dataDir: valDir.path, bootstrap: sequencer.p2p.multiaddrs() })
    await feedOracle(sequencer.rpcUrl)
    // the validator admits against its own state: wait until it has imported the fresh prices
    const [btc] = await call<{ oracleTime: string }[]>(sequencer.rpcUrl, 'perp_markets')
    await waitFor('validator has the prices', async () => {
      const [v] = await call<{ oracleTime: string }[]>(validator.rpcUrl, 'perp_markets')
      return v?.oracleTime === btc?.oracleTime ? true : undefined
    })
  })

  afterAll(async () => {
    await validator?.stop()
    await sequencer?.stop()
    seqDir.remove()
    valDir.remove()
  })

  it('reports pending, then included exactly as the sequencer does', async () => {
    const { eip712 } = await call<{ eip712: Eip712Info }>(validator.rpcUrl, 'perp_chainInfo')
    // a resting bid far below the market: it is included and rests
    const tx = await signTx(trader, eip712, 'order', {
      account: trader.address,
      subaccount: '0',
      market: '0',
      isBuy: true,
      price: '5000000000000',
      size: '1000',
      timeInForce: 0,
      reduceOnly: false,
      postOnly: true,
      clientId: '7',
      nonce: '7',
      expiresAt: '0',
    })
    const { hash } = await call<{ hash: string }>(validator.rpcUrl, 'perp_sendTransaction', [tx])
    const first = await call<TxStatus | null>(validator.rpcUrl, 'perp_transaction', [hash])
    expect(['pending', 'included']).toContain(first?.status)
    const onValidator = await waitFor(
      'included on the validator',
      async () => {
        const t = await call<TxStatus | null>(validator.rpcUrl, 'perp_transaction', [hash])
        return t?.status === 'included' ? t : undefined
      },
      15_000,
    )
    const onSequencer = await call<TxStatus>(sequencer.rpcUrl, 'perp_transaction', [hash])
    expect(onValidator).toEqual(onSequencer)
    // the validator's pool no longer holds it: sending it again is a replayed nonce, not "already pending"
    const again = await fetch(validator.rpcUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'perp_sendTransaction', params: [tx] }),
    }).then((r) => r.json() as Promise<{ error?: { data?: { reason?: string } } }>)
    expect(again.error?.data?.reason).toBe('NONCE_REUSED')
  })
})
