/**
 * Proofs of the sparse Merkle tree: membership and both kinds of non-membership verify, tampering fails, the
 * canonical encoding round-trips and refuses malformed bytes, proofs at older heights come from the node store
 * (with the value the key had at that height), and pruning leaves exactly the last keepHeights trees in the store.
 */
import { beforeAll, describe, expect, it } from 'vitest'
import type { LeafWrite, StateProof, TreeNodeWrite } from '../../state/index.ts'
import {
  CodecError,
  decodeProof,
  encodeProof,
  initHashing,
  keccak256,
  proveAt,
  proveLeafAt,
  rootAt,
  SparseMerkleTree,
  TREE_PAGE_LEVELS,
  TreeUnavailableError,
  toHex,
  treeRootKey,
  treeStaleKey,
  verifyProof,
} from '../../state/index.ts'

beforeAll(async () => {
  await initHashing()
})

const enc = (s: string): Uint8Array => new TextEncoder().encode(s)
const unhex = (h: string): Uint8Array => Uint8Array.from(Buffer.from(h.slice(2), 'hex'))

function applyStore(store: Map<string, Uint8Array>, writes: TreeNodeWrite[]): void {
  for (const w of writes) {
    if (w.value === null) store.delete(toHex(w.key))
    else store.set(toHex(w.key), w.value.slice())
  }
}

const records = (store: Map<string, Uint8Array>): [Uint8Array, Uint8Array][] =>
  [...store].map(([k, v]) => [unhex(k), v])

const reader =
  (store: Map<string, Uint8Array>) =>
  async (key: Uint8Array): Promise<Uint8Array | undefined> =>
    store.get(toHex(key))

function flipBit(b: Uint8Array, i: number): Uint8Array {
  const c = b.slice()
  c[i >> 3] = (c[i >> 3] as number) ^ (0x80 >> (i & 7))
  return c
}

/** Every way to spoil one part of a proof. */
function tamperings(p: StateProof): StateProof[] {
  const out: StateProof[] = []
  p.siblings.forEach((_, i) => {
    for (const b of [0, 77, 255]) {
      const siblings = p.siblings.slice()
      siblings[i] = flipBit(siblings[i] as Uint8Array, b)
      out.push({ ...p, siblings })
    }
  })
  for (let i = 0; i < Math.min(256, p.depth + 2); i++) out.push({ ...p, bitmap: flipBit(p.bitmap, i) })
  out.push({ ...p, depth: p.depth + 1 })
  if (p.depth > 0) out.push({ ...p, depth: p.depth - 1 })
  if (p.kind === 'other') {
    out.push({ ...p, otherValueHash: flipBit(p.otherValueHash, 3) })
    out.push({ ...p, otherPath: flipBit(p.otherPath, 255) })
    out.push({ ...p, kind: 'empty' } as StateProof)
  } else if (p.kind === 'empty') {
    out.push({ ...p, kind: 'member' } as StateProof)
  }
  return out
}

/** A populated tree and the keys it holds. */
function sampleTree(n: number): { tree: SparseMerkleTree; entries: [Uint8Array, Uint8Array][] } {
  const entries = Array.from(
    { length: n },
    (_, i) => [enc(`acct${i}`), enc(`balance ${i * 31}`)] as [Uint8Array, Uint8Array],
  )
  const tree = SparseMerkleTree.empty()
  tree.commit(
    1n,
    entries.map(([key, value]) => ({ key, value })),
  )
  return { tree, entries }
}

/** An absent key whose path ends at another key's collapsed leaf, and one whose path ends in an empty subtree. */
function absentKeys(tree: SparseMerkleTree): { atLeaf: Uint8Array; atEmpty: Uint8Array } {
  let atLeaf: Uint8Array | undefined
  let atEmpty: Uint8Array | undefined
  for (let i = 0; atLeaf === undefined || atEmpty === undefined; i++) {
    const key = enc(`absent${i}`)
    const kind = tree.prove(key).kind
    if (kind === 'other') atLeaf ??= key
    if (kind === 'empty') atEmpty ??= key
  }
  return { atLeaf, atEmpty }
}

