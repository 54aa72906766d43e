/**
 * The settler (l1/settler.ts) against anvil: it posts every N-th height once, a second settler (a restart) posts
 * nothing already settled, an unreachable L1 is retried without a double post, and a transaction that is not mined
 * is replaced with a higher fee so that exactly one of the two lands. Then the validator-side deposit checks of
 * node/l1Link.ts: a block whose deposit differs from L1, or that leaves out an overdue deposit, is refused.
 */
import type { Hex, PublicClient } from 'viem'
import { createPublicClient, createWalletClient, http } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { afterEach, describe, expect, it } from 'vitest'
import type { Block } from '../../engine/index.ts'
import type { Settler } from '../../l1/index.ts'
import { createSettler, ROLLUP_ABI, TOKEN_ABI } from '../../l1/index.ts'
import { devnetKey, SEQUENCER_KEY_INDEX } from '../../node/index.ts'
import { toHex } from '../../state/index.ts'
import type { TestL1 } from '../support/l1.ts'
import { clients, deployDevnetRollup, startAnvil, USDC } from '../support/l1.ts'
import { startSequencer, tempDir } from '../support/nodes.ts'
import { waitFor } from '../support/rpcClient.ts'

const cleanups: (() => Promise<void> | void)[] = []
afterEach(async () => {
  for (const c of cleanups.reverse()) await c()
  cleanups.length = 0
})

const root = (height: bigint) => ({
  height,
  blockHash: `0x${height.toString(16).padStart(64, 'a')}` as Hex,
  stateRoot: `0x${height.toString(16).padStart(64, 'b')}` as Hex,
})

async function settlerOn(l1: TestL1, url: string, rollup: `0x${string}`, head: () => bigint, replaceAfterMs = 30_000) {
  const transport = http(url, { retryCount: 0 })
  const publicClient = createPublicClient({ transport }) as PublicClient
  const chainId = await createPublicClient({ transport: l1.transport }).getChainId()
  const chain = {
    id: chainId,
    name: 'anvil',
    nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 },
    rpcUrls: { default: { http: [url] } },
  }
  const logs: string[] = []
  const settler: Settler = createSettler({
    publicClient,
    walletClient: createWalletClient({ transport, chain }),
    account: privateKeyToAccount(toHex(devnetKey(SEQUENCER_KEY_INDEX).privateKey) as Hex),
    chain,
    rollup,
    everyBlocks: 5,
    rootAt: async (h) => root(h),
    head,
    replaceAfterMs,
    log: (m) => logs.push(m),
  })
  return { settler, logs }
}

describe('settler', () => {
  it('posts each due height once, across a restart, an unreachable L1 and a replaced transaction', async () => {
    const l1 = await startAnvil()
    cleanups.push(() => l1.stop())
    const { rollup } = await deployDevnetRollup(l1)
    const pub = clients(l1, 0).pub
    const sequencer = privateKeyToAccount(toHex(devnetKey(SEQUENCER_KEY_INDEX).privateKey) as Hex).address
    const settled = () => pub.readContract({ address: rollup, abi: ROLLUP_ABI, functionName: 'lastSettledHeight' })
    const sent = () => pub.getTransactionCount({ address: sequencer })
    let head = 12n

    const a = await settlerOn(l1, l1.url, rollup, () => head)
    await a.settler.settle()
    expect(await settled()).toBe(10n) // the latest multiple of 5 at or below 12
    expect(await sent()).toBe(1)
    await a.settler.settle()
    expect(await sent()).toBe(1) // nothing new is due

    const restarted = await settlerOn(l1, l1.url, rollup, () => head)
    await restarted.settler.settle()
    expect(await sent()).toBe(1) // a restart reads the contract, posts nothing twice

    // an unreachable L1: the round fails, is logged, and posts nothing
    const dead = await settlerOn(l1, 'http://127.0.0.1:9', rollup, () => head)
    head = 17n
    await dead.settler.settle()
    expect(dead.logs.some((l) => l.includes('settlement failed'))).toBe(true)
    expect(await settled()).toBe(10n)
    await restarted.settler.settle()
    expect(await settled()).toBe(15n)
    expect(await sent()).toBe(2)

    // not mined in time: replaced at a higher fee with the same nonce; exactly one lands
    await pub.request({ method: 'evm_setAutomine' as never, params: [false] as never })
    head = 20n
    const slow = await settlerOn(l1, l1.url, rollup, () => head, 500)
    const round = slow.settler.settle()
    await waitFor('a replacement', async () => (slow.logs.some((l) => l.includes('replacing')) ? true : undefined))
    await pub.request({ method: 'evm_setAutomine' as never, params: [true] as never })
    await pub.request({ method: 'evm_mine' as never, params: [] as never })
    await round
    expect(await settled()).toBe(20n)
    expect(await sent()).toBe(3)
  }, 60_000)

  it('a validator refuses a block whose deposit differs from L1 or that leaves out an overdue one', async () => {
    const l1 = await startAnvil()
    cleanups.push(() => l1.stop())
    const d = await deployDevnetRollup(l1)
    const dir = tempDir('settler-deposits')
    cleanups.push(dir.remove)
    const node = await startSequencer({
      dataDir: dir.path,
      l1: { endpoint: l1.url, rollup: d.rollup, pollMs: 100, inclusionWindowMs: 60_000 },
    })
    cleanups.push(() => node.stop())
    // the checks run on hand-made blocks against the bridge as it was before the deposit
    const trader = clients(l1, 4)
    const account = trader.address.toLowerCase() as `0x${string}`
    for (const [address, abi, functionName, args] of [
      [d.token, TOKEN_ABI, 'approve', [d.rollup, 5n * USDC]],
      [d.rollup, ROLLUP_ABI, 'deposit', [5n * USDC, account]],
    ] as const) {
      const hash = await trader.wallet.writeContract({
        address,
        abi,
        functionName,
        args,
        account: trader.wallet.account as never,
        chain: null,
      } as never)
      await trader.pub.waitForTransactionReceipt({ hash })
    }
    const { l1Time } = await waitFor('the deposit on L1', async () => {
      const r = await trader.pub.readContract({
        address: d.rollup,
        abi: ROLLUP_ABI,
        functionName: 'deposits',
        args: [0n],
      })
      return { l1Time: BigInt(r[2]) }
    })
    const link = node.l1
    if (link === undefined) throw new Error('the node has no L1 link')
    await waitFor('the watcher to see it', async () =>
      link.depositsFor({ nextDepositSeq: 0n, totalDeposited: 0n }, 1).length === 1 ? true : undefined,
    )
    const bridge = { nextDepositSeq: 0n, totalDeposited: 0n }
    const block = (txs: Block['txs'], timeMs: bigint): Block =>
      ({ header: { height: 99n, time: timeMs }, txs, signature: new Uint8Array(65) }) as unknown as Block
    const depositTx = (amount: bigint): Block['txs'][number] => ({
      kind: 'deposit',
      message: { seq: 0n, account, amount, l1Time },
      signature: new Uint8Array(65),
    })
    const inTime = l1Time * 1000n + 1_000n
    const late = l1Time * 1000n + 60_001n
    expect(await link.checkDeposits(block([depositTx(5n * USDC)], late), bridge)).toBeUndefined()
    expect(await link.checkDeposits(block([], inTime), bridge)).toBeUndefined()
    expect(await link.checkDeposits(block([depositTx(6n * USDC)], inTime), bridge)).toMatch(/not the L1 contract's/)
    expect(await link.checkDeposits(block([], late), bridge)).toMatch(/leaves out L1 deposit 0/)
  }, 60_000)
})
