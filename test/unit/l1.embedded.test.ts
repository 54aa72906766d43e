import type { Hex, Transport } from 'viem'
import {
  BaseError,
  ContractFunctionRevertedError,
  custom,
  getContractAddress,
  http,
  pad,
  parseEther,
  parseEventLogs,
  toEventSelector,
  toHex,
} from 'viem'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { EmbeddedL1 } from '../../l1/index.ts'
import { startEmbeddedL1 } from '../../l1/index.ts'
import {
  clients,
  counterContract,
  deployCounter,
  FUNDED_WEI,
  increment,
  TEST_ACCOUNTS,
} from './l1.embedded.fixtures.ts'

const INCREMENTED = toEventSelector('Incremented(address,uint256,uint256)')

let l1: EmbeddedL1

beforeAll(async () => {
  counterContract()
  l1 = await startEmbeddedL1({
    blockTimeMs: 0,
    fund: TEST_ACCOUNTS.map((a) => ({ address: a.address, wei: FUNDED_WEI })),
    host: '127.0.0.1',
    port: 0,
  })
})
afterAll(async () => {
  await l1.stop()
})

const transports: [string, () => Transport][] = [
  ['custom()', () => custom(l1)],
  ['http()', () => http(l1.url, { retryCount: 0 })],
]

describe.each(transports)('viem through %s', (_name, transport) => {
  it('deploys a contract compiled by solc, calls and reads it, and filters its logs by topic', async () => {
    const c0 = clients(transport(), l1.chainId, 0)
    const c1 = clients(transport(), l1.chainId, 1)
    const { abi, deployedBytecode } = counterContract()
    const nonce = await c0.public.getTransactionCount({ address: c0.account.address })
    const { address, receipt } = await deployCounter(c0)
    expect(receipt.status).toBe('success')
    expect(address).toBe(getContractAddress({ from: c0.account.address, nonce: BigInt(nonce) }).toLowerCase())
    expect(await c0.public.getCode({ address })).toBe(deployedBytecode)

    const first = await increment(c0, address, 5n)
    const second = await increment(c1, address, 7n)
    expect(await c0.public.readContract({ address, abi, functionName: 'count' })).toBe(12n)
    expect(second.status).toBe('success')
    const [event] = parseEventLogs({ abi, logs: second.logs })
    expect(event?.eventName).toBe('Incremented')
    expect(event?.args).toEqual({ by: c1.account.address, newCount: 12n, amount: 7n })
    expect(second.logs[0]?.topics).toEqual([INCREMENTED, pad(c1.account.address.toLowerCase() as Hex), pad(toHex(12))])

    const byAccount1 = await c0.public.getContractEvents({
      address,
      abi,
      eventName: 'Incremented',
      args: { by: c1.account.address },
      fromBlock: 0n,
    })
    expect(byAccount1.map((l) => l.args.newCount)).toEqual([12n])
    const eitherCount = await c0.public.getContractEvents({
      address,
      abi,
      eventName: 'Incremented',
      args: { newCount: [5n, 12n] },
      fromBlock: 0n,
    })
    expect(eitherCount.map((l) => l.transactionHash)).toEqual([first.transactionHash, second.transactionHash])
    const inFirstBlock = await c0.public.getContractEvents({ address, abi, blockHash: first.blockHash })
    expect(inFirstBlock.map((l) => l.args)).toEqual([{ by: c0.account.address, newCount: 5n, amount: 5n }])
  })

  it('decodes a custom error from a reverted call; a reverting transaction is still mined, with status 0', async () => {
    const c = clients(transport(), l1.chainId, 2)
    const { abi } = counterContract()
    const { address } = await deployCounter(c)
    const err = await c.public
      .simulateContract({ account: c.account, address, abi, functionName: 'increment', args: [101n] })
      .catch((e: unknown) => e)
    expect(err).toBeInstanceOf(BaseError)
    const reverted = (err as BaseError).walk((e) => e instanceof ContractFunctionRevertedError)
    expect(reverted).toBeInstanceOf(ContractFunctionRevertedError)
    expect((reverted as ContractFunctionRevertedError).data?.errorName).toBe('TooLarge')
    expect((reverted as ContractFunctionRevertedError).data?.args).toEqual([101n, 100n])

    const nonce = await c.public.getTransactionCount({ address: c.account.address })
    // an explicit gas limit skips estimation, which would refuse to send a transaction that reverts
    const hash = await c.wallet.writeContract({ address, abi, functionName: 'increment', args: [500n], gas: 100_000n })
    const receipt = await c.public.waitForTransactionReceipt({ hash })
    expect(receipt.status).toBe('reverted')
    expect(receipt.logs).toEqual([])
    expect(await c.public.getTransactionCount({ address: c.account.address })).toBe(nonce + 1)
    expect(await c.public.readContract({ address, abi, functionName: 'count' })).toBe(0n)
  })

  it("runs what solc's default target emits: PUSH0, MCOPY, transient storage, CLZ", async () => {
    const c = clients(transport(), l1.chainId, 0)
    const { abi, bytecode, evmVersion } = counterContract()
    expect(evmVersion).toBe('osaka')
    // PUSH0 PUSH0 REVERT: solc's non-payable constructor check, executed by every deployment
    expect(bytecode).toContain('5f5ffd')
    const { address } = await deployCounter(c)
    const read = (x: bigint) =>
      c.public.simulateContract({ account: c.account, address, abi, functionName: 'opcodes', args: [x] })
    // clz(2^k) = 255 - k; clz(0) = 256 (EIP-7939)
    expect((await read(1n)).result).toEqual([2n, 1n, 255n])
    expect((await read(2n ** 200n)).result).toEqual([2n ** 200n + 1n, 2n ** 200n, 55n])
    expect((await read(0n)).result).toEqual([1n, 0n, 256n])
  })
})

