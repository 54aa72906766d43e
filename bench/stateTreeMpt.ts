/**
 * @module The @ethereumjs/mpt reference of bench/stateTree.ts: a secure trie (keys hashed with keccak256) and a
 * bulk loader. A million sequential puts take minutes here, so the starting trie is built bottom-up from the
 * sorted hashed keys with the library's own node classes and written to its database, exactly as put() would
 * have left it; `checkBulkLoad` compares both ways on a sample at every run. The measured updates, proofs and
 * verifications are the library's own code.
 */
import type { MerklePatriciaTrie } from '@ethereumjs/mpt'
import {
  BranchMPTNode,
  createMerkleProof,
  createMPT,
  ExtensionMPTNode,
  LeafMPTNode,
  verifyMerkleProof,
} from '@ethereumjs/mpt'
import { bytesEqual } from '../state/index.ts'

export type Keccak = (data: Uint8Array) => Uint8Array
type Ref = Uint8Array | Uint8Array[]

export function mptOptions(keccak: Keccak) {
  return { useKeyHashing: true, useKeyHashingFunction: keccak }
}

/** A trie holding `entries` (state key → value), bulk-built. */
export async function bulkLoadMpt(
  keccak: Keccak,
  entries: readonly (readonly [Uint8Array, Uint8Array])[],
  options: Parameters<typeof createMPT>[0] = mptOptions(keccak),
): Promise<MerklePatriciaTrie> {
  const trie = await createMPT(options)
  const items = entries.map(([key, value]) => ({ path: keccak(key), value }))
  items.sort((a, b) => compareBytes(a.path, b.path))
  const nibble = (p: Uint8Array, i: number): number => (i & 1 ? (p[i >> 1] as number) & 15 : (p[i >> 1] as number) >> 4)
  const nibbles = (p: Uint8Array, from: number, to: number): number[] => {
    const out: number[] = []
    for (let i = from; i < to; i++) out.push(nibble(p, i))
    return out
  }
  const puts: { type: 'put'; key: Uint8Array; value: Uint8Array }[] = []
  const format = (node: BranchMPTNode | ExtensionMPTNode | LeafMPTNode, top: boolean): Ref => {
    const encoded = node.serialize()
    if (encoded.length < 32 && !top) return node.raw() as Ref
    const hash = keccak(encoded)
    puts.push({ type: 'put', key: hash, value: encoded })
    return hash
  }
  const build = (lo: number, hi: number, depth: number, top: boolean): Ref => {
    const first = items[lo] as (typeof items)[number]
    if (hi - lo === 1) return format(new LeafMPTNode(nibbles(first.path, depth, 64), first.value), top)
    const last = items[hi - 1] as (typeof items)[number]
    let d = depth
    while (nibble(first.path, d) === nibble(last.path, d)) d++
    const branch = new BranchMPTNode()
    for (let a = lo; a < hi; ) {
      const n = nibble((items[a] as (typeof items)[number]).path, d)
      let b = a + 1
      while (b < hi && nibble((items[b] as (typeof items)[number]).path, d) === n) b++
      branch.setBranch(n, build(a, b, d + 1, false) as never)
      a = b
    }
    if (d === depth) return format(branch, top)
    return format(new ExtensionMPTNode(nibbles(first.path, depth, d), format(branch, false) as never), top)
  }
  if (items.length > 0) {
    const root = build(0, items.length, 0, true) as Uint8Array
    for (let i = 0; i < puts.length; i += 50_000) await trie.database().batch(puts.slice(i, i + 50_000))
    trie.root(root)
  }
  return trie
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return (a[i] as number) - (b[i] as number)
  return 0
}

/** Throws unless the bulk loader gives the same root and behaves like sequential puts. */
export async function checkBulkLoad(
  keccak: Keccak,
  entries: readonly (readonly [Uint8Array, Uint8Array])[],
): Promise<void> {
  const bulk = await bulkLoadMpt(keccak, entries)
  const seq = await createMPT(mptOptions(keccak))
  for (const [k, v] of entries) await seq.put(k, v)
  if (!bytesEqual(bulk.root(), seq.root())) throw new Error('MPT bulk load: root differs from sequential puts')
  const [k0, v0] = entries[0] as readonly [Uint8Array, Uint8Array]
  const proof = await createMerkleProof(bulk, k0)
  const got = await verifyMerkleProof(k0, proof, mptOptions(keccak))
  if (got === null || !bytesEqual(got, v0)) throw new Error('MPT bulk load: proof does not verify')
  for (const t of [bulk, seq]) {
    await t.put(k0, Uint8Array.of(1, 2, 3))
    await t.del((entries[1] as readonly [Uint8Array, Uint8Array])[0])
  }
  if (!bytesEqual(bulk.root(), seq.root())) throw new Error('MPT bulk load: updates diverge from sequential puts')
}
