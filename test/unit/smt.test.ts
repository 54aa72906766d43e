/**
 * The sparse Merkle tree's root: known answers hashed by hand, order independence, rebuilds (from leaves and
 * from the node store), and the two keccak backends agreeing.
 */
import { keccak_256 } from '@noble/hashes/sha3.js'
import { beforeAll, describe, expect, it } from 'vitest'
import { seededRandom } from '../../engine/index.ts'
import type { LeafWrite, TreeNodeWrite } from '../../state/index.ts'
import {
  concatBytes,
  EMPTY_TREE_ROOT,
  hashingBackend,
  initHashing,
  proveLeafAt,
  SparseMerkleTree,
  smtInnerHash,
  toHex,
  treeKeccak,
} from '../../state/index.ts'

beforeAll(async () => {
  await initHashing()
})

/** The reference keccak: noble's, independent of the WebAssembly one the project uses (state/hash.ts). */
const keccak256 = (data: Uint8Array): Uint8Array => keccak_256(data)
const enc = (s: string): Uint8Array => new TextEncoder().encode(s)
const path = (key: Uint8Array): Uint8Array => keccak256(key)
const bit = (p: Uint8Array, i: number): number => ((p[i >> 3] as number) >> (7 - (i & 7))) & 1
const leaf = (key: Uint8Array, value: Uint8Array): Uint8Array =>
  keccak256(concatBytes(Uint8Array.of(0), path(key), keccak256(value)))
const inner = (l: Uint8Array, r: Uint8Array): Uint8Array => keccak256(concatBytes(Uint8Array.of(1), l, r))
const ZERO = new Uint8Array(32)

/** Independent reference: the root of a key → value set, by the definition (recursive, collapsed leaves). */
function referenceRoot(entries: Map<string, Uint8Array>): Uint8Array {
  const leaves = [...entries].map(([k, v]) => {
    const key = Uint8Array.from(Buffer.from(k.slice(2), 'hex'))
    return { p: path(key), h: leaf(key, v) }
  })
  const sub = (items: typeof leaves, depth: number): Uint8Array => {
    if (items.length === 0) return ZERO
    if (items.length === 1) return (items[0] as (typeof leaves)[number]).h
    return inner(
      sub(
        items.filter((x) => bit(x.p, depth) === 0),
        depth + 1,
      ),
      sub(
        items.filter((x) => bit(x.p, depth) === 1),
        depth + 1,
      ),
    )
  }
  return sub(leaves, 0)
}

const prng = seededRandom

function applyStore(store: Map<string, Uint8Array>, writes: TreeNodeWrite[]): void {
  for (const w of writes) {
    if (w.value === null) store.delete(toHex(w.key))
    else store.set(toHex(w.key), w.value.slice())
  }
}

const records = (store: Map<string, Uint8Array>): [Uint8Array, Uint8Array][] =>
  [...store].map(([k, v]) => [Uint8Array.from(Buffer.from(k.slice(2), 'hex')), v])

/** Two keys whose paths agree on the first `bits` bits and differ at bit `bits` exactly. */
function keysDivergingAt(bits: number): [Uint8Array, Uint8Array] {
  const seen = new Map<string, Uint8Array>()
  for (let i = 0; ; i++) {
    const key = enc(`k${i}`)
    const p = path(key)
    let prefix = ''
    for (let b = 0; b <= bits; b++) prefix += bit(p, b)
    const mate = seen.get(prefix.slice(0, bits) + (1 - bit(p, bits)))
    if (mate !== undefined) return bit(p, bits) === 0 ? [key, mate] : [mate, key]
    seen.set(prefix, key)
  }
}

