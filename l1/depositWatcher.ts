/**
 * @module The deposit watcher: reads the rollup contract's deposits, in sequence order, as they reach
 * `confirmations` L1 blocks. It reads contract storage (`depositCount`, `deposits(seq)`) at the confirmed block
 * rather than scanning logs, so a restart, a missed poll or an RPC failure loses nothing: the next poll reads from
 * the chain's own next sequence number again. The sequencer turns confirmed deposits into Deposit system
 * transactions; validators use `lookup` to check a block's deposits and `overdue` for forced inclusion.
 */
import type { Address, PublicClient } from 'viem'
import { ROLLUP_ABI } from './abi.ts'

export interface L1Deposit {
  seq: bigint
  account: Address
  /** deposit token units (USDC: 6 decimals) */
  amount: bigint
  /** L1 block time, seconds */
  l1Time: bigint
  l1Block: bigint
}

export interface DepositWatcherInit {
  client: PublicClient
  rollup: Address
  /** L1 blocks on top of a deposit's block before it is credited (0: at once) */
  confirmations: number
  /** ms between polls */
  pollMs: number
  log: (msg: string) => void
}

export interface DepositWatcher {
  start(): void
  stop(): Promise<void>
  /** polls now (the loop calls this) */
  poll(): Promise<void>
  /** confirmed deposits from `seq` on, in order, at most `max` */
  confirmedFrom(seq: bigint, max: number): L1Deposit[]
  /** the deposit `seq` as the contract holds it now (any confirmations), or undefined if it does not exist */
  lookup(seq: bigint): Promise<L1Deposit | undefined>
  /** forget deposits below `seq` (credited on L2) */
  prune(seq: bigint): void
}

/** At most this many deposits are read per poll, so a long backlog is taken in bounded steps. */
const READ_PER_POLL = 500

export function createDepositWatcher(init: DepositWatcherInit): DepositWatcher {
  const { client, rollup } = init
  const known = new Map<bigint, L1Deposit>()
  let next = 0n // lowest seq not yet read
  let timer: NodeJS.Timeout | undefined
  let running: Promise<void> = Promise.resolve()
  let stopped = true
  let failing = false

  async function read(seq: bigint, blockNumber?: bigint): Promise<L1Deposit> {
    const [account, amount, l1Time, l1Block] = await client.readContract({
      address: rollup,
      abi: ROLLUP_ABI,
      functionName: 'deposits',
      args: [seq],
      ...(blockNumber !== undefined ? { blockNumber } : {}),
    })
    return { seq, account: account.toLowerCase() as Address, amount, l1Time: BigInt(l1Time), l1Block: BigInt(l1Block) }
  }

  async function poll(): Promise<void> {
    try {
      const latest = await client.getBlockNumber({ cacheTime: 0 })
      const safe = latest - BigInt(init.confirmations)
      if (safe < 0n) return
      const count = await client.readContract({
        address: rollup,
        abi: ROLLUP_ABI,
        functionName: 'depositCount',
        blockNumber: safe,
      })
      const until = count < next + BigInt(READ_PER_POLL) ? count : next + BigInt(READ_PER_POLL)
      for (; next < until; next++) known.set(next, await read(next, safe))
      if (failing) init.log('l1: deposit watcher reaches L1 again')
      failing = false
    } catch (e) {
      if (!failing) init.log(`l1: deposit watcher cannot read L1 (will retry): ${e instanceof Error ? e.message : e}`)
      failing = true
    }
  }

  function loop(): void {
    if (stopped) return
    timer = setTimeout(() => {
      running = poll().finally(loop)
    }, init.pollMs)
  }

  return {
    start() {
      if (!stopped) return
      stopped = false
      running = poll().finally(loop)
    },
    async stop() {
      stopped = true
      if (timer !== undefined) clearTimeout(timer)
      await running
    },
    poll,
    confirmedFrom(seq, max) {
      const out: L1Deposit[] = []
      for (let s = seq; out.length < max; s++) {
        const d = known.get(s)
        if (d === undefined) break
        out.push(d)
      }
      return out
    },
    async lookup(seq) {
      const cached = known.get(seq)
      if (cached !== undefined) return cached
      const count = await client.readContract({ address: rollup, abi: ROLLUP_ABI, functionName: 'depositCount' })
      return seq < count ? read(seq) : undefined
    },
    prune(seq) {
      for (const s of known.keys()) if (s < seq) known.delete(s)
      if (next < seq) next = seq
    },
  }
}
