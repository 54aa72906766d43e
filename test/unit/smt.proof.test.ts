/**
 * Proofs of the sparse Merkle tree: membership and both kinds of non-membership verify, tampering fails, the
 * canonical encoding round-trips and refuses malformed bytes, proofs at older heights come from the node store,
 * and pruning leaves exactly the last keepHeights trees in the store.
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
  rootAt,
  SparseMerkleTree,
  TreeUnavailableError,
  toHex,
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
    if (rec?.[0] !== 0x01) return
    let p = 2
    if ((rec[1] as number) & 1) {
      walk(rec.slice(p + 32, p + 40), depth + 1, [...prefix, 0])
      p += 40
    }
    if ((rec[1] as number) & 2) walk(rec.slice(p + 32, p + 40), depth + 1, [...prefix, 1])
  }
  for (let h = from; h <= to; h++) {
    const rec = store.get(toHex(Uint8Array.of(0x02, 0, 0, 0, 0, 0, 0, 0, Number(h)))) as Uint8Array
    if (rec.length === 40) walk(rec.slice(32, 40), 0, [])
  }
  const nodeKeys = [...store.keys()].filter((k) => k.startsWith('0x01'))
  expect(nodeKeys.sort()).toEqual([...reachable].sort())
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

  it('keepHeights 1 keeps only the current tree', async () => {
    const { tree, store } = history(1, 10)
    const read = reader(store)
    await expect(proveAt(read, 9n, enc('k3'))).rejects.toThrow(TreeUnavailableError)
    expect(await rootAt(read, 10n)).toEqual(tree.root)
    expect([...store.keys()].filter((k) => k.startsWith('0x03'))).toHaveLength(0)
    expectNoGarbage(store, 10n, 10n)
  })
})
