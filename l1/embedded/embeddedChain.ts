/**
 * @module The embedded L1 chain: one VM, the blocks mined on it, the block clock and the journal, behind a
 * serial queue. Every write (a transaction, an empty block, a snapshot revert) and every state read runs as one
 * queued job, so a read sees whole blocks and transactions execute one at a time in arrival order.
 *
 * A transaction is mined into its own new block when it arrives (automine); the result is returned only after
 * the block is journaled and synced. State reads run on a copy of the VM set to the named block's state root
 * (the state trie keeps every root, nothing is pruned), so historical `eth_call`s work.
 */

import type { Common } from '@ethereumjs/common'
import type { EVMMockBlockchainInterface } from '@ethereumjs/evm'
import type { TypedTransaction } from '@ethereumjs/tx'
import { bytesToHex } from '@ethereumjs/util'
import type { VM } from '@ethereumjs/vm'
import { createVM } from '@ethereumjs/vm'
import { BlockClock } from './blockClock.ts'
import type { FundedAccount } from './blockProducer.ts'
import { createGenesis, mineBlock } from './blockProducer.ts'
import { createChainCommon } from './chainParams.ts'
import type { MinedBlock } from './chainStore.ts'
import { ChainStore } from './chainStore.ts'
import type { JournalRecord } from './journal.ts'
import { Journal } from './journal.ts'
import { decodeRawTransaction } from './rawTransaction.ts'
import type { BlockRef, Hex } from './rpcParams.ts'
import { hexData, quantity } from './rpcParams.ts'
import { SerialQueue } from './serialQueue.ts'

export interface ChainOptions {
  chainId: number
  fund: readonly FundedAccount[]
  dataDir?: string | undefined
  log: (msg: string) => void
  /** wall clock in ms; Date.now unless a caller needs another */
  wallMs?: () => number
}

interface Snapshot {
  number: bigint
  journalBytes: number
}

export class EmbeddedChain {
  readonly common: Common
  readonly store: ChainStore
  readonly clock: BlockClock
  private readonly vm: VM
  private readonly queue = new SerialQueue()
  private readonly journal: Journal | undefined
  private readonly log: (msg: string) => void
  /** the VM copy reads run on (see atBlock) */
  private reader: VM | undefined
  private readonly snapshots = new Map<number, Snapshot>()
  private nextSnapshotId = 1
  private intervalBlockQueued = false
  private closed = false

  private constructor(
    common: Common,
    vm: VM,
    store: ChainStore,
    clock: BlockClock,
    journal: Journal | undefined,
    log: (msg: string) => void,
  ) {
    this.log = log
    this.common = common
    this.vm = vm
    this.store = store
    this.clock = clock
    this.journal = journal
  }

  /** A new chain from its genesis, or the chain the journal in `dataDir` holds. */
  static async open(o: ChainOptions): Promise<EmbeddedChain> {
    const common = createChainCommon(o.chainId)
    const store = new ChainStore()
    const vm = await createVM({ common, blockchain: blockchainOf(store) })
    const clock = new BlockClock(o.wallMs)
    const opened = o.dataDir === undefined ? undefined : Journal.open(o.dataDir)
    if (opened !== undefined && opened.droppedBytes > 0)
      o.log(`l1: dropped a torn journal tail of ${opened.droppedBytes} bytes (a write cut short by a stop)`)
    const chain = new EmbeddedChain(common, vm, store, clock, opened?.journal, o.log)
    const records = opened?.records ?? []
    try {
      if (records.length === 0) await chain.startNew(o, BigInt(Math.floor((o.wallMs ?? Date.now)() / 1000)))
      else await chain.replay(records, o)
    } catch (e) {
      opened?.journal.close()
      throw e
    }
    return chain
  }

  private async startNew(o: ChainOptions, timestamp: bigint): Promise<void> {
    const genesis = await createGenesis(this.vm, this.common, o.fund, timestamp)
    this.journal?.append(
      {
        kind: 'genesis',
        chainId: o.chainId,
        timestamp: Number(timestamp),
        fund: o.fund.map((f) => [f.address.toLowerCase() as Hex, f.wei.toString()]),
      },
      { sync: true },
    )
    this.store.append(genesis)
  }

  private async replay(records: JournalRecord[], o: ChainOptions): Promise<void> {
    const [first, ...blocks] = records
    if (first?.kind !== 'genesis') throw new Error('l1 journal: the first record is not the genesis')
    const fund = o.fund.map((f) => `${f.address.toLowerCase()}:${f.wei}`).join(',')
    const journaled = first.fund.map(([a, w]) => `${a}:${w}`).join(',')
    if (first.chainId !== o.chainId || fund !== journaled)
      throw new Error('l1 journal: the data directory holds a chain with another chain id or funded accounts')
    const genesisFund = first.fund.map(([address, wei]) => ({ address, wei: BigInt(wei) }))
    this.store.append(await createGenesis(this.vm, this.common, genesisFund, BigInt(first.timestamp)))
    for (const r of blocks) {
      if (r.kind !== 'block' || BigInt(r.number) !== this.store.head().number + 1n)
        throw new Error(`l1 journal: unexpected record after block ${this.store.head().number}`)
      const txs = (r.txs ?? []).map((raw) => decodeRawTransaction(hexToBytesStrict(raw), this.common))
      const mined = await mineBlock(this.vm, this.store.head(), BigInt(r.timestamp), txs)
      if (r.hash !== undefined && r.hash !== mined.hash)
        throw new Error(`l1 journal: block ${r.number} replayed to hash ${mined.hash}, journaled ${r.hash}`)
      this.store.append(mined)
    }
    this.clock.resumeAt(this.store.head().timestamp)
    o.log(`l1: restored ${blocks.length} blocks from the journal, head ${this.store.head().number}`)
  }

