/**
 * @module A node's link to L1: viem clients over the embedded L1 (in-process EIP-1193) or any Ethereum JSON-RPC
 * URL, the deposit watcher (both roles), the settler (sequencer), and the checks a validator makes on a block's
 * deposits:
 * - every Deposit in the block exists on L1 with the same sequence number, account, amount and L1 time;
 * - forced inclusion: after the block's deposits, the next deposit the chain has not credited must not be older
 *   than `inclusionWindowMs` at the block's time (measured on L1 time, confirmed on this node's L1 view). A
 *   sequencer that leaves such a deposit out has its block refused.
 */
import type { Address, Hex, PublicClient, Transport, Chain as ViemChain } from 'viem'
import { createPublicClient, createWalletClient, custom, defineChain, http } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import type { Block, Bridge, DepositMessage } from '../engine/index.ts'
import { blockHash, decodeBlock } from '../engine/index.ts'
import type { L1Deposit } from '../l1/index.ts'
import { createDepositWatcher, createSettler, ROLLUP_ABI } from '../l1/index.ts'
import type { Json } from '../rpc/index.ts'
import { toHex } from '../state/index.ts'
import type { Chain } from './chain.ts'
import type { VerifiedSignedTx } from './verify.ts'
import { SYSTEM_SIGNATURE, verifyBlockTx } from './verify.ts'

export interface L1Options {
  /** the embedded L1's EIP-1193 request function, or an Ethereum JSON-RPC URL */
  endpoint: { request(args: { method: string; params?: unknown }): Promise<unknown> } | string
  rollup: Address
  /** L1 blocks on top of a deposit before it is credited (default 0: the embedded L1 does not reorganize) */
  confirmations?: number
  /** L2 blocks between two settled roots (default 10) */
  settleEveryBlocks?: number
  /** ms between L1 polls (default 500) */
  pollMs?: number
  /** ms after which a confirmed deposit must be in the next block (default 300,000: 5 minutes) */
  inclusionWindowMs?: number
}

export interface L1Link {
  readonly rollup: Address
  /** Deposit system transactions for the next block: confirmed deposits from the chain's next sequence number */
  depositsFor(bridge: Bridge, max: number): VerifiedSignedTx[]
  /** undefined when the block's deposits are consistent with L1, else why not */
  checkDeposits(block: Block, bridge: Bridge): Promise<string | undefined>
  /** a new head was committed */
  onCommitted(): void
  settlement(): Promise<Json>
  stop(): Promise<void>
}

export const DEFAULT_SETTLE_EVERY = 10
/** Deposits a block opens with, at most: a backlog is credited over several blocks while user traffic flows. */
export const MAX_DEPOSITS_PER_BLOCK = 256
export const DEFAULT_INCLUSION_WINDOW_MS = 300_000
/** L1 blocks searched back for settled roots (RootSubmitted events) */
const ROOT_LOOKBACK_BLOCKS = 5_000n
/** ms a validator waits for its L1 view to show a deposit a block includes */
const LOOKUP_PATIENCE_MS = 10_000

function transportOf(endpoint: L1Options['endpoint']): Transport {
  return typeof endpoint === 'string' ? http(endpoint, { retryCount: 0 }) : custom(endpoint)
}

function depositMessage(d: L1Deposit): DepositMessage {
  return { seq: d.seq, account: d.account, amount: d.amount, l1Time: d.l1Time }
}

function sameDeposit(m: DepositMessage, d: L1Deposit): boolean {
  return m.seq === d.seq && m.account === d.account && m.amount === d.amount && m.l1Time === d.l1Time
}

async function l1Chain(client: PublicClient): Promise<ViemChain> {
  const id = await client.getChainId()
  return defineChain({
    id,
    name: `L1 ${id}`,
    nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 },
    rpcUrls: { default: { http: [] } },
  })
}

