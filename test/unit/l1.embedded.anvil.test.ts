import type { ChildProcess } from 'node:child_process'
import { spawn } from 'node:child_process'
import { join } from 'node:path'
import type { Hex, TransactionReceipt, Transport } from 'viem'
import { createPublicClient, custom, encodeFunctionData, http, pad, parseEther, toEventSelector } from 'viem'
import { afterAll, beforeAll, expect, it } from 'vitest'
import type { EmbeddedL1 } from '../../l1/index.ts'
import { startEmbeddedL1 } from '../../l1/index.ts'
import { freePort } from '../support/nodes.ts'
import {
  clients,
  counterContract,
  deployCounter,
  FUNDED_WEI,
  increment,
  TEST_ACCOUNTS,
} from './l1.embedded.fixtures.ts'

let anvil: ChildProcess
let anvilUrl: string
let l1: EmbeddedL1

beforeAll(async () => {
  counterContract()
  const port = await freePort()
  const bin = join(import.meta.dirname, '..', '..', 'node_modules', '.bin', 'anvil')
  // Osaka, like the embedded L1; anvil's accounts hold 10,000 ETH each, as FUNDED_WEI
  anvil = spawn(bin, ['--host', '127.0.0.1', '--port', String(port), '--hardfork', 'osaka', '--silent'], {
    stdio: 'ignore',
  })
  anvilUrl = `http://127.0.0.1:${port}`
  const probe = createPublicClient({ transport: http(anvilUrl, { retryCount: 0 }) })
  for (;;) {
    if (
      await probe.getChainId().then(
        () => true,
        () => false,
      )
    )
      break
    if (anvil.exitCode !== null) throw new Error('anvil exited')
    await new Promise((r) => setTimeout(r, 50))
  }
  l1 = await startEmbeddedL1({
    blockTimeMs: 0,
    fund: TEST_ACCOUNTS.map((a) => ({ address: a.address, wei: FUNDED_WEI })),
  })
}, 60_000)

afterAll(async () => {
  await l1?.stop()
  anvil?.kill()
})

function summary(r: TransactionReceipt) {
  return {
    status: r.status,
    type: r.type,
    blockNumber: r.blockNumber,
    transactionIndex: r.transactionIndex,
    contractAddress: r.contractAddress ?? null,
    gasUsed: r.gasUsed,
    cumulativeGasUsed: r.cumulativeGasUsed,
    effectiveGasPrice: r.effectiveGasPrice,
    logs: r.logs.map((l) => ({ address: l.address, topics: l.topics, data: l.data, logIndex: l.logIndex })),
  }
}

/** The same deploy, transactions and calls, from fresh chains; everything a client sees except times and hashes. */
async function scenario(transport: Transport, chainId: number) {
  const [c0, c1, c2] = [0, 1, 2].map((i) => clients(transport, chainId, i)) as [
    ReturnType<typeof clients>,
    ReturnType<typeof clients>,
    ReturnType<typeof clients>,
  ]
  const { abi } = counterContract()
  const { address, receipt: deployed } = await deployCounter(c0)
  const receipts = [deployed, await increment(c0, address, 5n), await increment(c1, address, 7n)]
  const reverting = await c1.wallet.writeContract({
    address,
    abi,
    functionName: 'increment',
    args: [500n],
    gas: 100_000n,
  })
  receipts.push(await c1.public.waitForTransactionReceipt({ hash: reverting }))
  const legacy = await c2.wallet.sendTransaction({
    type: 'legacy',
    to: c0.account.address,
    value: parseEther('1'),
    gasPrice: 2_000_000_000n,
  })
  receipts.push(await c2.public.waitForTransactionReceipt({ hash: legacy }))

  const reverted = await c0.public
    .request({
      method: 'eth_call',
      params: [{ to: address, data: encodeFunctionData({ abi, functionName: 'increment', args: [101n] }) }, 'latest'],
    })
    .catch((e: { walk: () => { code?: number; data?: unknown } }) => {
      const inner = e.walk()
      return { code: inner.code, data: inner.data }
    })
  const by = (c: typeof c0) => pad(c.account.address.toLowerCase() as Hex)
  const logs = (await c0.public.request({
    method: 'eth_getLogs',
    params: [
      {
        address,
        fromBlock: '0x0',
        toBlock: 'latest',
        topics: [toEventSelector('Incremented(address,uint256,uint256)'), [by(c0), by(c1)]],
      },
    ],
  })) as { address: Hex; topics: Hex[]; data: Hex; blockNumber: Hex; logIndex: Hex; transactionIndex: Hex }[]
  return {
    receipts: receipts.map(summary),
    count: await c0.public.readContract({ address, abi, functionName: 'count' }),
    opcodes: (
      await c2.public.simulateContract({
        account: c2.account,
        address,
        abi,
        functionName: 'opcodes',
        args: [2n ** 200n],
      })
    ).result,
    reverted,
    estimate: await c2.public.estimateContractGas({
      account: c2.account,
      address,
      abi,
      functionName: 'increment',
      args: [1n],
    }),
    storage0: await c0.public.getStorageAt({ address, slot: '0x0' }),
    code: await c0.public.getCode({ address }),
    logs: logs.map(({ address, topics, data, blockNumber, logIndex, transactionIndex }) => ({
      address,
      topics,
      data,
      blockNumber,
      logIndex,
      transactionIndex,
    })),
    balances: await Promise.all(TEST_ACCOUNTS.map((a) => c0.public.getBalance({ address: a.address }))),
    nonces: await Promise.all(TEST_ACCOUNTS.map((a) => c0.public.getTransactionCount({ address: a.address }))),
  }
}

it('the same deploy, transactions and calls give the same receipts, logs, return values and balances as on anvil', async () => {
  const onAnvil = await scenario(http(anvilUrl, { retryCount: 0 }), 31337)
  const embedded = await scenario(custom(l1), l1.chainId)
  // sanity: the scenario did what it says, so equality below is about something
  expect(onAnvil.count).toBe(12n)
  expect(onAnvil.receipts.map((r) => r.status)).toEqual(['success', 'success', 'success', 'reverted', 'success'])
  expect(onAnvil.logs).toHaveLength(2)
  expect(embedded).toEqual(onAnvil)
})