  /** Mines `raw` into a new block; resolves with its hash once the block is journaled (and synced). */
  sendRawTransaction(raw: Uint8Array): Promise<Hex> {
    const tx = decodeRawTransaction(raw, this.common)
    return this.queue.run(async () => {
      await this.mineAndCommit([tx], [hexData(raw)], true)
      return bytesToHex(tx.hash())
    })
  }

  /**
   * Mines an empty block and syncs the journal. `at.timestamp` stamps it exactly; `at.after` stamps it that
   * many seconds after the latest block (in the same queued job, so no transaction slips in between).
   */
  mine(at: { timestamp?: bigint; after?: bigint } = {}): Promise<MinedBlock> {
    return this.queue.run(() => {
      if (at.after !== undefined) this.clock.increase(at.after)
      if (at.timestamp !== undefined) this.clock.setNext(at.timestamp, this.store.head().timestamp)
      return this.mineAndCommit([], [], true)
    })
  }

  /**
   * anvil_mine: `count` empty blocks in one job, each `interval` seconds after the previous (the clock's rule if
   * undefined); the journal is synced once, after the last.
   */
  mineMany(count: number, interval: bigint | undefined): Promise<MinedBlock> {
    return this.queue.run(async () => {
      let last = this.store.head()
      for (let i = 0; i < count; i++) {
        if (interval !== undefined) this.clock.increase(interval)
        last = await this.mineAndCommit([], [], i === count - 1)
      }
      return last
    })
  }

  /** The interval clock's tick: one empty block, unless the previous tick's block is still waiting its turn. */
  mineInterval(): void {
    if (this.intervalBlockQueued || this.closed) return
    this.intervalBlockQueued = true
    this.queue
      .run(() => {
        this.intervalBlockQueued = false
        return this.closed ? Promise.resolve(undefined) : this.mineAndCommit([], [], false)
      })
      .catch((e: unknown) => this.log(`l1: interval block failed: ${e instanceof Error ? e.message : String(e)}`))
  }

  private async mineAndCommit(txs: TypedTransaction[], raws: Hex[], durable: boolean): Promise<MinedBlock> {
    const parent = this.store.head()
    const timestamp = this.clock.next(parent.timestamp)
    const mined = await mineBlock(this.vm, parent, timestamp, txs)
    try {
      this.journal?.append(
        raws.length === 0
          ? { kind: 'block', number: Number(mined.number), timestamp: Number(timestamp) }
          : { kind: 'block', number: Number(mined.number), timestamp: Number(timestamp), txs: raws, hash: mined.hash },
        { sync: durable },
      )
    } catch (e) {
      // not journaled, so not mined: the VM goes back to the parent's state
      await this.vm.stateManager.setStateRoot(parent.block.header.stateRoot)
      throw e
    }
    this.store.append(mined)
    this.clock.mined(timestamp)
    return mined
  }

  /** Runs `read` on a copy of the VM at the state after block `ref`; whatever it writes is thrown away. */
  atBlock<T>(ref: BlockRef, read: (vm: VM, mined: MinedBlock) => Promise<T>): Promise<T> {
    return this.queue.run(async () => {
      const mined = this.store.resolve(ref)
      // one copy serves every read: it shares the trie's node store, so any block's root can be set on it,
      // and building a VM per read (its EVM, opcode table, params) cost more than most reads
      this.reader ??= await this.vm.shallowCopy()
      const copy = this.reader
      await copy.stateManager.setStateRoot(mined.block.header.stateRoot)
      await copy.stateManager.checkpoint()
      try {
        return await read(copy, mined)
      } finally {
        await copy.stateManager.revert()
      }
    })
  }

  /** evm_snapshot: an id to return to this head with `revert`. */
  snapshot(): Promise<Hex> {
    return this.queue.run(async () => {
      const id = this.nextSnapshotId++
      this.snapshots.set(id, { number: this.store.head().number, journalBytes: this.journal?.size() ?? 0 })
      return quantity(id)
    })
  }

  /** evm_revert: back to the snapshot's head, dropping later blocks (also from the journal) and later snapshots. */
  revert(id: number): Promise<boolean> {
    return this.queue.run(async () => {
      const s = this.snapshots.get(id)
      if (s === undefined) return false
      for (const k of [...this.snapshots.keys()]) if (k >= id) this.snapshots.delete(k)
      this.store.truncate(s.number)
      await this.vm.stateManager.setStateRoot(this.store.head().block.header.stateRoot)
      this.journal?.truncate(s.journalBytes)
      return true
    })
  }

  /** Runs `job` in the queue (for the clock's test methods, which must not interleave with mining). */
  exclusive<T>(job: () => Promise<T>): Promise<T> {
    return this.queue.run(job)
  }

  async close(): Promise<void> {
    this.closed = true
    await this.queue.drain()
    this.journal?.close()
  }
}

/** BLOCKHASH reads this chain's own blocks (the EVM asks only for the 256 before the current one). */
function blockchainOf(store: ChainStore): EVMMockBlockchainInterface {
  const blockchain: EVMMockBlockchainInterface = {
    getBlock: async (n: number) => {
      const hash = store.byNumber(BigInt(n))?.block.hash() ?? new Uint8Array(32)
      return { hash: () => hash }
    },
    putBlock: async () => {},
    shallowCopy: () => blockchain,
  }
  return blockchain
}

function hexToBytesStrict(hex: Hex): Uint8Array {
  return Uint8Array.from(Buffer.from(hex.slice(2), 'hex'))
}
