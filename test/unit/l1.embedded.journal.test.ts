import { appendFileSync, mkdtempSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import fc from 'fast-check'
import type { Hex } from 'viem'
import { custom, parseEther, toHex } from 'viem'
import { afterEach, describe, expect, it } from 'vitest'
import type { JournalRecord } from '../../l1/embedded/journal.ts'
import { decodeRecords, encodeRecord, JOURNAL_FILE } from '../../l1/embedded/journal.ts'
import type { EmbeddedL1, EmbeddedL1Options } from '../../l1/index.ts'
import { startEmbeddedL1 } from '../../l1/index.ts'
import {
  clients,
  counterContract,
  deployCounter,
  FUNDED_WEI,
  increment,
  TEST_ACCOUNTS,
} from './l1.embedded.fixtures.ts'

const FUND = TEST_ACCOUNTS.map((a) => ({ address: a.address, wei: FUNDED_WEI }))
const dirs: string[] = []
const running: EmbeddedL1[] = []

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'l1-journal-'))
  dirs.push(dir)
  return dir
}

async function start(dataDir: string, more: Partial<EmbeddedL1Options> = {}): Promise<EmbeddedL1> {
  const l1 = await startEmbeddedL1({ blockTimeMs: 0, fund: FUND, dataDir, ...more })
  running.push(l1)
  return l1
}

afterEach(async () => {
  for (const l1 of running.splice(0)) await l1.stop()
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true })
})

/** Everything a client could observe of the chain up to block `at` (default: the head), as the node answers it. */
async function observe(l1: EmbeddedL1, txs: Hex[], counter: Hex, at?: bigint) {
  const request = (method: string, params: unknown[] = []) => l1.request({ method, params })
  const head = at ?? BigInt((await request('eth_blockNumber')) as string)
  const blocks = []
  for (let n = 0n; n <= head; n++) blocks.push(await request('eth_getBlockByNumber', [toHex(n), true]))
  const c = clients(custom(l1), l1.chainId)
  return {
    head,
    blocks,
    receipts: await Promise.all(txs.map((h) => request('eth_getTransactionReceipt', [h]))),
    logs: await request('eth_getLogs', [{ fromBlock: '0x0', toBlock: toHex(head) }]),
    balances: await Promise.all(TEST_ACCOUNTS.map((a) => request('eth_getBalance', [a.address, toHex(head)]))),
    count: await c.public.readContract({
      address: counter,
      abi: counterContract().abi,
      functionName: 'count',
      blockNumber: head,
    }),
  }
}

