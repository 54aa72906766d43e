/**
 * The escape hatch end to end on the embedded L1: traders hold positions, roots settle, the sequencer stops, L1
 * time passes the escape timeout; then the rollup refuses new roots, markets are proven from a validator's proofs,
 * a trader claims exactly the escape valuation of its subaccount (computed independently by l1/escapeValue.ts from
 * the same leaves) once, and a deposit the chain never credited is returned once.
 */
import type { Address, Hex } from 'viem'
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts'
import { afterEach, describe, expect, it } from 'vitest'
import { escapeValue, ROLLUP_ABI, TOKEN_ABI } from '../../l1/index.ts'
import { devnetKey } from '../../node/index.ts'
import { bridgeKey, fromHex, marketKey, toHex } from '../../state/index.ts'
import { clients, deployDevnetRollup, startEmbedded, USDC } from '../support/l1.ts'
import { startSequencer, startValidator, tempDir } from '../support/nodes.ts'
import { feedOracle } from '../support/oracle.ts'
import { call, waitFor } from '../support/rpcClient.ts'
import type { Eip712Info } from '../support/signing.ts'
import { signTx } from '../support/signing.ts'

interface Proof {
  height: string
  value: Hex | null
  proof: Hex
}

const cleanups: (() => Promise<void> | void)[] = []
afterEach(async () => {
  for (const c of cleanups.reverse()) await c()
  cleanups.length = 0
})

