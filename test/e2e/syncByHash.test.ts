/**
 * Blocks by hash over real libp2p on loopback, and its uses in a validator:
 * - the protocol: held blocks returned and missing hashes marked, in request order; limits; a peer that does not
 *   offer it; one rate limit shared with the range protocol;
 * - a validator given a block whose parents it lacks fetches them by hash from the sender (range sync answers
 *   nothing meanwhile, so only the walk can have placed it), and falls back to a range sync for a wider gap;
 * - a block on another parent: the validator fetches that parent by hash and records the equivocation;
 * - a data directory written before the hash index existed gets the index built when it opens.
 */
import { Level } from 'level'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import type { BlockHeader } from '../../engine/index.ts'
import { blockHash, decodeBlock, encodeBlock } from '../../engine/index.ts'
import { ChainStore } from '../../node/chainStore.ts'
import { DB_PREFIX } from '../../node/dbKeys.ts'
import type { EquivocationEvidence } from '../../node/evidence.ts'
import { currentAlarm } from '../../node/evidence.ts'
import type { PerpNode } from '../../node/index.ts'
import { devnetKey, SEQUENCER_KEY_INDEX, signDigest } from '../../node/index.ts'
import type { P2P, P2PInit } from '../../p2p/index.ts'
import { createP2P } from '../../p2p/index.ts'
import { EMPTY_ROOT, toHex } from '../../state/index.ts'
import { startSequencer, startValidator, tempDir } from '../support/nodes.ts'
import { waitFor } from '../support/rpcClient.ts'

const CHAIN_ID = 31337
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex')
const filled = (byte: number, n = 32): Uint8Array => new Uint8Array(n).fill(byte)

const hosts: P2P[] = []
afterEach(async () => {
  await Promise.all(hosts.splice(0).map((h) => h.stop()))
})

async function host(chainId: number, over: Partial<P2PInit> = {}): Promise<P2P> {
  const p = await createP2P({
    chainId,
    listen: ['/ip4/127.0.0.1/tcp/0'],
    bootstrap: [],
    maxBlockBytes: 64 * 1024,
    maxTxBytes: 4 * 1024,
    onBlock: () => 'ignore',
    onTransaction: () => 'ignore',
    serveBlocks: async () => [],
    ...over,
  })
  hosts.push(p)
  return p
}

async function connected(a: P2P, b: P2P): Promise<void> {
  await waitFor('connection', async () => (a.peers().includes(b.peerId) ? true : undefined), 10_000)
}

