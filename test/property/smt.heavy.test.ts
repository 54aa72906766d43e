/**
 * Heavier randomized checks of the sparse Merkle tree (not in the default vitest include; ~1 minute here).
 * Run with a config whose include is this folder, e.g.
 *   npx vitest run --config vitest.heavy.config.ts
 * with vitest.heavy.config.ts = defineConfig({ test: { include: ['test/property/**\/*.test.ts'], testTimeout: 600_000 } }).
 */
import { keccak_256 } from '@noble/hashes/sha3.js'
import { describe, expect, it } from 'vitest'
import { seededRandom } from '../../engine/index.ts'
import type { LeafWrite, StateProof, TreeNodeWrite } from '../../state/index.ts'
import {
  concatBytes,
  decodeProof,
  encodeProof,
  keccak256,
  proveAt,
  SparseMerkleTree,
  toHex,
  verifyProof,
} from '../../state/index.ts'
import { wasmKeccak } from '../../state/keccakWasm.ts'

const enc = (s: string): Uint8Array => new TextEncoder().encode(s)
const unhex = (h: string): Uint8Array => Uint8Array.from(Buffer.from(h.slice(2), 'hex'))
const bit = (p: Uint8Array, i: number): number => ((p[i >> 3] as number) >> (7 - (i & 7))) & 1
const ZERO = new Uint8Array(32)

const prng = seededRandom

/** Reference root by the definition, over a key(hex) → value map. */
function referenceRoot(entries: Map<string, Uint8Array>): Uint8Array {
  const items = [...entries].map(([k, v]) => {
    const key = unhex(k)
    const p = keccak256(key)
    return { p, h: keccak256(concatBytes(Uint8Array.of(0), p, keccak256(v))) }
  })
  const sub = (xs: typeof items, depth: number): Uint8Array => {
    if (xs.length === 0) return ZERO
    if (xs.length === 1) return (xs[0] as (typeof items)[number]).h
    const l = sub(
      xs.filter((x) => bit(x.p, depth) === 0),
      depth + 1,
    )
    const r = sub(
      xs.filter((x) => bit(x.p, depth) === 1),
      depth + 1,
    )
    return keccak256(concatBytes(Uint8Array.of(1), l, r))
  }
  return sub(items, 0)
}

function applyStore(store: Map<string, Uint8Array>, writes: TreeNodeWrite[]): void {
  for (const w of writes) {
    if (w.value === null) store.delete(toHex(w.key))
    else store.set(toHex(w.key), w.value.slice())
  }
}

const records = (store: Map<string, Uint8Array>): [Uint8Array, Uint8Array][] =>
  [...store].map(([k, v]) => [unhex(k), v])

/** Keys whose paths share their first `bits` bits (found by brute force). */
function cluster(bits: number, size: number, salt: string): Uint8Array[] {
  const groups = new Map<number, Uint8Array[]>()
  for (let i = 0; ; i++) {
    const key = enc(`${salt}${i}`)
    const p = keccak256(key)
    let prefix = 0
    for (let b = 0; b < bits; b++) prefix = prefix * 2 + bit(p, b)
    const g = groups.get(prefix) ?? []
    g.push(key)
    groups.set(prefix, g)
    if (g.length === size) return g
  }
}