describe('state proofs', () => {
  it('membership proofs verify for every key; the wrong value or key fails', () => {
    const { tree, entries } = sampleTree(64)
    const root = tree.root
    for (const [key, value] of entries) {
      const p = tree.prove(key)
      expect(p.kind).toBe('member')
      expect(verifyProof(root, key, value, p)).toBe(true)
      expect(verifyProof(root, key, enc('other value'), p)).toBe(false)
      expect(verifyProof(root, key, null, p)).toBe(false)
      expect(verifyProof(root, enc('someone else'), value, p)).toBe(false)
      expect(verifyProof(flipBit(root, 9), key, value, p)).toBe(false)
    }
  })

  it('non-membership proofs verify when the path ends in an empty subtree or at another leaf', () => {
    const { tree, entries } = sampleTree(64)
    const { atLeaf, atEmpty } = absentKeys(tree)
    const other = tree.prove(atLeaf)
    const empty = tree.prove(atEmpty)
    expect(other.kind).toBe('other')
    expect(empty.kind).toBe('empty')
    expect(verifyProof(tree.root, atLeaf, null, other)).toBe(true)
    expect(verifyProof(tree.root, atEmpty, null, empty)).toBe(true)
    // claiming a value for an absent key fails, and a present key cannot borrow the absent key's proof
    expect(verifyProof(tree.root, atLeaf, enc('x'), other)).toBe(false)
    const [presentKey] = entries[0] as [Uint8Array, Uint8Array]
    expect(verifyProof(tree.root, presentKey, null, tree.prove(atEmpty))).toBe(false)
    // the "other" leaf itself is the present key the path ran into: its own proof shows it is there
    if (other.kind === 'other') {
      const owner = entries.find(([k]) => toHex(keccak256(k)) === toHex(other.otherPath))
      expect(owner).toBeDefined()
      const [k, v] = owner as [Uint8Array, Uint8Array]
      expect(verifyProof(tree.root, k, v, tree.prove(k))).toBe(true)
      expect(verifyProof(tree.root, k, null, other)).toBe(false)
    }
  })

  it('empty tree and single-leaf tree proofs', () => {
    const t = SparseMerkleTree.empty()
    const p0 = t.prove(enc('a'))
    expect(p0).toMatchObject({ kind: 'empty', depth: 0, siblings: [] })
    expect(verifyProof(t.root, enc('a'), null, p0)).toBe(true)
    t.commit(1n, [{ key: enc('a'), value: enc('1') }])
    expect(t.prove(enc('a'))).toMatchObject({ kind: 'member', depth: 0, siblings: [] })
    expect(verifyProof(t.root, enc('a'), enc('1'), t.prove(enc('a')))).toBe(true)
    const pb = t.prove(enc('b'))
    expect(pb.kind).toBe('other')
    expect(verifyProof(t.root, enc('b'), null, pb)).toBe(true)
  })

  it('any tampering with a sibling, the bitmap, the depth, the terminal leaf, the value or the key fails', () => {
    const { tree, entries } = sampleTree(40)
    const { atLeaf, atEmpty } = absentKeys(tree)
    const cases: [Uint8Array, Uint8Array | null][] = [...entries.slice(0, 5), [atLeaf, null], [atEmpty, null]]
    for (const [key, value] of cases) {
      const p = tree.prove(key)
      expect(verifyProof(tree.root, key, value, p)).toBe(true)
      for (const bad of tamperings(p)) expect(verifyProof(tree.root, key, value, bad)).toBe(false)
      if (value !== null) expect(verifyProof(tree.root, key, flipBit(value, 0), p)).toBe(false)
      expect(verifyProof(tree.root, flipBit(key, 5), value, p)).toBe(false)
    }
  })

  it('encodes canonically: round-trips, size 35 + 32 per sibling (+64 for another leaf), refuses malformed bytes', () => {
    const { tree, entries } = sampleTree(100)
    const { atLeaf, atEmpty } = absentKeys(tree)
    for (const key of [(entries[3] as [Uint8Array, Uint8Array])[0], atLeaf, atEmpty]) {
      const p = tree.prove(key)
      const bytes = encodeProof(p)
      expect(bytes.length).toBe(35 + (p.kind === 'other' ? 64 : 0) + 32 * p.siblings.length)
      const back = decodeProof(bytes)
      expect(back).toEqual(p)
      expect(encodeProof(back)).toEqual(bytes)
      expect(() => decodeProof(bytes.subarray(0, bytes.length - 1))).toThrow(CodecError)
      expect(() => decodeProof(concat(bytes, Uint8Array.of(0)))).toThrow(CodecError)
      const badKind = bytes.slice()
      badKind[0] = 3
      expect(() => decodeProof(badKind)).toThrow(CodecError)
      const strayBit = bytes.slice()
      strayBit[3 + 31] = (strayBit[3 + 31] as number) | 1 // bit 255, past any depth < 256
      expect(() => decodeProof(strayBit)).toThrow(CodecError)
    }
    expect(() => decodeProof(new Uint8Array(10))).toThrow(CodecError)
  })
})