describe('blocks by hash over libp2p', () => {
  it('returns the blocks held and marks the missing hashes, in request order', async () => {
    const held = new Map([
      [hex(filled(1)), new TextEncoder().encode('block one')],
      [hex(filled(2)), new Uint8Array(20_000).fill(7)],
    ])
    const asked: string[][] = []
    const a = await host(CHAIN_ID, {
      maxBlockBytes: 100_000,
      serveBlocksByHash: async (hashes) => {
        asked.push(hashes.map(hex))
        return hashes.map((h) => held.get(hex(h)) ?? null)
      },
    })
    const b = await host(CHAIN_ID, { maxBlockBytes: 100_000, bootstrap: a.multiaddrs() })
    await connected(b, a)

    const got = await b.requestBlocksByHash(a.peerId, [filled(2), filled(9), filled(1)])
    expect(asked).toEqual([[hex(filled(2)), hex(filled(9)), hex(filled(1))]])
    expect(got.map((x) => (x === null ? null : hex(x)))).toEqual([
      hex(held.get(hex(filled(2))) as Uint8Array),
      null,
      hex(new TextEncoder().encode('block one')),
    ])
    expect(await b.requestBlocksByHash(a.peerId, [])).toEqual([])
    // the client refuses to ask for more than 64, or for something that is not a 32-byte hash
    await expect(
      b.requestBlocksByHash(
        a.peerId,
        Array.from({ length: 65 }, () => filled(1)),
      ),
    ).rejects.toThrow(RangeError)
    await expect(b.requestBlocksByHash(a.peerId, [filled(1, 20)])).rejects.toThrow(RangeError)

    // a client with a smaller limit rejects the 20,000-byte block on its length prefix
    const small = await host(CHAIN_ID, { maxBlockBytes: 10_000, bootstrap: a.multiaddrs() })
    await connected(small, a)
    await expect(small.requestBlocksByHash(a.peerId, [filled(2)])).rejects.toThrow(/exceeds maxBlockBytes/)
    expect(await small.requestBlocksByHash(a.peerId, [filled(1)])).toHaveLength(1)
  })

  it('a peer that does not serve by hash refuses the protocol but still serves ranges; no request without a connection', async () => {
    const old = await host(CHAIN_ID, { serveBlocks: async (from) => [Uint8Array.of(Number(from))] })
    const b = await host(CHAIN_ID, { bootstrap: old.multiaddrs() })
    await connected(b, old)
    await expect(b.requestBlocksByHash(old.peerId, [filled(1)])).rejects.toThrow()
    expect(await b.requestBlocks(old.peerId, 5n, 1)).toEqual([Uint8Array.of(5)])
    const stranger = await host(CHAIN_ID)
    await expect(b.requestBlocksByHash(stranger.peerId, [filled(1)])).rejects.toThrow(/not connected/)
    await expect(b.requestBlocks(stranger.peerId, 0n, 1)).rejects.toThrow(/not connected/)
  })

  it('shares one per-peer rate limit (20 a second) between ranges and hashes', async () => {
    const logs: string[] = []
    const a = await host(CHAIN_ID, {
      serveBlocks: async () => [Uint8Array.of(1)],
      serveBlocksByHash: async (hashes) => hashes.map(() => Uint8Array.of(2)),
      log: (m) => logs.push(m),
    })
    const b = await host(CHAIN_ID, { bootstrap: a.multiaddrs() })
    await connected(b, a)
    // 8 of each at once (the per-protocol stream limit), twice: 32 requests, 16 per protocol. Separate budgets of
    // 20 would pass them all; a shared one refuses some of the second round.
    const round = () =>
      Promise.allSettled([
        ...Array.from({ length: 8 }, () => b.requestBlocks(a.peerId, 0n, 1)),
        ...Array.from({ length: 8 }, () => b.requestBlocksByHash(a.peerId, [filled(3)])),
      ])
    const results = [...(await round()), ...(await round())]
    const ok = results.filter((r) => r.status === 'fulfilled').length
    expect(ok).toBeGreaterThanOrEqual(16)
    expect(ok).toBeLessThan(32)
    expect(logs.some((m) => m.includes('rate limit'))).toBe(true)
  })
})

function signBlock(header: BlockHeader): Uint8Array {
  return encodeBlock({
    header,
    txs: [],
    signature: signDigest(devnetKey(SEQUENCER_KEY_INDEX).privateKey, blockHash(header)),
  })
}