describe('sparse Merkle tree, heavy', () => {
  it('the WebAssembly keccak equals noble on random inputs up to 5,000 bytes', () => {
    const rand = prng(3)
    for (let i = 0; i < 3000; i++) {
      const len = i < 700 ? i : Math.floor(rand() * 5000)
      const data = Uint8Array.from({ length: len }, () => Math.floor(rand() * 256))
      expect(toHex(wasmKeccak(data))).toBe(toHex(keccak_256(data)))
    }
  })

  it('a long random workload: reference root, rebuilds, restore-and-continue, proofs at every kept height', async () => {
    const rand = prng(2024)
    const keep = 8
    let tree = SparseMerkleTree.empty({ keepHeights: keep })
    const shadow = SparseMerkleTree.empty({ keepHeights: keep })
    const store = new Map<string, Uint8Array>()
    const live = new Map<string, Uint8Array>()
    const roots = new Map<bigint, Uint8Array>()
    const history = new Map<bigint, Map<string, Uint8Array>>()
    const keySpace = 20_000
    for (let h = 1n; h <= 800n; h++) {
      const writes: LeafWrite[] = []
      const n = Math.floor(rand() ** 2 * 400)
      for (let i = 0; i < n; i++) {
        const key = enc(`acct:${Math.floor(rand() * keySpace)}`)
        const r = rand()
        const value = r < 0.3 ? null : enc(`${h}.${i}.${Math.floor(rand() * 1e9)}`)
        writes.push({ key, value })
        if (value === null) live.delete(toHex(key))
        else live.set(toHex(key), value)
      }
      const a = tree.commit(h, writes)
      const b = shadow.commit(h, writes)
      expect(toHex(a.root)).toBe(toHex(b.root))
      expect(a.nodeWrites.length).toBe(b.nodeWrites.length)
      applyStore(store, a.nodeWrites)
      roots.set(h, a.root)
      history.set(h, new Map(live))
      expect(tree.size).toBe(live.size)
      if (h % 25n === 0n) {
        expect(toHex(a.root)).toBe(toHex(referenceRoot(live)))
        const leaves = [...live].map(([k, v]) => [unhex(k), v] as const)
        expect(toHex(SparseMerkleTree.fromLeaves(leaves, h).root)).toBe(toHex(a.root))
        // restart: continue on a tree restored from the node store
        tree = SparseMerkleTree.fromNodeRecords(records(store), h, { keepHeights: keep })
        expect(toHex(tree.root)).toBe(toHex(a.root))
      }
      if (h % 10n === 0n) {
        const read = async (k: Uint8Array) => store.get(toHex(k))
        for (let back = 0n; back < BigInt(keep); back++) {
          const at = h - back
          const snap = history.get(at) as Map<string, Uint8Array>
          for (let j = 0; j < 20; j++) {
            const key = enc(`acct:${Math.floor(rand() * keySpace)}`)
            const p = await proveAt(read, at, key)
            expect(verifyProof(roots.get(at) as Uint8Array, key, snap.get(toHex(key)) ?? null, p)).toBe(true)
          }
        }
        if (h > BigInt(keep)) await expect(proveAt(read, h - BigInt(keep), enc('acct:1'))).rejects.toThrow(/pruned/)
      }
    }
  })

  it('clusters sharing 14-bit path prefixes: deep chains collapse correctly in any delete order', () => {
    const rand = prng(5)
    for (let round = 0; round < 6; round++) {
      const keys = [...cluster(14, 6, `c${round}-`), ...cluster(10, 5, `d${round}-`)]
      const live = new Map<string, Uint8Array>()
      const t = SparseMerkleTree.empty({ keepHeights: 2 })
      let h = 1n
      const writes = keys.map((key, i) => ({ key, value: enc(`v${i}`) }))
      for (const w of writes) live.set(toHex(w.key), w.value)
      t.commit(h++, writes)
      expect(toHex(t.root)).toBe(toHex(referenceRoot(live)))
      const order = keys.slice().sort(() => rand() - 0.5)
      for (const key of order) {
        live.delete(toHex(key))
        t.commit(h++, [{ key, value: null }])
        expect(toHex(t.root)).toBe(toHex(referenceRoot(live)))
        for (const other of keys) {
          const v = live.get(toHex(other)) ?? null
          expect(verifyProof(t.root, other, v, t.prove(other))).toBe(true)
        }
      }
      expect(t.root).toEqual(ZERO)
    }
  })

  it('random proof tampering never verifies (2,000 mutations)', () => {
    const rand = prng(77)
    const t = SparseMerkleTree.empty()
    const entries = Array.from({ length: 3000 }, (_, i) => [enc(`p${i}`), enc(`value ${i}`)] as const)
    t.commit(
      1n,
      entries.map(([key, value]) => ({ key, value })),
    )
    const root = t.root
    for (let i = 0; i < 2000; i++) {
      const present = rand() < 0.5
      const key = present
        ? (entries[Math.floor(rand() * entries.length)] as readonly [Uint8Array, Uint8Array])[0]
        : enc(`q${i}`)
      const value = present ? enc(`value ${new TextDecoder().decode(key).slice(1)}`) : null
      const p = t.prove(key)
      expect(verifyProof(root, key, value, p)).toBe(true)
      const bytes = encodeProof(p)
      const flip = bytes.slice()
      const at = Math.floor(rand() * bytes.length)
      flip[at] = (flip[at] as number) ^ (1 << Math.floor(rand() * 8))
      let bad: StateProof | undefined
      try {
        bad = decodeProof(flip)
      } catch {
        continue // not canonical: refused before verification
      }
      expect(verifyProof(root, key, value, bad)).toBe(false)
    }
  })
})
