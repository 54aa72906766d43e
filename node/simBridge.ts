/**
 * @module The devnet simulation's bridger (account 8): every 15 s it deposits 1,000 USDC on the embedded L1 to
 * its own L2 account and withdraws 500 USDC on L2 back to itself, and it finalizes on L1 each of its withdrawals
 * that a settled root covers once the challenge window has passed, with the proof from perp_withdrawalProof — so a
 * newcomer sees the whole way in and out of the chain in the devnet's log.
 */
import type { Address, Hex } from 'viem'
import { createPublicClient, createWalletClient, custom } from 'viem'
import type { PrivateKeyAccount } from 'viem/accounts'
import { ROLLUP_ABI, TOKEN_ABI } from '../l1/index.ts'

export interface SimBridgeInit {
  /** the embedded L1's EIP-1193 endpoint */
  l1: { request(args: { method: string; params?: unknown }): Promise<unknown> }
  rollup: Address
  token: Address
  account: PrivateKeyAccount
  rpc: <T>(method: string, params?: unknown[]) => Promise<T>
  send: (kind: string, message: Record<string, unknown>) => Promise<void>
  nextNonce: () => bigint
  every: (ms: number, job: () => Promise<void>) => void
  log: (msg: string) => void
}

interface Settlement {
  withdrawableRootHeight: string | null
  withdrawals: {
    id: string
    account: string
    subaccount: number
    recipient: string
    amount: string
    height: string
    status: string
  }[]
}

const USDC = 1_000_000n

export function startSimBridge(o: SimBridgeInit): void {
  const transport = custom(o.l1)
  const wallet = createWalletClient({ transport, account: o.account })
  const pub = createPublicClient({ transport })
  const me = o.account.address.toLowerCase()
  let approved = false
  const finalizing = new Set<string>()

  async function l1Write(address: Address, abi: never, functionName: string, args: readonly unknown[]): Promise<void> {
    const hash = await wallet.writeContract({ address, abi, functionName, args, chain: null } as never)
    const receipt = await pub.waitForTransactionReceipt({ hash })
    if (receipt.status !== 'success') throw new Error(`L1 ${functionName} reverted`)
  }

  o.every(15_000, async () => {
    if (!approved) {
      await l1Write(o.token, TOKEN_ABI as never, 'approve', [o.rollup, 1_000_000_000n * USDC])
      approved = true
    }
    await l1Write(o.rollup, ROLLUP_ABI as never, 'deposit', [1_000n * USDC, o.account.address])
    o.log('sim: account 8 deposited 1,000 USDC on L1')
    await o.send('withdraw', {
      account: o.account.address,
      subaccount: 0,
      recipient: o.account.address,
      amount: 500n * USDC,
      nonce: o.nextNonce(),
    })
  })

  o.every(2_000, async () => {
    const s = await o.rpc<Settlement>('perp_settlement')
    for (const w of s.withdrawals) {
      if (w.account !== me || w.status !== 'finalizable' || finalizing.has(w.id)) continue
      finalizing.add(w.id)
      const root = s.withdrawableRootHeight as string // a finalizable withdrawal has one
      const p = await o.rpc<{ proof: Hex }>('perp_withdrawalProof', [w.id, root])
      const args = [
        BigInt(root),
        BigInt(w.id),
        w.account,
        w.subaccount,
        w.recipient,
        BigInt(w.amount),
        BigInt(w.height),
        p.proof,
      ] as const
      await l1Write(o.rollup, ROLLUP_ABI as never, 'finalizeWithdrawal', args).then(
        () => o.log(`sim: withdrawal ${w.id} of ${BigInt(w.amount) / USDC} USDC finalized on L1 by proof`),
        (e: unknown) => {
          finalizing.delete(w.id)
          throw e
        },
      )
    }
  })
}