describe('a validator fetching blocks by hash', () => {
  const seqDir = tempDir('byhash-seq')
  const valDir = tempDir('byhash-val')
  let validator: PerpNode | undefined
  let store: ChainStore | undefined

  afterAll(async () => {
    await validator?.stop()
    await Promise.all(hosts.splice(0).map((h) => h.stop()))
    await store?.close()
    seqDir.remove()
    valDir.remove()
  })

  it('walks back to its head by parent hash, falls back to ranges for a wide gap, and fetches a fork parent as evidence', async () => {
    // a chain of at least 14 blocks, made by a real sequencer, then read from its store
    const sequencer = await startSequencer({ dataDir: seqDir.path, blockTimeMs: 50 })
    await waitFor('14 blocks', async () => (sequencer.chain.head.height >= 14n ? true : undefined), 20_000)
    await sequencer.stop()
    const s = await ChainStore.open(seqDir.path)
    store = s
    const head = (s.head as { height: bigint }).height
    const bytesAt = async (h: bigint): Promise<Uint8Array> => (await s.block(h)) as Uint8Array
    const hashAt = async (h: bigint): Promise<string> => toHex(blockHash(decodeBlock(await bytesAt(h)).header))

    const logs: string[] = []
    validator = await startValidator({ dataDir: valDir.path, log: (m) => logs.push(m) })
    const v = validator
    // the test's peer: serves the sequencer's blocks by hash (and extra ones), ranges only when allowed
    const byHash: string[] = []
    const ranges: bigint[] = []
    const extra = new Map<string, Uint8Array>()
    let rangesOn = false
    const peer = await host(v.chain.genesis.chainId, {
      maxBlockBytes: 1 << 20,
      bootstrap: v.p2p.multiaddrs(),
      serveBlocks: async (from, count) => {
        ranges.push(from)
        const out: Uint8Array[] = []
        for (let h = from; rangesOn && h < from + BigInt(count) && h <= head; h++) out.push(await bytesAt(h))
        return out
      },
      serveBlocksByHash: async (hashes) =>
        Promise.all(
          hashes.map(async (h) => {
            byHash.push(toHex(h))
            return extra.get(toHex(h)) ?? (await s.blockByHash(h)) ?? null
          }),
        ),
    })
    const gossipUntil = async (what: string, bytes: Uint8Array, done: () => boolean): Promise<boolean> =>
      waitFor(what, async () => {
        await peer.publishBlock(bytes)
        return done() ? true : undefined
      })

    // 1. block 3 while the validator is at 0: parents 2 and 1 by hash, nothing by range
    await gossipUntil('block 3 imported', await bytesAt(3n), () => v.chain.head.height >= 3n)
    expect(toHex(v.chain.head.hash)).toBe(await hashAt(3n))
    expect(byHash).toEqual([await hashAt(2n), await hashAt(1n)])
    expect(logs.some((m) => m.startsWith('sync: 2 parents of block 3 by hash from'))).toBe(true)

    // 2. block 13: a gap of 9 is a range sync's job (from height 4), not a walk's
    rangesOn = true
    await gossipUntil('range sync to the head', await bytesAt(13n), () => v.chain.head.height >= head)
    expect(byHash).toHaveLength(2)
    expect(ranges).toContain(4n)
    expect(toHex(v.chain.head.hash)).toBe(await hashAt(head))

    // 3. a block one above the head whose parent is another block at the head's height, both signed by the
    // sequencer key: the validator fetches that parent by hash and records the two blocks at the head's height
    const held = decodeBlock(await bytesAt(head))
    const conflicting: BlockHeader = { ...held.header, time: held.header.time + 1n, txRoot: EMPTY_ROOT }
    const conflictingBytes = signBlock(conflicting)
    extra.set(toHex(blockHash(conflicting)), conflictingBytes)
    const child = signBlock({
      ...conflicting,
      height: head + 1n,
      parentHash: blockHash(conflicting),
      time: conflicting.time + 1n,
    })
    await gossipUntil('the equivocation alarm', child, () => currentAlarm(v.chain.store) !== null)
    expect(byHash.at(-1)).toBe(toHex(blockHash(conflicting)))
    const alarm = currentAlarm(v.chain.store)
    expect(alarm).toMatchObject({ kind: 'equivocation', height: head.toString() })
    const evidence = alarm?.evidence as EquivocationEvidence
    expect(evidence.blocks.map((b) => b.block)).toEqual([toHex(await bytesAt(head)), toHex(conflictingBytes)])
    const health = await fetch(`${v.rpcUrl}/health`)
    expect(health.status).toBe(503)
    expect(await health.json()).toMatchObject({ ok: false, status: 'equivocation' })
    expect(v.chain.head.height).toBe(head)
  })

  it('builds the hash index of a data directory written before it existed, once, at open', async () => {
    await store?.close()
    store = undefined
    // strip the index (prefix 0x0b) as an older node would have left the store
    const db = new Level<Uint8Array, Uint8Array>(seqDir.path, { keyEncoding: 'view', valueEncoding: 'view' })
    await db.open()
    const indexed: Uint8Array[] = []
    for await (const k of db.keys({
      gte: Uint8Array.of(DB_PREFIX.blockHash),
      lt: Uint8Array.of(DB_PREFIX.blockHash + 1),
    }))
      indexed.push(k)
    const blocks: [Uint8Array, Uint8Array][] = []
    for await (const entry of db.iterator({
      gte: Uint8Array.of(DB_PREFIX.block),
      lt: Uint8Array.of(DB_PREFIX.block + 1),
    }))
      blocks.push(entry)
    // one entry per stored block (genesis included), written by the blocks' own batches
    expect(indexed).toHaveLength(blocks.length)
    await db.batch(indexed.map((key) => ({ type: 'del' as const, key })))
    await db.close()

    const reopened = await ChainStore.open(seqDir.path)
    store = reopened
    expect(reopened.hashIndexBuilt).toBe(blocks.length)
    for (const [, bytes] of blocks) {
      const header = decodeBlock(bytes).header
      expect(await reopened.heightOfHash(blockHash(header))).toBe(header.height)
      expect(hex((await reopened.blockByHash(blockHash(header))) as Uint8Array)).toBe(hex(bytes))
    }
    expect(await reopened.blockByHash(filled(0xee))).toBeUndefined()
    await reopened.close()
    // a complete index is not built again
    const again = await ChainStore.open(seqDir.path)
    store = again
    expect(again.hashIndexBuilt).toBe(0)
  })
})