/** Every node record in the store is reachable from a kept root record (heights from..to), and every reachable
 * node is there. */
function expectNoGarbage(store: Map<string, Uint8Array>, from: bigint, to: bigint): void {
  const reachable = new Set<string>()
  const walk = (version: Uint8Array, depth: number, prefix: number[]): void => {
    const key = new Uint8Array(11 + ((depth + 7) >> 3))
    key[0] = 0x01
    key.set(version, 1)
    key[9] = depth >> 8
    key[10] = depth & 0xff
    for (let i = 0; i < depth; i++)
      if (prefix[i]) key[11 + (i >> 3)] = (key[11 + (i >> 3)] as number) | (0x80 >> (i & 7))
    const id = toHex(key)
    const rec = store.get(id)
    expect(rec, `node ${id}`).toBeDefined()
    reachable.add(id)
    if (rec === undefined) return
    if (rec[0] === 0x00) {
      // a leaf (0x00 ‖ path ‖ valueHash ‖ valueVersion): its value record 0x04 ‖ path ‖ valueVersion
      const valueKey = toHex(concat(concat(Uint8Array.of(0x04), rec.slice(1, 33)), rec.slice(65, 73)))
      expect(store.get(valueKey), `value ${valueKey}`).toBeDefined()
      reachable.add(valueKey)
      return
    }
    // a page of TREE_PAGE_LEVELS levels: 0x02 ‖ shape (2 bits per heap position j ≥ 2, 4 per byte, low bits
    // first, whole 32-bit words) ‖ per leaf or bottom inner position, in heap order: hash ‖ version
    expect(rec[0]).toBe(0x02)
    const end = 1 << (TREE_PAGE_LEVELS + 1)
    const shapeBytes = 4 * Math.ceil((2 * (end - 2)) / 32)
    const code = (j: number): number => ((rec[1 + ((j - 2) >> 2)] as number) >> (2 * ((j - 2) & 3))) & 3
    // positions in heap order; the path bits of position j are the bits of j after its leading 1
    const inPage = new Set([1])
    let at = 1 + shapeBytes
    for (let j = 2; j < end; j++) {
      if (!inPage.has(j >> 1) || code(j) === 0) continue
      if (code(j) === 2 && j < end >> 1) {
        inPage.add(j)
        continue
      }
      const r = 31 - Math.clz32(j)
      const bits = Array.from({ length: r }, (_, i) => (j >> (r - 1 - i)) & 1)
      walk(rec.slice(at + 32, at + 40), depth + r, [...prefix, ...bits])
      at += 40
    }
    expect(at).toBe(rec.length)
  }
  for (let h = from; h <= to; h++) {
    const rec = store.get(toHex(Uint8Array.of(0x02, 0, 0, 0, 0, 0, 0, 0, Number(h)))) as Uint8Array
    if (rec.length === 40) walk(rec.slice(32, 40), 0, [])
  }
  const nodeAndValueKeys = [...store.keys()].filter((k) => k.startsWith('0x01') || k.startsWith('0x04'))
  expect(nodeAndValueKeys.sort()).toEqual([...reachable].sort())
}

const concat = (a: Uint8Array, b: Uint8Array): Uint8Array => {
  const out = new Uint8Array(a.length + b.length)
  out.set(a)
  out.set(b, a.length)
  return out
}