describe('embedded L1 journal', () => {
  it('a restart from the same dataDir rebuilds the same chain: block hashes, receipts, logs, state', async () => {
    const dir = tempDir()
    // interval blocks too (every 20 ms), so the journal holds empty blocks between the transactions
    const l1 = await start(dir, { blockTimeMs: 20 })
    const c0 = clients(custom(l1), l1.chainId, 0)
    const c1 = clients(custom(l1), l1.chainId, 1)
    const { address, receipt } = await deployCounter(c0)
    const r1 = await increment(c0, address, 5n)
    // interval blocks between two transactions: the later logs' block numbers depend on them being replayed
    while (l1.blockNumber() < r1.blockNumber + 3n) await new Promise((r) => setTimeout(r, 10))
    await l1.request({ method: 'anvil_mine', params: ['0x5', '0xa'] })
    const r2 = await increment(c1, address, 7n)
    const transfer = await c1.wallet.sendTransaction({ to: c0.account.address, value: parseEther('2') })
    await l1.increaseTime(100)
    const txs = [receipt.transactionHash, r1.transactionHash, r2.transactionHash, transfer]
    // observed live at a fixed height: interval blocks may still come before the stop
    const live = await observe(l1, txs, address, l1.blockNumber())
    await l1.stop()
    // genesis, 4 transactions, 5 + 1 mined, and at least 3 interval blocks
    expect(live.blocks.length).toBeGreaterThanOrEqual(14)

    const restored = await start(dir)
    expect(restored.blockNumber()).toBeGreaterThanOrEqual(live.head)
    expect(await observe(restored, txs, address, live.head)).toEqual(live)
    const all = await observe(restored, txs, address)
    await restored.stop()
    // a second restart gives the same again, then one more transaction goes on top
    const again = await start(dir)
    expect(await observe(again, txs, address)).toEqual(all)
    expect(again.now()).toBe(BigInt((all.blocks.at(-1) as { timestamp: Hex }).timestamp))
    const r3 = await increment(clients(custom(again), again.chainId, 0), address, 1n)
    expect(r3.blockNumber).toBe(all.head + 1n)
    expect((await observe(again, [], address)).count).toBe(13n)
  })

  it('a torn last record is dropped and the rest restored; the chain goes on from there', async () => {
    const dir = tempDir()
    const l1 = await start(dir)
    const c = clients(custom(l1), l1.chainId, 0)
    const { address, receipt } = await deployCounter(c)
    const r1 = await increment(c, address, 5n)
    const atFive = await observe(l1, [receipt.transactionHash, r1.transactionHash], address)
    const sizeAtFive = statSync(join(dir, JOURNAL_FILE)).size
    const r2 = await increment(c, address, 7n)
    await l1.stop()
    // killed halfway through writing the last block's record
    truncateSync(join(dir, JOURNAL_FILE), statSync(join(dir, JOURNAL_FILE)).size - 10)
    const logs: string[] = []
    const restored = await start(dir, { log: (m) => logs.push(m) })
    expect(await observe(restored, [receipt.transactionHash, r1.transactionHash], address)).toEqual(atFive)
    expect(await restored.request({ method: 'eth_getTransactionReceipt', params: [r2.transactionHash] })).toBeNull()
    expect(logs.some((m) => m.includes('torn journal tail'))).toBe(true)
    expect(statSync(join(dir, JOURNAL_FILE)).size).toBe(sizeAtFive)

    // the same transaction again (still signed, nonce unused on the restored chain) lands at the same height
    const again = await increment(clients(custom(restored), restored.chainId, 0), address, 7n)
    expect(again.blockNumber).toBe(r2.blockNumber)
    await restored.stop()
    // garbage after the last good record (a torn header, zeroed pages) is dropped as well
    appendFileSync(join(dir, JOURNAL_FILE), Buffer.from([0, 0, 1]))
    const third = await start(dir)
    expect((await observe(third, [], address)).count).toBe(12n)
    await third.stop()
    appendFileSync(join(dir, JOURNAL_FILE), Buffer.alloc(4096))
    expect((await observe(await start(dir), [], address)).count).toBe(12n)
  })

  it('evm_revert cuts the journal too: a restart after a revert restores the reverted chain', async () => {
    const dir = tempDir()
    const l1 = await start(dir)
    const c = clients(custom(l1), l1.chainId, 0)
    const { address } = await deployCounter(c)
    await increment(c, address, 5n)
    const id = await l1.request({ method: 'evm_snapshot' })
    const head = l1.blockNumber()
    await increment(c, address, 7n)
    expect(await l1.request({ method: 'evm_revert', params: [id] })).toBe(true)
    expect(l1.blockNumber()).toBe(head)
    const r = await increment(c, address, 1n)
    await l1.stop()
    const restored = await start(dir)
    expect((await observe(restored, [], address)).count).toBe(6n)
    expect(restored.blockNumber()).toBe(r.blockNumber)
  })

  it('a data directory holding another genesis is refused', async () => {
    const dir = tempDir()
    await (await start(dir)).stop()
    await expect(start(dir, { fund: FUND.slice(1) })).rejects.toThrow(/another chain id or funded accounts/)
    await expect(start(dir, { chainId: 1337 })).rejects.toThrow(/another chain id or funded accounts/)
  })

  it('L1 time stands still while the node is stopped: a restored chain continues from its last block', async () => {
    const dir = tempDir()
    // a chain whose last block is from 2020: resumed, its next block follows that one, not today's clock
    const genesisTime = 1_600_000_000
    const genesis: JournalRecord = {
      kind: 'genesis',
      chainId: 31337,
      timestamp: genesisTime,
      fund: FUND.map((f) => [f.address.toLowerCase() as Hex, f.wei.toString()]),
    }
    writeFileSync(join(dir, JOURNAL_FILE), encodeRecord(genesis))
    const l1 = await start(dir)
    expect(l1.now()).toBe(BigInt(genesisTime))
    const wallBefore = Date.now()
    await l1.mine()
    // at most the seconds this test itself took, plus one (the rounding of two wall-clock readings)
    const bound = BigInt(genesisTime) + BigInt(Math.ceil((Date.now() - wallBefore) / 1000)) + 1n
    expect(l1.now()).toBeGreaterThan(BigInt(genesisTime))
    expect(l1.now()).toBeLessThanOrEqual(bound)
  })
})

describe('journal framing', () => {
  const records: JournalRecord[] = [
    { kind: 'genesis', chainId: 5, timestamp: 100, fund: [['0x00000000000000000000000000000000000000aa', '1']] },
    { kind: 'block', number: 1, timestamp: 101 },
    { kind: 'block', number: 2, timestamp: 105, txs: ['0x01', '0x0203'], hash: `0x${'ab'.repeat(32)}` },
    { kind: 'block', number: 3, timestamp: 106 },
  ]
  const file = Buffer.concat(records.map(encodeRecord))

  it('a file cut anywhere decodes to the records wholly before the cut', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: file.length }), (cut) => {
        const { records: got, goodBytes } = decodeRecords(file.subarray(0, cut))
        let whole = 0
        let bytes = 0
        for (const r of records) {
          const next = bytes + encodeRecord(r).length
          if (next > cut) break
          bytes = next
          whole++
        }
        expect(got).toEqual(records.slice(0, whole))
        expect(goodBytes).toBe(bytes)
      }),
    )
  })

  it('a flipped byte anywhere in a record drops that record and every one after it', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: file.length - 1 }), fc.integer({ min: 1, max: 255 }), (at, flip) => {
        const damaged = Buffer.from(file)
        damaged[at] = (damaged[at] ?? 0) ^ flip
        let start = 0
        let index = 0
        for (const r of records) {
          const end = start + encodeRecord(r).length
          if (at < end) break
          start = end
          index++
        }
        const { records: got, goodBytes } = decodeRecords(damaged)
        expect(got).toEqual(records.slice(0, index))
        expect(goodBytes).toBe(start)
      }),
    )
  })
})