describe('embedded L1 behaviour', () => {
  it('an ETH transfer moves balances by the value and gasUsed × effectiveGasPrice, exactly', async () => {
    const c = clients(custom(l1), l1.chainId, 1)
    const to = TEST_ACCOUNTS[2]?.address as Hex
    const zero: Hex = '0x0000000000000000000000000000000000000000'
    const balance = (address: Hex) => c.public.getBalance({ address })
    const [fromBefore, toBefore, coinbaseBefore] = [
      await balance(c.account.address),
      await balance(to),
      await balance(zero),
    ]
    const value = parseEther('1.5')
    const hash = await c.wallet.sendTransaction({ to, value })
    const receipt = await c.public.waitForTransactionReceipt({ hash })
    const tx = await c.public.getTransaction({ hash })
    const block = await c.public.getBlock({ blockHash: receipt.blockHash })
    const baseFee = block.baseFeePerGas ?? 0n
    // a plain transfer to an account without code costs the intrinsic 21,000 gas and nothing more
    expect(receipt.gasUsed).toBe(21_000n)
    const tipCap = tx.maxPriorityFeePerGas ?? 0n
    const feeCap = tx.maxFeePerGas ?? 0n
    const price = baseFee + tipCap < feeCap ? baseFee + tipCap : feeCap
    expect(receipt.effectiveGasPrice).toBe(price)
    expect(await c.public.getBalance({ address: c.account.address })).toBe(fromBefore - value - 21_000n * price)
    expect(await c.public.getBalance({ address: to })).toBe(toBefore + value)
    // the base fee is burned; the tip goes to the block's coinbase (the zero address)
    expect(await c.public.getBalance({ address: zero })).toBe(coinbaseBefore + 21_000n * (price - baseFee))
  })

  it('legacy and EIP-2930 transactions are mined and pay their gasPrice', async () => {
    const c = clients(custom(l1), l1.chainId, 0)
    const to = TEST_ACCOUNTS[1]?.address as Hex
    const gasPrice = 3_000_000_000n
    for (const type of ['legacy', 'eip2930'] as const) {
      const before = await c.public.getBalance({ address: c.account.address })
      const hash =
        type === 'legacy'
          ? await c.wallet.sendTransaction({ type, to, value: 1n, gasPrice })
          : await c.wallet.sendTransaction({ type, to, value: 1n, gasPrice, accessList: [] })
      const receipt = await c.public.waitForTransactionReceipt({ hash })
      expect(receipt.type).toBe(type)
      expect(receipt.effectiveGasPrice).toBe(gasPrice)
      expect(await c.public.getBalance({ address: c.account.address })).toBe(before - 1n - receipt.gasUsed * gasPrice)
    }
  })

  it('increaseTime moves block.timestamp, as a contract reads it, by exactly that much', async () => {
    const c = clients(custom(l1), l1.chainId, 0)
    const { abi } = counterContract()
    const { address } = await deployCounter(c)
    const read = () => c.public.readContract({ address, abi, functionName: 'now_' })
    const [t0, n0] = await read()
    await l1.increaseTime(3600)
    const [t1, n1] = await read()
    expect([t1 - t0, n1 - n0]).toEqual([3600n, 1n])
    expect(l1.now()).toBe(t1)
    await c.public.request({ method: 'evm_increaseTime' as never, params: [60] as never })
    await c.public.request({ method: 'evm_mine' as never, params: [] as never })
    const [t2] = await read()
    expect(t2 - t1).toBe(60n)
    await c.public.request({ method: 'evm_setNextBlockTimestamp' as never, params: [toHex(t2 + 1000n)] as never })
    const receipt = await increment(c, address, 1n)
    expect((await c.public.getBlock({ blockHash: receipt.blockHash })).timestamp).toBe(t2 + 1000n)
  })

  it('concurrent raw transactions run one at a time in arrival order, each in its own block', async () => {
    const c = clients(custom(l1), l1.chainId, 2)
    const start = await c.public.getTransactionCount({ address: c.account.address })
    const fees = await c.public.estimateFeesPerGas()
    const raws = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        c.account.signTransaction({
          chainId: l1.chainId,
          type: 'eip1559',
          to: TEST_ACCOUNTS[0]?.address as Hex,
          value: BigInt(i + 1),
          gas: 21_000n,
          nonce: start + i,
          ...fees,
        }),
      ),
    )
    // all sent at once: if any ran before the one with the previous nonce, it would be refused
    const hashes = (await Promise.all(
      raws.map((raw) => l1.request({ method: 'eth_sendRawTransaction', params: [raw] })),
    )) as Hex[]
    const receipts = await Promise.all(hashes.map((hash) => c.public.getTransactionReceipt({ hash })))
    const numbers = receipts.map((r) => r.blockNumber)
    expect(receipts.every((r) => r.status === 'success' && r.transactionIndex === 0)).toBe(true)
    expect(numbers.map((n) => n - (numbers[0] ?? 0n))).toEqual(Array.from({ length: 20 }, (_, i) => BigInt(i)))
  })

  it('eth_getLogs: topics with OR-arrays and nulls, address, blockHash; a range over 10,000 blocks is refused', async () => {
    const c0 = clients(custom(l1), l1.chainId, 0)
    const c1 = clients(custom(l1), l1.chainId, 1)
    const { address } = await deployCounter(c0)
    const r1 = await increment(c0, address, 1n)
    const r2 = await increment(c1, address, 2n)
    const r3 = await increment(c0, address, 3n)
    const by0 = pad(c0.account.address.toLowerCase() as Hex)
    const by1 = pad(c1.account.address.toLowerCase() as Hex)
    const getLogs = async (filter: Record<string, unknown>) =>
      (
        (await l1.request({
          method: 'eth_getLogs',
          params: [{ address, fromBlock: toHex(r1.blockNumber), ...filter }],
        })) as { transactionHash: Hex }[]
      ).map((l) => l.transactionHash)
    const [h1, h2, h3] = [r1, r2, r3].map((r) => r.transactionHash)
    expect(await getLogs({ topics: [INCREMENTED, [by0, by1]] })).toEqual([h1, h2, h3])
    expect(await getLogs({ topics: [INCREMENTED, by0] })).toEqual([h1, h3])
    // counts after each: 1, 3, 6
    expect(await getLogs({ topics: [null, null, pad(toHex(6))] })).toEqual([h3])
    expect(await getLogs({ topics: [null, null, [pad(toHex(1)), pad(toHex(6))]] })).toEqual([h1, h3])
    expect(await getLogs({ topics: [INCREMENTED, by1, pad(toHex(6))] })).toEqual([])
    expect(await getLogs({ address: TEST_ACCOUNTS[0]?.address })).toEqual([])
    expect(await getLogs({ address: [TEST_ACCOUNTS[0]?.address, address] })).toEqual([h1, h2, h3])
    expect(await getLogs({ fromBlock: undefined, blockHash: r2.blockHash })).toEqual([h2])
    expect(await getLogs({ fromBlock: toHex(r2.blockNumber), toBlock: toHex(r2.blockNumber) })).toEqual([h2])

    await l1.request({ method: 'anvil_mine', params: [toHex(10_001)] })
    const head = l1.blockNumber()
    const wide = l1.request({ method: 'eth_getLogs', params: [{ fromBlock: '0x0', toBlock: 'latest' }] })
    await expect(wide).rejects.toMatchObject({ code: -32005, message: expect.stringContaining('10000') })
    const widest = await l1.request({
      method: 'eth_getLogs',
      params: [{ fromBlock: toHex(head - 9_999n), toBlock: 'latest' }],
    })
    expect(widest).toEqual([])
  })

  it('watchContractEvent by polling sees an event emitted after it started', async () => {
    const c = clients(http(l1.url, { retryCount: 0 }), l1.chainId, 1)
    const { abi } = counterContract()
    const { address } = await deployCounter(c)
    const seen = new Promise<bigint | undefined>((resolve) => {
      const unwatch = c.public.watchContractEvent({
        address,
        abi,
        eventName: 'Incremented',
        poll: true,
        pollingInterval: 20,
        onLogs: (logs) => {
          unwatch()
          resolve(logs[0]?.args.amount)
        },
      })
    })
    // let the watcher take its starting block before the event
    await new Promise((r) => setTimeout(r, 100))
    await increment(c, address, 9n)
    expect(await seen).toBe(9n)
  })

  it('protocol errors: -32601 for an unknown method, -32602 for bad params, -32700, 413 over 1 MB', async () => {
    await expect(l1.request({ method: 'eth_nope' })).rejects.toMatchObject({ code: -32601 })
    await expect(l1.request({ method: 'eth_getBalance', params: ['0x12', 'latest'] })).rejects.toMatchObject({
      code: -32602,
    })
    await expect(l1.request({ method: 'eth_blockNumber', params: { a: 1 } })).rejects.toMatchObject({ code: -32602 })
    const post = (body: string) =>
      fetch(l1.url as string, { method: 'POST', headers: { 'content-type': 'application/json' }, body })
    const batch = await post(
      JSON.stringify([
        { jsonrpc: '2.0', id: 1, method: 'eth_chainId' },
        { jsonrpc: '2.0', id: 2, method: 'eth_nope' },
      ]),
    )
    expect(await batch.json()).toEqual([
      { jsonrpc: '2.0', id: 1, result: toHex(l1.chainId) },
      { jsonrpc: '2.0', id: 2, error: { code: -32601, message: expect.any(String) } },
    ])
    expect(((await (await post('{"jsonrpc":')).json()) as { error: { code: number } }).error.code).toBe(-32700)
    const big = JSON.stringify({
      jsonrpc: '2.0',
      id: 1,
      method: 'eth_call',
      params: [{ data: `0x${'00'.repeat(600_000)}` }],
    })
    expect(big.length).toBeGreaterThan(1024 * 1024)
    expect((await post(big)).status).toBe(413)
    // a refused body leaves the node serving
    expect(await l1.request({ method: 'eth_chainId' })).toBe(toHex(l1.chainId))
  })
})
