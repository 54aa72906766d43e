/**
 * L1 settlement end to end, on the embedded L1 and on anvil: an L1 deposit becomes an L2 credit (on the sequencer
 * and a validator, exactly once, also across a sequencer restart), the account trades, withdraws on L2, the
 * settler posts roots, and the withdrawal is finalized on L1 by a proof from perp_withdrawalProof — refused inside
 * the challenge window, paid after it, refused the second time.
 */
import type { Address, Hex } from 'viem'
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts'
import { afterEach, describe, expect, it } from 'vitest'
import { ROLLUP_ABI, TOKEN_ABI } from '../../l1/index.ts'
import type { PerpNode } from '../../node/index.ts'
import type { TestL1 } from '../support/l1.ts'
import { clients, deployDevnetRollup, startAnvil, startEmbedded, USDC } from '../support/l1.ts'
import { freePort, startSequencer, startValidator, tempDir } from '../support/nodes.ts'
import { feedOracle } from '../support/oracle.ts'
import { call, waitFor } from '../support/rpcClient.ts'
import type { Eip712Info } from '../support/signing.ts'
import { signTx } from '../support/signing.ts'

interface Account {
  collateral: string
}
interface Settlement {
  lastSettledHeight: string
  nextDepositSeq: string
  withdrawals: { id: string; status: string }[]
}

const cleanups: (() => Promise<void> | void)[] = []
afterEach(async () => {
  for (const c of cleanups.reverse()) await c()
  cleanups.length = 0
})

async function flow(start: () => Promise<TestL1>): Promise<void> {
  const l1 = await start()
  cleanups.push(() => l1.stop())
  const deployment = await deployDevnetRollup(l1, { challengeWindowSec: 30n })
  const l1Options = { endpoint: l1.endpoint as never, rollup: deployment.rollup, settleEveryBlocks: 5, pollMs: 100 }
  const seqDir = tempDir('settle-seq')
  const valDir = tempDir('settle-val')
  cleanups.push(seqDir.remove, valDir.remove)
  const p2pPort = await freePort() // the validator redials the sequencer at the same address after its restart
  let sequencer: PerpNode = await startSequencer({ dataDir: seqDir.path, l1: l1Options, p2pPort })
  cleanups.push(() => sequencer.stop())
  const validator = await startValidator({
    dataDir: valDir.path,
    bootstrap: sequencer.p2p.multiaddrs(),
    l1: l1Options,
  })
  cleanups.push(() => validator.stop())

  // a newcomer with nothing on L2 is funded from L1 by devnet trader 5
  const trader = clients(l1, 5)
  const owner = privateKeyToAccount(generatePrivateKey())
  const X = owner.address.toLowerCase() as Address
  const amount = 1_000n * USDC
  const approve = await trader.wallet.writeContract({
    address: deployment.token,
    abi: TOKEN_ABI,
    functionName: 'approve',
    args: [deployment.rollup, amount],
    account: trader.wallet.account as never,
    chain: null,
  })
  await trader.pub.waitForTransactionReceipt({ hash: approve })
  const deposit = await trader.wallet.writeContract({
    address: deployment.rollup,
    abi: ROLLUP_ABI,
    functionName: 'deposit',
    args: [amount, X],
    account: trader.wallet.account as never,
    chain: null,
  })
  expect((await trader.pub.waitForTransactionReceipt({ hash: deposit })).status).toBe('success')

  for (const node of [sequencer, validator])
    await waitFor('the deposit on L2', async () => {
      const a = await call<Account>(node.rpcUrl, 'perp_account', [X, 0])
      return a.collateral === amount.toString() ? a : undefined
    })

  // exactly once across a restart: the sequencer comes back and credits nothing twice
  await sequencer.stop()
  sequencer = await startSequencer({ dataDir: seqDir.path, l1: l1Options, p2pPort })
  const resumedAt = sequencer.chain.head.height
  await waitFor('blocks after the restart', async () =>
    sequencer.chain.head.height > resumedAt + 3n ? true : undefined,
  )
  expect((await call<Account>(sequencer.rpcUrl, 'perp_account', [X, 0])).collateral).toBe(amount.toString())
  expect(sequencer.chain.state.bridge.nextDepositSeq).toBe(1n)

  // withdraw 400 USDC on L2 to a fresh L1 address
  await feedOracle(sequencer.rpcUrl)
  const recipient = privateKeyToAccount(generatePrivateKey()).address
  const { eip712 } = await call<{ eip712: Eip712Info }>(sequencer.rpcUrl, 'perp_chainInfo')
  const out = 400n * USDC
  const tx = await signTx(owner, eip712, 'withdraw', {
    account: X,
    subaccount: 0,
    recipient,
    amount: out.toString(),
    nonce: '1',
  })
  const { hash } = await call<{ hash: string }>(sequencer.rpcUrl, 'perp_sendTransaction', [tx])
  const receipt = await waitFor('the withdrawal included', async () => {
    const r = await call<{ status: string; height: string; events: { type: string; id: string }[] } | null>(
      sequencer.rpcUrl,
      'perp_transaction',
      [hash],
    )
    return r?.status === 'included' ? r : undefined
  })
  const id = BigInt((receipt.events.find((e) => e.type === 'withdrawal') as { id: string }).id)
  const l2Height = BigInt(receipt.height)

  // the settler posts a root that covers the withdrawal's height
  const settled = await waitFor(
    'a settled root past the withdrawal',
    async () => {
      const s = await call<Settlement>(validator.rpcUrl, 'perp_settlement')
      const h = BigInt(s.lastSettledHeight)
      return h >= l2Height && validator.chain.head.height >= h ? s : undefined
    },
    30_000,
  )
  const rootHeight = BigInt(settled.lastSettledHeight)
  expect(settled.withdrawals.find((w) => w.id === id.toString())?.status).toBe('challenge-window')
  const proof = await call<{ stateRoot: Hex; value: Hex; proof: Hex }>(validator.rpcUrl, 'perp_withdrawalProof', [
    id.toString(),
    rootHeight.toString(),
  ])
  const [, onChainRoot] = await trader.pub.readContract({
    address: deployment.rollup,
    abi: ROLLUP_ABI,
    functionName: 'roots',
    args: [rootHeight],
  })
  expect(onChainRoot).toBe(proof.stateRoot)

  const finalize = {
    address: deployment.rollup,
    abi: ROLLUP_ABI,
    functionName: 'finalizeWithdrawal',
    args: [rootHeight, id, X, 0, recipient, out, l2Height, proof.proof],
    account: trader.wallet.account as never,
  } as const
  await expect(trader.pub.simulateContract(finalize)).rejects.toThrow()
  await l1.increaseTime(31)
  const paid = await trader.wallet.writeContract({ ...finalize, chain: null })
  expect((await trader.pub.waitForTransactionReceipt({ hash: paid })).status).toBe('success')
  const balance = await trader.pub.readContract({
    address: deployment.token,
    abi: TOKEN_ABI,
    functionName: 'balanceOf',
    args: [recipient],
  })
  expect(balance).toBe(out)
  await expect(trader.pub.simulateContract(finalize)).rejects.toThrow()
  const after = await call<Settlement>(validator.rpcUrl, 'perp_settlement')
  expect(after.withdrawals.find((w) => w.id === id.toString())?.status).toBe('finalized')
}

describe('L1 settlement', () => {
  it('embedded L1: deposit, withdraw, settle, finalize by proof once', async () => {
    await flow(startEmbedded)
  }, 90_000)

  it('anvil: the same flow against an external Ethereum JSON-RPC node', async () => {
    await flow(startAnvil)
  }, 90_000)
})
