/**
 * One height's batch as the store writes it (node/chainStore.ts): the tx index, the leaves and the tree records
 * are staged in shared buffers (node/batchBytes.ts) before LevelDB copies them, so every key and value must come
 * back as it went in, also past a buffer's end and after the store is closed and opened again.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { ChainStore } from '../../node/index.ts'
import type { LeafWrite, TreeNodeWrite } from '../../state/index.ts'
import { ByteArena, fromHex, NodeWrites, SparseMerkleTree, TREE_RECORD, toHex } from '../../state/index.ts'
import { tempDir } from '../support/nodes.ts'

/** `length` bytes from a seed (distinct seeds give distinct arrays; no byte pattern repeats across a key). */
function bytesOf(seed: number, length: number): Uint8Array {
  const out = new Uint8Array(length)
  let x = (seed * 2654435761 + 12345) >>> 0
  for (let i = 0; i < length; i++) {
    x = (x * 1103515245 + 12345) >>> 0
    out[i] = x >>> 24
  }
  out[0] = seed & 0xff
  out[1] = (seed >>> 8) & 0xff
  out[2] = (seed >>> 16) & 0xff
  return out
}

/** Tree records handed over as a commit's leading writes (the part NodeWrites visits first), nothing else. */
function headOnly(head: TreeNodeWrite[]): NodeWrites {
  const none = { buf: new Uint8Array(0), ops: new Int32Array(0), opCount: 0, valueKeys: [], values: [], deletes: [] }
  return new NodeWrites({ head, ...none })
}

const dirs: { remove: () => void }[] = []
afterEach(() => {
  for (const d of dirs.splice(0)) d.remove()
})

describe('ChainStore.commit', () => {
  it('stores every tx index entry, leaf and tree record of a large height exactly, across buffers and a reopen', async () => {
    const dir = tempDir('chainstore')
    dirs.push(dir)
    const height = 0x0102030405n
    // 70,000 index entries: ~3 MB of keys and locations, so many staging buffers; indexes past 2^16 use byte 9
    const txHashes = Array.from({ length: 70_000 }, (_, i) => bytesOf(i, 32))
    // leaves short enough to live in V8's heap (copied out) and longer ones (passed as they are); every third
    // value is a view into a shared arena, as the engine's leaf values are (passed as they are, short ones too)
    const arena = new ByteArena()
    const inArena = (v: Uint8Array): Uint8Array => {
      const view = arena.reserve(v.length)
      view.set(v)
      return view
    }
    const leaves: LeafWrite[] = Array.from({ length: 3_000 }, (_, i) => {
      const value = bytesOf(200_000 + i, [1, 12, 64, 65, 300, 532, 2][i % 7] as number)
      return { key: bytesOf(100_000 + i, 20 + (i % 30)), value: i % 3 === 0 ? inArena(value) : value }
    })
    const treeHead = Array.from({ length: 2_000 }, (_, i) => ({
      key: bytesOf(300_000 + i, 11 + (i % 33)),
      value: bytesOf(400_000 + i, [40, 64, 73, 120][i % 4] as number),
    }))
    const treeNodes = headOnly(treeHead)
    const head = { height, hash: bytesOf(1, 32), stateRoot: bytesOf(2, 32), time: 1_700_000_000_000n }

    let store = await ChainStore.open(dir.path, { sync: false })
    await store.commit({ head, block: bytesOf(3, 500), receipts: '[]', txHashes, leaves, treeNodes })

    const check = async (s: ChainStore): Promise<void> => {
      for (const i of [0, 1, 255, 256, 65_535, 65_536, 69_999]) {
        expect(await s.txLocation(txHashes[i] as Uint8Array)).toEqual({ height, index: i })
      }
      // every entry: the index it was given, in the same order as the hashes went in
      for (let i = 0; i < txHashes.length; i += 997)
        expect((await s.txLocation(txHashes[i] as Uint8Array))?.index).toBe(i)
      const stored = new Map((await s.leaves()).map(([k, v]) => [toHex(k), toHex(v)]))
      expect(stored.size).toBe(leaves.length)
      for (const leaf of leaves) expect(stored.get(toHex(leaf.key))).toBe(toHex(leaf.value as Uint8Array))
      for (const w of treeHead) expect(toHex((await s.treeRecord(w.key)) as Uint8Array)).toBe(toHex(w.value))
    }
    await check(store)
    await store.close()
    store = await ChainStore.open(dir.path, { sync: false })
    await check(store)

    // the next height deletes half the leaves and tree records through the same staging
    const next = { ...head, height: height + 1n, hash: bytesOf(4, 32) }
    const gone = leaves.filter((_, i) => i % 2 === 0).map((l) => ({ key: l.key, value: null }))
    const goneTree = treeHead.filter((_, i) => i % 2 === 0).map((w) => ({ key: w.key, value: null }))
    await store.commit({
      head: next,
      block: bytesOf(5, 500),
      receipts: '[]',
      txHashes: [],
      leaves: gone,
      treeNodes: headOnly(goneTree),
    })
    const left = new Map((await store.leaves()).map(([k, v]) => [toHex(k), toHex(v)]))
    expect([...left.keys()].sort()).toEqual(
      leaves
        .filter((_, i) => i % 2 === 1)
        .map((l) => toHex(l.key))
        .sort(),
    )
    expect(await store.treeRecord(treeHead[0]?.key as Uint8Array)).toBeUndefined()
    expect(toHex((await store.treeRecord(treeHead[1]?.key as Uint8Array)) as Uint8Array)).toBe(
      toHex(treeHead[1]?.value as Uint8Array),
    )
    await store.close()
  })

  it("stores a real tree commit's records (keys placed inside the commit's buffer) and its pruning deletes", async () => {
    const dir = tempDir('chainstore-smt')
    dirs.push(dir)
    const store = await ChainStore.open(dir.path, { sync: false })
    const tree = SparseMerkleTree.empty({ keepHeights: 2 })
    // what the store must hold: the commits' records applied in order to a map, by the views forEach gives
    const expected = new Map<string, string>()
    let deletes = 0
    for (let h = 1n; h <= 8n; h++) {
      const writes: LeafWrite[] = Array.from({ length: 40 }, (_, i) => ({
        key: bytesOf(Number(h) * 1000 + (i % 25), 32),
        value: i % 7 === 3 ? null : bytesOf(Number(h) * 5000 + i, 20 + (i % 90)),
      }))
      const { root, records } = tree.commit(h, writes)
      records.forEach((key, value) => {
        if (value === null) {
          deletes++
          expected.delete(toHex(key))
        } else expected.set(toHex(key), toHex(value))
      })
      const head = { height: h, hash: bytesOf(Number(h), 32), stateRoot: root, time: 1_700_000_000_000n + h }
      await store.commit({ head, block: bytesOf(9, 100), receipts: '[]', txHashes: [], leaves: [], treeNodes: records })
    }
    expect(deletes).toBeGreaterThan(0)
    for (const [key, value] of expected) expect(toHex((await store.treeRecord(fromHex(key))) as Uint8Array)).toBe(value)
    // and nothing else: every node, root and stale-list record in the store (treeRecords leaves out the versioned
    // values, keys from TREE_RECORD.value up) is one of them
    const rebuilding = [...expected.keys()].filter((k) => (fromHex(k)[0] as number) < TREE_RECORD.value)
    const stored = (await store.treeRecords()).map(([key]) => toHex(key))
    expect(stored.sort()).toEqual(rebuilding.sort())
    await store.close()
  })
})