describe('sparse Merkle tree: known answers', () => {
  it('empty tree: 32 zero bytes', () => {
    const t = SparseMerkleTree.empty()
    expect(t.root).toEqual(ZERO)
    expect(EMPTY_TREE_ROOT).toEqual(ZERO)
    expect(t.commit(1n, []).root).toEqual(ZERO)
  })

  it('one leaf collapses at the root', () => {
    const t = SparseMerkleTree.empty()
    const { root } = t.commit(1n, [{ key: enc('alice'), value: enc('100') }])
    expect(root).toEqual(leaf(enc('alice'), enc('100')))
  })

  it('two leaves diverging at bit 0', () => {
    const [a, b] = keysDivergingAt(0)
    const t = SparseMerkleTree.empty()
    const { root } = t.commit(1n, [
      { key: b, value: enc('vb') },
      { key: a, value: enc('va') },
    ])
    expect(root).toEqual(inner(leaf(a, enc('va')), leaf(b, enc('vb'))))
  })

  it('two leaves diverging at a deep bit: a chain of inner nodes with empty siblings', () => {
    const d = 11
    const [a, b] = keysDivergingAt(d)
    let h = inner(leaf(a, enc('1')), leaf(b, enc('2')))
    for (let level = d - 1; level >= 0; level--) h = bit(path(a), level) === 1 ? inner(ZERO, h) : inner(h, ZERO)
    const t = SparseMerkleTree.empty()
    expect(
      t.commit(5n, [
        { key: a, value: enc('1') },
        { key: b, value: enc('2') },
      ]).root,
    ).toEqual(h)
    // deleting one of them collapses the chain back into the other leaf
    expect(t.commit(6n, [{ key: a, value: null }]).root).toEqual(leaf(b, enc('2')))
  })

  it('deletes back to empty, and deleting an absent key changes nothing', () => {
    const t = SparseMerkleTree.empty()
    t.commit(1n, [
      { key: enc('x'), value: enc('1') },
      { key: enc('y'), value: enc('2') },
      { key: enc('z'), value: enc('3') },
    ])
    const before = t.root
    const noop = t.commit(2n, [{ key: enc('absent'), value: null }])
    expect(noop.root).toEqual(before)
    expect(noop.nodeWrites.filter((w) => w.value !== null && w.key[0] === 0x01)).toHaveLength(0)
    t.commit(3n, [
      { key: enc('x'), value: null },
      { key: enc('y'), value: null },
      { key: enc('z'), value: null },
    ])
    expect(t.root).toEqual(ZERO)
    expect(t.size).toBe(0)
  })

  it('a later write of the same key in one block wins', () => {
    const t = SparseMerkleTree.empty()
    t.commit(1n, [
      { key: enc('k'), value: enc('old') },
      { key: enc('k'), value: enc('new') },
    ])
    expect(t.root).toEqual(leaf(enc('k'), enc('new')))
    t.commit(2n, [
      { key: enc('k'), value: null },
      { key: enc('k'), value: enc('again') },
    ])
    expect(t.root).toEqual(leaf(enc('k'), enc('again')))
  })

  it('refuses heights that do not increase', () => {
    const t = SparseMerkleTree.empty()
    t.commit(3n, [])
    expect(() => t.commit(3n, [])).toThrow(RangeError)
    expect(() => t.commit(2n, [])).toThrow(RangeError)
  })
})