describe('proofs at older heights and pruning', () => {
  /** Commits `heights` random blocks; returns per-height roots and key → value snapshots. */
  function history(keepHeights: number, heights: number) {
    const tree = SparseMerkleTree.empty({ keepHeights })
    const store = new Map<string, Uint8Array>()
    const roots = new Map<bigint, Uint8Array>()
    const snapshots = new Map<bigint, Map<string, Uint8Array>>()
    const live = new Map<string, Uint8Array>()
    let seed = 11
    const rand = (): number => {
      seed = (seed * 1103515245 + 12345) % 2147483648
      return seed / 2147483648
    }
    for (let h = 1n; h <= BigInt(heights); h++) {
      const writes: LeafWrite[] = []
      for (let i = 0; i < 12; i++) {
        const key = enc(`k${Math.floor(rand() * 50)}`)
        const value = rand() < 0.25 ? null : enc(`${h}/${i}`)
        writes.push({ key, value })
        if (value === null) live.delete(toHex(key))
        else live.set(toHex(key), value)
      }
      const { root, nodeWrites } = tree.commit(h, writes)
      applyStore(store, nodeWrites)
      roots.set(h, root)
      snapshots.set(h, new Map(live))
    }
    return { tree, store, roots, snapshots }
  }

  it('proveAt answers every kept height against that height’s root, for present and absent keys', async () => {
    const keep = 5
    const { tree, store, roots, snapshots } = history(keep, 20)
    const read = reader(store)
    for (let h = 16n; h <= 20n; h++) {
      const root = roots.get(h) as Uint8Array
      expect(await rootAt(read, h)).toEqual(root)
      const snap = snapshots.get(h) as Map<string, Uint8Array>
      for (let k = 0; k < 50; k++) {
        const key = enc(`k${k}`)
        const value = snap.get(toHex(key)) ?? null
        const p = await proveAt(read, h, key)
        expect(verifyProof(root, key, value, p)).toBe(true)
        if (h === 20n) expect(p).toEqual(tree.prove(key))
        // and not against a neighbouring height's root when the key changed in between
        const prev = snapshots.get(h - 1n)?.get(toHex(key)) ?? null
        if ((prev === null) !== (value === null) || (prev && value && toHex(prev) !== toHex(value)))
          expect(verifyProof(roots.get(h - 1n) as Uint8Array, key, value, p)).toBe(false)
      }
    }
  })

  it('after pruning, heights older than keepHeights are refused clearly and the store holds no garbage', async () => {
    const keep = 4
    const { store, roots } = history(keep, 25)
    const read = reader(store)
    for (let h = 1n; h <= 21n; h++) {
      await expect(proveAt(read, h, enc('k1'))).rejects.toThrow(TreeUnavailableError)
      await expect(proveAt(read, h, enc('k1'))).rejects.toThrow(/pruned/)
    }
    for (let h = 22n; h <= 25n; h++) expect(await rootAt(read, h)).toEqual(roots.get(h))
    expectNoGarbage(store, 22n, 25n)
    const rootKeys = [...store.keys()].filter((k) => k.startsWith('0x02'))
    expect(rootKeys).toHaveLength(keep)
    const staleKeys = [...store.keys()].filter((k) => k.startsWith('0x03')).map((k) => Number(unhex(k).at(-1)))
    expect(staleKeys.every((h) => h >= 23)).toBe(true)
  })

  it('the store walk deletes, keepHeights later, exactly the keys a height listed as stale, its list and its root', () => {
    // the stale list split by the layout (state/smtStore.ts), not by the tree's code: a node key is 0x01 ‖ version
    // u64 ‖ depth u16 ‖ ceil(depth / 8) path bytes, a value key 0x04 ‖ path (32) ‖ version u64
    const split = (list: Uint8Array): string[] => {
      const keys: string[] = []
      for (let o = 0; o < list.length; ) {
        const len =
          list[o] === 0x04 ? 41 : 11 + Math.ceil((((list[o + 9] as number) << 8) | (list[o + 10] as number)) / 8)
        keys.push(toHex(list.subarray(o, o + len)))
        o += len
      }
      return keys
    }
    const keep = 2
    const tree = SparseMerkleTree.empty({ keepHeights: keep })
    const lists = new Map<bigint, string[]>()
    let listed = 0
    for (let h = 1n; h <= 8n; h++) {
      const writes: LeafWrite[] = Array.from({ length: 10 }, (_, i) => ({
        key: enc(`k${(Number(h) * 7 + i * 3) % 23}`),
        value: i % 4 === 3 ? null : enc(`${h}/${i}`),
      }))
      const commit = tree.commit(h, writes)
      const puts = new Map<string, Uint8Array>()
      const dels: string[] = []
      commit.records.forEach((key, value) => {
        if (value === null) dels.push(toHex(key))
        else puts.set(toHex(key), value.slice())
      })
      const listKey = toHex(treeStaleKey(h))
      const list = puts.get(listKey)
      if (list !== undefined) lists.set(h, split(list))
      // what left the tree at h − 1 was last needed by the tree of h − 2, the oldest kept until h
      const due = lists.get(h - BigInt(keep) + 1n) ?? []
      listed += due.length
      const expected = [...due]
      if (lists.has(h - BigInt(keep) + 1n)) expected.push(toHex(treeStaleKey(h - BigInt(keep) + 1n)))
      if (h > BigInt(keep)) expected.push(toHex(treeRootKey(h - BigInt(keep))))
      expect(dels.sort()).toEqual(expected.sort())
    }
    expect(listed).toBeGreaterThan(20)
  })

  it('keepHeights 1 keeps only the current tree', async () => {
    const { tree, store } = history(1, 10)
    const read = reader(store)
    await expect(proveAt(read, 9n, enc('k3'))).rejects.toThrow(TreeUnavailableError)
    expect(await rootAt(read, 10n)).toEqual(tree.root)
    expect([...store.keys()].filter((k) => k.startsWith('0x03'))).toHaveLength(0)
    expectNoGarbage(store, 10n, 10n)
  })
})