describe('escape hatch', () => {
  it('pays every subaccount its equity at the last settled root, once, after the sequencer disappears', async () => {
    const l1 = await startEmbedded()
    cleanups.push(() => l1.stop())
    const deployment = await deployDevnetRollup(l1, { challengeWindowSec: 30n, escapeTimeoutSec: 120n })
    const l1Options = { endpoint: l1.endpoint as never, rollup: deployment.rollup, settleEveryBlocks: 5, pollMs: 100 }
    const seqDir = tempDir('escape-seq')
    const valDir = tempDir('escape-val')
    cleanups.push(seqDir.remove, valDir.remove)
    const sequencer = await startSequencer({ dataDir: seqDir.path, l1: l1Options })
    let sequencerRunning = true
    cleanups.push(() => (sequencerRunning ? sequencer.stop() : undefined))
    const validator = await startValidator({
      dataDir: valDir.path,
      bootstrap: sequencer.p2p.multiaddrs(),
      l1: l1Options,
    })
    cleanups.push(() => validator.stop())

    // devnet traders 1 (buys 0.5 BTC) and 2 (sells it) end up with opposite positions
    await feedOracle(sequencer.rpcUrl)
    const { eip712 } = await call<{ eip712: Eip712Info }>(sequencer.rpcUrl, 'perp_chainInfo')
    const [buyer, seller] = [devnetKey(1).account, devnetKey(2).account]
    const order = (account: typeof buyer, isBuy: boolean, tif: number) =>
      signTx(account, eip712, 'order', {
        account: account.address,
        subaccount: 0,
        market: 0,
        isBuy,
        price: '6000000000000', // $60,000 (8 price decimals)
        size: '500000', // 0.5 BTC (6 size decimals)
        timeInForce: tif,
        reduceOnly: false,
        postOnly: false,
        clientId: '1',
        nonce: '1',
        expiresAt: '0',
      })
    await call(sequencer.rpcUrl, 'perp_sendTransaction', [await order(seller, false, 0)])
    const { hash } = await call<{ hash: string }>(sequencer.rpcUrl, 'perp_sendTransaction', [
      await order(buyer, true, 1),
    ])
    const filled = await waitFor('the trade', async () => {
      const r = await call<{ status: string; height: string } | null>(sequencer.rpcUrl, 'perp_transaction', [hash])
      return r?.status === 'included' ? r : undefined
    })

    // a root past the trade settles; then the sequencer disappears
    const pub = clients(l1, 0).pub
    const settledHeight = (): Promise<bigint> =>
      pub.readContract({ address: deployment.rollup, abi: ROLLUP_ABI, functionName: 'lastSettledHeight' })
    await waitFor('a settled root past the trade', async () =>
      (await settledHeight()) >= BigInt(filled.height) ? true : undefined,
    )
    await sequencer.stop()
    sequencerRunning = false
    const H = await settledHeight()
    await waitFor('the validator at the settled height', async () =>
      validator.chain.head.height >= H ? true : undefined,
    )

    // a deposit made now is never credited on L2
    const trader = clients(l1, 5)
    const newcomer = privateKeyToAccount(generatePrivateKey()).address.toLowerCase() as Address
    const amount = 250n * USDC
    for (const [address, abi, functionName, args] of [
      [deployment.token, TOKEN_ABI, 'approve', [deployment.rollup, amount]],
      [deployment.rollup, ROLLUP_ABI, 'deposit', [amount, newcomer]],
    ] as const) {
      const h = await trader.wallet.writeContract({
        address,
        abi,
        functionName,
        args,
        account: trader.wallet.account as never,
        chain: null,
      } as never)
      expect((await trader.pub.waitForTransactionReceipt({ hash: h })).status).toBe('success')
    }

    const inEscapeMode = () =>
      pub.readContract({ address: deployment.rollup, abi: ROLLUP_ABI, functionName: 'escapeMode' })
    expect(await inEscapeMode()).toBe(false)
    await l1.increaseTime(121)
    expect(await inEscapeMode()).toBe(true)
    const seqL1 = clients(l1, 13)
    await expect(
      seqL1.pub.simulateContract({
        address: deployment.rollup,
        abi: ROLLUP_ABI,
        functionName: 'submitRoot',
        args: [H + 5n, `0x${'11'.repeat(32)}`, `0x${'22'.repeat(32)}`],
        account: seqL1.wallet.account as never,
      }),
    ).rejects.toThrow()

    const caller = clients(l1, 9)
    const send = async (functionName: string, args: readonly unknown[]) => {
      const h = await caller.wallet.writeContract({
        address: deployment.rollup,
        abi: ROLLUP_ABI,
        functionName,
        args,
        account: caller.wallet.account as never,
        chain: null,
      } as never)
      return caller.pub.waitForTransactionReceipt({ hash: h })
    }
    const stateProof = (key: Uint8Array) => call<Proof>(validator.rpcUrl, 'perp_stateProof', [toHex(key), H.toString()])
    const markets = new Map<number, Uint8Array>()
    for (const m of [0, 1]) {
      const p = await stateProof(marketKey(m))
      markets.set(m, fromHex(p.value as Hex))
      expect((await send('proveMarket', [m, p.value, p.proof])).status).toBe('success')
    }

    const balance = (who: Address) =>
      pub.readContract({ address: deployment.token, abi: TOKEN_ABI, functionName: 'balanceOf', args: [who] })
    for (const who of [buyer.address, seller.address]) {
      const p = await call<Proof>(validator.rpcUrl, 'perp_proof', [who, 0, H.toString()])
      const expected = escapeValue(fromHex(p.value as Hex), markets)
      expect(expected).toBeGreaterThan(0n)
      const before = await balance(who)
      expect((await send('escapeClaim', [who, 0, p.value, p.proof])).status).toBe('success')
      expect((await balance(who)) - before).toBe(expected)
      await expect(
        caller.pub.simulateContract({
          address: deployment.rollup,
          abi: ROLLUP_ABI,
          functionName: 'escapeClaim',
          args: [who, 0, p.value as Hex, p.proof],
          account: caller.wallet.account as never,
        }),
      ).rejects.toThrow()
    }

    // the uncredited deposit goes back to its L2 account's address on L1
    const bridge = await stateProof(bridgeKey())
    expect((await send('reclaimDeposit', [0n, bridge.value ?? '0x', bridge.proof])).status).toBe('success')
    expect(await balance(newcomer)).toBe(amount)
    await expect(
      caller.pub.simulateContract({
        address: deployment.rollup,
        abi: ROLLUP_ABI,
        functionName: 'reclaimDeposit',
        args: [0n, (bridge.value ?? '0x') as Hex, bridge.proof],
        account: caller.wallet.account as never,
      }),
    ).rejects.toThrow()
  }, 120_000)
})