export async function connectL1(
  o: L1Options,
  chain: Chain,
  role: 'sequencer' | 'validator',
  signingKey: Uint8Array | undefined,
  log: (msg: string) => void,
): Promise<L1Link> {
  const transport = transportOf(o.endpoint)
  const publicClient = createPublicClient({ transport }) as PublicClient
  const l1 = await l1Chain(publicClient)
  const code = await publicClient.getCode({ address: o.rollup })
  if (code === undefined || code === '0x') throw new Error(`no rollup contract at ${o.rollup} on L1 ${l1.id}`)
  const window = BigInt(o.inclusionWindowMs ?? DEFAULT_INCLUSION_WINDOW_MS)
  const watcher = createDepositWatcher({
    client: publicClient,
    rollup: o.rollup,
    confirmations: o.confirmations ?? 0,
    pollMs: o.pollMs ?? 500,
    log,
  })
  watcher.prune(chain.state.bridge.nextDepositSeq)
  watcher.start()
  const settler =
    role === 'sequencer' && signingKey !== undefined
      ? createSettler({
          publicClient,
          walletClient: createWalletClient({ transport, chain: l1 }),
          account: privateKeyToAccount(toHex(signingKey) as Hex),
          chain: l1,
          rollup: o.rollup,
          everyBlocks: o.settleEveryBlocks ?? DEFAULT_SETTLE_EVERY,
          rootAt: async (height) => {
            const bytes = await chain.store.block(height)
            if (bytes === undefined) return undefined
            const { header } = decodeBlock(bytes)
            return { height, blockHash: toHex(blockHash(header)) as Hex, stateRoot: toHex(header.stateRoot) as Hex }
          },
          head: () => chain.head.height,
          log,
        })
      : undefined

  async function lookupPatiently(seq: bigint): Promise<L1Deposit | undefined> {
    const deadline = Date.now() + LOOKUP_PATIENCE_MS
    for (;;) {
      const d = await watcher.lookup(seq).catch(() => undefined)
      if (d !== undefined || Date.now() > deadline) return d
      await new Promise((r) => setTimeout(r, 250))
    }
  }

  const read = <T>(functionName: string, args: unknown[] = []): Promise<T> =>
    publicClient.readContract({ address: o.rollup, abi: ROLLUP_ABI, functionName, args } as never) as Promise<T>

  /**
   * The newest root past its challenge window at L1 time `now` and not challenged: a withdrawal finalizes against
   * it (not against the latest root, which a busy settler replaces long before its window ends). Looks at the
   * RootSubmitted events of the last ROOT_LOOKBACK_BLOCKS L1 blocks.
   */
  async function withdrawableRoot(latest: bigint, now: bigint, window: bigint): Promise<bigint | undefined> {
    const events = await publicClient.getContractEvents({
      address: o.rollup,
      abi: ROLLUP_ABI,
      eventName: 'RootSubmitted',
      fromBlock: latest > ROOT_LOOKBACK_BLOCKS ? latest - ROOT_LOOKBACK_BLOCKS : 0n,
      toBlock: latest,
    })
    const ready = events
      .map((e) => e.args as { height: bigint; settledAt: bigint })
      .filter((r) => r.settledAt + window <= now)
      .sort((a, b) => (a.height < b.height ? 1 : -1))
    for (const r of ready) {
      const [, , , challenged] = await read<[Hex, Hex, bigint, boolean]>('roots', [r.height])
      if (!challenged) return r.height
    }
    return undefined
  }

  return {
    rollup: o.rollup,
    depositsFor(bridge, max) {
      watcher.prune(bridge.nextDepositSeq)
      return watcher
        .confirmedFrom(bridge.nextDepositSeq, max)
        .map((d) =>
          verifyBlockTx(chain.domainSep, { kind: 'deposit', message: depositMessage(d), signature: SYSTEM_SIGNATURE }),
        )
    },
    async checkDeposits(block, bridge) {
      let next = bridge.nextDepositSeq
      let count = 0
      for (const tx of block.txs) {
        if (tx.kind !== 'deposit') continue
        count++
        const onL1 = await lookupPatiently(tx.message.seq)
        if (onL1 === undefined || !sameDeposit(tx.message, onL1))
          return `deposit ${tx.message.seq} of block ${block.header.height} is not the L1 contract's deposit ${tx.message.seq}`
        if (tx.message.seq === next) next += 1n
      }
      if (count >= MAX_DEPOSITS_PER_BLOCK) return undefined // a full share of deposits: the rest may wait
      const due = watcher.confirmedFrom(next, 1)[0]
      if (due !== undefined && due.l1Time * 1000n + window < block.header.time)
        return `block ${block.header.height} leaves out L1 deposit ${due.seq}, older than the inclusion window (${window} ms)`
      return undefined
    },
    onCommitted() {
      settler?.poke()
    },
    async settlement() {
      const [lastSettledHeight, lastSettledAt, escapeMode, challengeWindow, depositCount] = await Promise.all([
        read<bigint>('lastSettledHeight'),
        read<bigint>('lastSettledAt'),
        read<boolean>('escapeMode'),
        read<bigint>('challengeWindow'),
        read<bigint>('depositCount'),
      ])
      const latest = await publicClient.getBlock({ blockTag: 'latest' })
      const ready = await withdrawableRoot(latest.number, latest.timestamp, challengeWindow)
      const withdrawals = [...chain.state.withdrawals.values()].slice(-100)
      const done = await Promise.all(withdrawals.map((w) => read<boolean>('withdrawn', [w.id])))
      return {
        l1ChainId: l1.id,
        rollup: o.rollup,
        l1Time: latest.timestamp.toString(),
        lastSettledHeight: lastSettledHeight.toString(),
        lastSettledAt: lastSettledAt.toString(),
        // the root withdrawals finalize against now (past its challenge window); null if none yet
        withdrawableRootHeight: ready === undefined ? null : ready.toString(),
        escapeMode,
        depositCount: depositCount.toString(),
        nextDepositSeq: chain.state.bridge.nextDepositSeq.toString(),
        totalDeposited: chain.state.bridge.totalDeposited.toString(),
        withdrawals: withdrawals.map((w, i) => ({
          id: w.id.toString(),
          account: w.account,
          subaccount: w.subaccount,
          recipient: w.recipient,
          amount: w.amount.toString(),
          height: w.height.toString(),
          // a withdrawal's leaf stays in the state, so any later root proves it
          status: done[i]
            ? 'finalized'
            : w.height > lastSettledHeight
              ? 'awaiting-root'
              : ready === undefined || w.height > ready
                ? 'challenge-window'
                : 'finalizable',
        })),
      }
    },
    async stop() {
      await settler?.stop()
      await watcher.stop()
    },
  }
}