/** The root of a key → value set by the definition (noble keccak, recursive, collapsed leaves): no tree code. */
function referenceRoot(entries: Map<string, Uint8Array>): Uint8Array {
  const bit = (p: Uint8Array, i: number): number => ((p[i >> 3] as number) >> (7 - (i & 7))) & 1
  const hash = (tag: number, a: Uint8Array, b: Uint8Array): Uint8Array =>
    keccak256(concat(concat(Uint8Array.of(tag), a), b))
  const leaves = [...entries].map(([k, v]) => {
    const path = keccak256(unhex(k))
    return { path, h: hash(0, path, keccak256(v)) }
  })
  const sub = (items: typeof leaves, depth: number): Uint8Array => {
    if (items.length === 0) return new Uint8Array(32)
    if (items.length === 1) return (items[0] as (typeof leaves)[number]).h
    const left = items.filter((x) => bit(x.path, depth) === 0)
    const right = items.filter((x) => bit(x.path, depth) === 1)
    return hash(1, sub(left, depth + 1), sub(right, depth + 1))
  }
  return sub(leaves, 0)
}

describe('proofs with values at every kept height', () => {
  it('each kept height proves the value the key had then, against a root recomputed from that height’s leaves; a restart from the store keeps it', async () => {
    const keep = 6
    let tree = SparseMerkleTree.empty({ keepHeights: keep })
    const store = new Map<string, Uint8Array>()
    const read = reader(store)
    const snapshots = new Map<bigint, Map<string, Uint8Array>>()
    const live = new Map<string, Uint8Array>()
    const keys = Array.from({ length: 40 }, (_, i) => enc(`acct:${i}`))
    const commit = (h: bigint): void => {
      // key i changes at heights where (h + i) % 3 === 0, is deleted when (h + i) % 7 === 0
      const writes: LeafWrite[] = []
      keys.forEach((key, i) => {
        const n = Number(h) + i
        if (n % 7 === 0) writes.push({ key, value: null })
        else if (n % 3 === 0 || h === 1n) writes.push({ key, value: enc(`acct ${i} at ${h}`) })
      })
      for (const w of writes) {
        if (w.value === null) live.delete(toHex(w.key))
        else live.set(toHex(w.key), w.value)
      }
      applyStore(store, tree.commit(h, writes).nodeWrites)
      snapshots.set(h, new Map(live))
    }
    const check = async (from: bigint, to: bigint): Promise<void> => {
      for (let h = from; h <= to; h++) {
        const snap = snapshots.get(h) as Map<string, Uint8Array>
        const root = referenceRoot(snap)
        expect(await rootAt(read, h)).toEqual(root)
        for (const key of keys) {
          const r = await proveLeafAt(read, h, key)
          expect(r.root).toEqual(root)
          expect(r.value).toEqual(snap.get(toHex(key)) ?? null)
          expect(verifyProof(root, key, r.value, r.proof)).toBe(true)
        }
      }
    }
    for (let h = 1n; h <= 20n; h++) commit(h)
    await check(15n, 20n)
    // the values differ from height to height, so a proof at one height is not one at its neighbour
    const changed = keys.find(
      (k) =>
        toHex(snapshots.get(17n)?.get(toHex(k)) ?? new Uint8Array()) !==
        toHex(snapshots.get(18n)?.get(toHex(k)) ?? new Uint8Array()),
    ) as Uint8Array
    const at17 = await proveLeafAt(read, 17n, changed)
    expect(
      verifyProof(referenceRoot(snapshots.get(18n) as Map<string, Uint8Array>), changed, at17.value, at17.proof),
    ).toBe(false)
    for (let h = 1n; h <= 14n; h++) await expect(proveLeafAt(read, h, keys[0] as Uint8Array)).rejects.toThrow(/pruned/)

    // restart: the tree from the store alone, then more heights
    tree = SparseMerkleTree.fromNodeRecords(records(store), 20n, { keepHeights: keep })
    await check(15n, 20n)
    for (let h = 21n; h <= 24n; h++) commit(h)
    await check(19n, 24n)
    await expect(proveLeafAt(read, 18n, keys[0] as Uint8Array)).rejects.toThrow(TreeUnavailableError)
    expectNoGarbage(store, 19n, 24n)
  })
})