describe('sparse Merkle tree: order independence and rebuilds', () => {
  it('the same final set gives the same root whatever the write order and block split', () => {
    const rand = prng(7)
    const final = new Map<string, Uint8Array>()
    const writes: LeafWrite[] = []
    for (let i = 0; i < 300; i++) {
      const key = enc(`acct-${Math.floor(rand() * 200)}`)
      const value = rand() < 0.2 ? null : enc(`v${i}`)
      writes.push({ key, value })
      if (value === null) final.delete(toHex(key))
      else final.set(toHex(key), value)
    }
    const expected = referenceRoot(final)
    // one block, in order
    const one = SparseMerkleTree.empty()
    expect(one.commit(1n, writes).root).toEqual(expected)
    // many blocks of random sizes
    for (const seed of [1, 2, 3]) {
      const r = prng(seed)
      const t = SparseMerkleTree.empty()
      let height = 1n
      for (let at = 0; at < writes.length; ) {
        const n = 1 + Math.floor(r() * 40)
        t.commit(height++, writes.slice(at, at + n))
        at += n
      }
      expect(t.root).toEqual(expected)
    }
    // the final set written in a shuffled order, as inserts only
    const shuffled = [...final].sort(() => 0).reverse()
    const t = SparseMerkleTree.empty()
    t.commit(
      1n,
      shuffled.map(([k, v]) => ({ key: Uint8Array.from(Buffer.from(k.slice(2), 'hex')), value: v })),
    )
    expect(t.root).toEqual(expected)
  })

  it('equals a from-scratch rebuild (fromLeaves, fromNodeRecords, reference) after every block', () => {
    const rand = prng(42)
    const t = SparseMerkleTree.empty({ keepHeights: 4 })
    const live = new Map<string, Uint8Array>()
    const store = new Map<string, Uint8Array>()
    for (let height = 1n; height <= 40n; height++) {
      const writes: LeafWrite[] = []
      const n = Math.floor(rand() * 25)
      for (let i = 0; i < n; i++) {
        const key = enc(`s${Math.floor(rand() * 120)}`)
        const value = rand() < 0.3 ? null : enc(`${height}:${i}:${rand()}`)
        writes.push({ key, value })
        if (value === null) live.delete(toHex(key))
        else live.set(toHex(key), value)
      }
      const { root, nodeWrites } = t.commit(height, writes)
      applyStore(store, nodeWrites)
      expect(t.size).toBe(live.size)
      expect(root).toEqual(referenceRoot(live))
      const leaves = [...live].map(([k, v]) => [Uint8Array.from(Buffer.from(k.slice(2), 'hex')), v] as const)
      expect(SparseMerkleTree.fromLeaves(leaves, height).root).toEqual(root)
      expect(SparseMerkleTree.fromNodeRecords(records(store), height, { keepHeights: 4 }).root).toEqual(root)
    }
  })

  it('a tree restored from the node store commits exactly like the one that never stopped', () => {
    const rand = prng(9)
    const a = SparseMerkleTree.empty({ keepHeights: 3 })
    const store = new Map<string, Uint8Array>()
    const block = (h: bigint): LeafWrite[] =>
      Array.from({ length: 15 }, (_, i) => ({
        key: enc(`r${Math.floor(rand() * 60)}`),
        value: rand() < 0.25 ? null : enc(`${h}-${i}`),
      }))
    for (let h = 1n; h <= 10n; h++) applyStore(store, a.commit(h, block(h)).nodeWrites)
    const b = SparseMerkleTree.fromNodeRecords(records(store), 10n, { keepHeights: 3 })
    for (let h = 11n; h <= 20n; h++) {
      const writes = block(h)
      const fa = a.commit(h, writes)
      const fb = b.commit(h, writes)
      expect(fb.root).toEqual(fa.root)
      expect(fb.nodeWrites.map((w) => [toHex(w.key), w.value && toHex(w.value)])).toEqual(
        fa.nodeWrites.map((w) => [toHex(w.key), w.value && toHex(w.value)]),
      )
      applyStore(store, fa.nodeWrites)
    }
  })

  it('refuses a node store that is not at the given height or does not hash to its root', () => {
    const t = SparseMerkleTree.empty()
    const store = new Map<string, Uint8Array>()
    applyStore(
      store,
      t.commit(1n, [
        { key: enc('a'), value: enc('1') },
        { key: enc('b'), value: enc('2') },
      ]).nodeWrites,
    )
    expect(() => SparseMerkleTree.fromNodeRecords(records(store), 2n)).toThrow(/no tree root for height 2/)
    const tampered = records(store).map(([k, v]) => {
      const copy = v.slice()
      if (k[0] === 0x01 && copy[0] === 0x00) copy[64] = (copy[64] as number) ^ 1
      return [k, copy] as [Uint8Array, Uint8Array]
    })
    expect(() => SparseMerkleTree.fromNodeRecords(tampered, 1n)).toThrow(/hash/)
  })

  it('refuses tampered or malformed pages and records of the older layout', () => {
    const t = SparseMerkleTree.empty()
    const store = new Map<string, Uint8Array>()
    const writes = Array.from({ length: 300 }, (_, i) => ({ key: enc(`p${i}`), value: enc(`${i}`) }))
    applyStore(store, t.commit(1n, writes).nodeWrites)
    const pages = records(store).filter(([k, v]) => k[0] === 0x01 && v[0] === 0x02)
    expect(pages.length).toBeGreaterThan(10)
    const spoil = (change: (page: Uint8Array) => void): [Uint8Array, Uint8Array][] => {
      const [key] = pages[pages.length >> 1] as [Uint8Array, Uint8Array]
      return records(store).map(([k, v]) => {
        const copy = v.slice()
        if (toHex(k) === toHex(key)) change(copy)
        return [k, copy]
      })
    }
    const flip = (at: number, bits: number) => (page: Uint8Array) => {
      page[at] = (page[at] as number) ^ bits
    }
    // the first entry's hash (after the kind byte and the 4-byte shape of 3-level pages)
    expect(() => SparseMerkleTree.fromNodeRecords(spoil(flip(5, 1)), 1n)).toThrow(/hash/)
    // a shape code 3 in the first position (codes 1 and 2 flipped to 2 and 1 would be a valid-looking shape)
    const code = ((pages[pages.length >> 1] as [Uint8Array, Uint8Array])[1][1] as number) & 3
    expect(() => SparseMerkleTree.fromNodeRecords(spoil(flip(1, 3 ^ code)), 1n)).toThrow(/shape/)
    const old = records(store).map(([k, v]) => [k, k[0] === 0x01 && v[0] === 0x00 ? v.slice(0, 65) : v] as const)
    expect(() => SparseMerkleTree.fromNodeRecords(old, 1n)).toThrow(/older layout/)
  })

  it('refuses, when the store is loaded, a stale list that is not a run of node and value keys', () => {
    const t = SparseMerkleTree.empty({ keepHeights: 8 })
    const store = new Map<string, Uint8Array>()
    for (let h = 1n; h <= 3n; h++)
      applyStore(store, t.commit(h, [{ key: enc(`s${h % 2n}`), value: enc(`${h}`) }]).nodeWrites)
    const lists = records(store).filter(([k]) => k[0] === 0x03)
    expect(lists.length).toBeGreaterThan(0)
    const spoilLists = (change: (list: Uint8Array) => Uint8Array): [Uint8Array, Uint8Array][] =>
      records(store).map(([k, v]) => [k, k[0] === 0x03 ? change(v.slice()) : v])
    expect(() => SparseMerkleTree.fromNodeRecords(records(store), 3n)).not.toThrow()
    // an entry whose first byte is neither 0x01 (node key) nor 0x04 (value key)
    expect(() =>
      SparseMerkleTree.fromNodeRecords(
        spoilLists((l) => {
          l[0] = 0x07
          return l
        }),
        3n,
      ),
    ).toThrow(/bad stale list entry/)
    // a value key's first byte after the last entry, its other 40 bytes missing
    const cut = (l: Uint8Array): Uint8Array => Uint8Array.of(...l, 0x04)
    expect(() => SparseMerkleTree.fromNodeRecords(spoilLists(cut), 3n)).toThrow(/ends inside a key/)
  })

  it('fullNodeWrites of a fromLeaves tree is a node store the tree can be restored from, values included', async () => {
    const leaves = Array.from({ length: 50 }, (_, i) => [enc(`f${i}`), enc(`${i}`)] as const)
    const t = SparseMerkleTree.fromLeaves(leaves, 7n)
    const store = new Map<string, Uint8Array>()
    applyStore(store, t.fullNodeWrites().toArray())
    expect(SparseMerkleTree.fromNodeRecords(records(store), 7n).root).toEqual(t.root)
    const read = async (k: Uint8Array): Promise<Uint8Array | undefined> => store.get(toHex(k))
    for (const [key, value] of leaves) expect((await proveLeafAt(read, 7n, key)).value).toEqual(value)
    t.commit(8n, [{ key: enc('f0'), value: enc('new') }])
    expect(() => t.fullNodeWrites()).toThrow(/fromLeaves tree before its first commit/)
  })

  it('the WebAssembly keccak equals noble: known answers, every length 0..600, block boundaries', () => {
    expect(toHex(treeKeccak(new Uint8Array(0)))).toBe(
      '0xc5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470',
    )
    expect(toHex(treeKeccak(enc('abc')))).toBe('0x4e03657aea45a94fc7d47ba826c8d667c0d1e6e33a64a036ec44f58fa12d6c45')
    const rand = prng(1)
    for (let len = 0; len <= 600; len++) {
      const data = Uint8Array.from({ length: len }, () => Math.floor(rand() * 256))
      expect(toHex(treeKeccak(data))).toBe(toHex(keccak256(data)))
    }
    const big = Uint8Array.from({ length: 200_003 }, (_, i) => (i * 31) & 0xff)
    expect(toHex(treeKeccak(big))).toBe(toHex(keccak256(big)))
    expect(smtInnerHash(path(enc('a')), path(enc('b')))).toEqual(inner(path(enc('a')), path(enc('b'))))
  })

  it('the WebAssembly and noble keccak backends give the same roots', async () => {
    const writes = Array.from({ length: 200 }, (_, i) => ({ key: enc(`b${i}`), value: enc(`v${i * 7}`) }))
    expect(hashingBackend()).toBe('wasm')
    const wasmRoot = SparseMerkleTree.empty().commit(1n, writes).root
    await initHashing('noble')
    try {
      expect(hashingBackend()).toBe('noble')
      expect(SparseMerkleTree.empty().commit(1n, writes).root).toEqual(wasmRoot)
    } finally {
      await initHashing('wasm')
    }
  })
})
