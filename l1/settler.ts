/**
 * @module The settler: posts the sequencer's state roots to the rollup contract every `everyBlocks` L2 blocks
 * (at heights that are multiples of it), in order and each at most once.
 *
 * The contract is the record: before each attempt the settler reads `lastSettledHeight`, so a crash, a lost
 * response or a restart never double-posts (the contract also refuses a height that does not increase). A posted
 * transaction that is not mined within `replaceAfterMs` is sent again with the same nonce and a 25% higher fee
 * (a replacement, so at most one of the two can land). In escape mode the contract refuses roots for good: the
 * settler says so once and stops trying.
 */
import type { Account, Address, Chain, Hex, PublicClient, WalletClient } from 'viem'
import { ROLLUP_ABI } from './abi.ts'

/** ms between two "settled root" log lines */
const REPORT_EVERY_MS = 30_000

export interface SettledRoot {
  height: bigint
  blockHash: Hex
  stateRoot: Hex
}

export interface SettlerInit {
  publicClient: PublicClient
  walletClient: WalletClient
  account: Account
  chain: Chain
  rollup: Address
  everyBlocks: number
  /** the committed L2 block at `height` (undefined if not kept) */
  rootAt: (height: bigint) => Promise<SettledRoot | undefined>
  /** the committed L2 head height */
  head: () => bigint
  replaceAfterMs?: number
  log: (msg: string) => void
}

export interface Settler {
  /** a new L2 head: settle if a multiple of everyBlocks is due (never runs two at once) */
  poke(): void
  /** one settlement round now; resolves when it is done (tests, shutdown) */
  settle(): Promise<void>
  stop(): Promise<void>
  readonly lastSettled: bigint
}

export function createSettler(init: SettlerInit): Settler {
  const every = BigInt(init.everyBlocks)
  const replaceAfterMs = init.replaceAfterMs ?? 30_000
  let running: Promise<void> | undefined
  let again = false
  let stopped = false
  let lastSettled = 0n
  let escaped = false
  let failing = false
  let reportedAt = 0 // ms (wall clock) of the last "settled" log line: one line per REPORT_EVERY_MS at most
  let unreported = 0

  async function submit(root: SettledRoot): Promise<void> {
    const nonce = await init.publicClient.getTransactionCount({ address: init.account.address, blockTag: 'latest' })
    let gasPrice = await init.publicClient.getGasPrice()
    for (let attempt = 0; attempt < 5 && !stopped; attempt++) {
      const hash = await init.walletClient.writeContract({
        address: init.rollup,
        abi: ROLLUP_ABI,
        functionName: 'submitRoot',
        args: [root.height, root.blockHash, root.stateRoot],
        account: init.account,
        chain: init.chain,
        nonce,
        gasPrice,
      })
      const receipt = await init.publicClient
        .waitForTransactionReceipt({ hash, timeout: replaceAfterMs, pollingInterval: 250 })
        .catch(() => undefined)
      if (receipt !== undefined) {
        if (receipt.status !== 'success') throw new Error(`submitRoot(${root.height}) reverted in ${hash}`)
        return
      }
      gasPrice = (gasPrice * 125n) / 100n + 1n // a replacement must pay more (rounded up)
      init.log(`l1: root ${root.height} not mined after ${replaceAfterMs} ms, replacing at gas price ${gasPrice}`)
    }
  }

  async function round(): Promise<void> {
    if (escaped) return
    const [onChain, inEscapeMode] = await Promise.all([
      init.publicClient.readContract({ address: init.rollup, abi: ROLLUP_ABI, functionName: 'lastSettledHeight' }),
      init.publicClient.readContract({ address: init.rollup, abi: ROLLUP_ABI, functionName: 'escapeMode' }),
    ])
    lastSettled = onChain
    if (inEscapeMode) {
      escaped = true
      init.log('l1: the rollup is in escape mode: it accepts no more roots; users exit by proof (docs/settlement.md)')
      return
    }
    const due = (init.head() / every) * every
    if (due <= onChain || due === 0n) return
    const root = await init.rootAt(due)
    if (root === undefined) throw new Error(`block ${due} is not available to settle`)
    await submit(root)
    lastSettled = due
    unreported++
    const now = Date.now()
    if (now - reportedAt >= REPORT_EVERY_MS) {
      init.log(
        `l1: settled root of height ${due} (${root.stateRoot.slice(0, 10)}…; ${unreported} roots since the last line)`,
      )
      reportedAt = now
      unreported = 0
    }
  }

  async function settle(): Promise<void> {
    try {
      await round()
      if (failing) init.log('l1: settler reaches L1 again')
      failing = false
    } catch (e) {
      // retried at the next block; the contract's lastSettledHeight keeps it exactly-once
      if (!failing) init.log(`l1: settlement failed (will retry): ${e instanceof Error ? e.message : String(e)}`)
      failing = true
    }
  }

  function poke(): void {
    if (stopped) return
    if (running !== undefined) {
      again = true
      return
    }
    running = settle().finally(() => {
      running = undefined
      if (again && !stopped) {
        again = false
        poke()
      }
    })
  }

  return {
    poke,
    settle: async () => {
      while (running !== undefined) await running
      await settle()
    },
    async stop() {
      stopped = true
      while (running !== undefined) await running
    },
    get lastSettled() {
      return lastSettled
    },
  }
}
