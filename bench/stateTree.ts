/**
 * @module State tree: the sparse Merkle tree (state/smt.ts) beside @ethereumjs/mpt (a secure trie, given the same
 * WebAssembly keccak so the comparison is about the structures) on the same workload in the same run: commit
 * time for 1,000 and 10,000 dirty leaves per block at 100,000 and 1,000,000 leaves, proof generation and
 * verification rates, proof size and memory; plus the keccak choice (hash-wasm against @noble/hashes) for the
 * tree's hashing. `node bench/stateTree.ts` prints the rows alone; `stateTreeRows()` returns them.
 */
import { createMerkleProof, verifyMerkleProof } from '@ethereumjs/mpt'
import { keccak_256 } from '@noble/hashes/sha3.js'
import { createKeccak } from 'hash-wasm'
import type { LeafWrite, StateProof } from '../state/index.ts'
import {
  encodeProof,
  hashingBackend,
  initHashing,
  proveLeafAt,
  SparseMerkleTree,
  toHex,
  treeKeccak,
  verifyProof,
} from '../state/index.ts'
import { wasmNodeInto } from '../state/keccakWasm.ts'
import type { Measurement, Row } from './harness.ts'
import { measure, printTable, row } from './harness.ts'
import {
  figure,
  measureAsync,
  measureBlocks,
  prng,
  rssMb,
  settle,
  stateKey,
  stateValue,
  usedBytes,
  Workload,
} from './stateTreeHarness.ts'
import { bulkLoadMpt, checkBulkLoad, mptOptions } from './stateTreeMpt.ts'

export interface StateTreeBenchOptions {
  /** tree sizes (leaves); default 100,000 and 1,000,000 */
  sizes?: number[]
}

const MB = 1e6
const fmtMs = (ms: number): string => `${(ms / 1000).toFixed(1)} s`

async function hashRows(): Promise<Row[]> {
  const hashWasm = await createKeccak(256)
  const node = new Uint8Array(65).map((_, i) => i * 7)
  const out = new Uint8Array(32)
  const run = (name: string, hash: (d: Uint8Array) => unknown) =>
    measure(name, 1000, () => {
      for (let i = 0; i < 1000; i++) {
        node[1] = i & 0xff
        hash(node)
      }
    })
  const own = measure('state/keccakWasm.ts (WebAssembly)', 1000, () => {
    for (let i = 0; i < 1000; i++) {
      node[1] = i & 0xff
      wasmNodeInto(1, node, 1, node, 33, out, 0)
    }
  })
  const noble = run('@noble/hashes keccak (JS)', keccak_256)
  const hw = run('hash-wasm keccak (WebAssembly)', (d) => hashWasm.init().update(d).digest('binary'))
  return [
    row('keccak256 of a 65-byte tree node (1 core)', own, noble, {
      target: 'choose the faster for the tree',
      note: 'the tree hashes with state/keccakWasm.ts (sync WebAssembly); everything else keeps @noble/hashes.',
    }),
    row('keccak256 of a 65-byte tree node, WebAssembly (1 core)', own, hw, {
      note: 'same keccak-f cost; hash-wasm pays ~0.15 µs of per-call glue (init, update copy, digest slice).',
    }),
  ]
}

interface Phase {
  buildMs: number
  memMb: number
  gen: Measurement
  ver: Measurement
  memberBytes: number
  absentBytes: number
  commits: { size: number; m: Measurement; perBlockMs: number; wallMs: number; nodeWrites: number }[]
  /** MPT only: the 1,000-leaf blocks on the trie with its default keccak */
  shipped?: { m: Measurement; perBlockMs: number; wallMs: number }
}

const avg = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length

type Entries = readonly (readonly [Uint8Array, Uint8Array])[]

/** The starting leaves of a size: the same every call (each phase makes its own and drops them before commits). */
function makeEntries(n: number): Entries {
  const rand = prng(n)
  return Array.from({ length: n }, (_, i) => [stateKey(i), stateValue(rand)] as const)
}

/** Proof keys: half present, half absent. */
function proofKeys(entries: Entries, n: number) {
  const present = Array.from(
    { length: 500 },
    (_, i) => entries[Math.floor((i * n) / 500)] as readonly [Uint8Array, Uint8Array],
  )
  const keys = [...present.map(([k]) => k), ...Array.from({ length: 500 }, (_, i) => stateKey(n + 900_000_000 + i))]
  const values: (Uint8Array | null)[] = [...present.map(([, v]) => v), ...Array.from({ length: 500 }, () => null)]
  return { keys, values }
}

/** (dirty leaves per block, blocks: one untimed warm-up + timed) */
const COMMIT_PLAN = [
  [1000, 31],
  [10_000, 7],
] as const

async function smtPhase(n: number, blocks: LeafWrite[][][], extra: Row[]): Promise<Phase> {
  let entries: Entries = makeEntries(n)
  const m0 = usedBytes()
  const t = performance.now()
  const smt = SparseMerkleTree.fromLeaves(entries, 0n, { keepHeights: 16 })
  const buildMs = performance.now() - t
  const memMb = (usedBytes() - m0) / MB
  const { keys, values } = proofKeys(entries, n)
  const root = smt.root
  const proofs: StateProof[] = keys.map((k) => smt.prove(k))
  const gen = measure('SMT prove (memory)', keys.length, () => {
    for (const k of keys) smt.prove(k)
  })
  const ver = measure('SMT verifyProof', keys.length, () => {
    keys.forEach((k, i) => {
      if (!verifyProof(root, k, values[i] ?? null, proofs[i] as StateProof)) throw new Error('SMT proof fails')
    })
  })
  const memberBytes = avg(proofs.slice(0, 500).map((p) => encodeProof(p).length))
  const absentBytes = avg(proofs.slice(500).map((p) => encodeProof(p).length))
  if (n <= 200_000) {
    // proofs at an older height come from the node store (an in-memory key-value map here)
    const store = new Map<string, Uint8Array>()
    smt.fullNodeWrites().forEach((key, value) => {
      if (value !== null) store.set(toHex(key), value)
    })
    const read = async (key: Uint8Array): Promise<Uint8Array | undefined> => store.get(toHex(key))
    const at = await measureAsync('SMT proveLeafAt (node store)', keys.length, async () => {
      for (const k of keys) await proveLeafAt(read, 0n, k)
    })
    extra.push(
      row(`proof from the node store @ ${n.toLocaleString('en-US')} (proofs/s)`, at, gen, {
        note: 'proveLeafAt reads a page per 3 levels, the leaf and its value (what perp_proof serves) through an async read; the reference is prove() in memory.',
      }),
    )
  }
  entries = []
  const commits = await smtCommits(n, smt, blocks, extra)
  return { buildMs, memMb, gen, ver, memberBytes, absentBytes, commits }
}

/** The SMT's commit series, then (at 100k) the keccak choice at the tree level on more blocks. */
async function smtCommits(n: number, smt: SparseMerkleTree, blocks: LeafWrite[][][], extra: Row[]) {
  let height = 0n
  const commits: Phase['commits'] = []
  for (const [i, [size, count]] of COMMIT_PLAN.entries()) {
    let nodeWrites = 0
    await settle() // a full GC and an idle process first: earlier garbage is not charged to the commits
    const m = await measureBlocks('SMT commit', blocks[i] as LeafWrite[][], (w) => {
      height += 1n
      // every record visited as the node's store visits them (a view for each value, keys by place), without the
      // LevelDB batch
      smt.commit(height, w).records.forEachRecord(() => {
        nodeWrites++
      })
    })
    commits.push({ size, m, perBlockMs: m.medianMs, wallMs: m.medianWallMs, nodeWrites: nodeWrites / count })
  }
  if (n <= 200_000) {
    // the keccak choice at the tree level: the same kind of blocks with noble
    const more = new Workload(n, 99).blocks(10_000, 6)
    const commit = (w: LeafWrite[]): void => {
      height += 1n
      smt.commit(height, w)
    }
    await settle()
    const wasm = await measureBlocks(`SMT commit, ${hashingBackend()} keccak`, more.slice(0, 3), commit)
    await initHashing('noble')
    const noble = await measureBlocks('SMT commit, noble keccak', more.slice(3), commit)
    await initHashing('wasm')
    extra.push(
      row(`SMT commit by keccak, 10,000 dirty @ ${n.toLocaleString('en-US')} (leaves/CPU-s)`, wasm, noble, {
        target: 'choose the faster',
      }),
    )
  }
  return commits
}

async function mptPhase(n: number, blocks: LeafWrite[][][]): Promise<Phase> {
  let entries: Entries = makeEntries(n)
  const m0 = usedBytes()
  const t = performance.now()
  const mpt = await bulkLoadMpt(treeKeccak, entries)
  const buildMs = performance.now() - t
  const memMb = (usedBytes() - m0) / MB
  const { keys } = proofKeys(entries, n)
  const proofs = await Promise.all(keys.map((k) => createMerkleProof(mpt, k)))
  const gen = await measureAsync('MPT createMerkleProof', keys.length, async () => {
    for (const k of keys) await createMerkleProof(mpt, k)
  })
  const opts = mptOptions(treeKeccak)
  const ver = await measureAsync('MPT verifyMerkleProof', keys.length, async () => {
    for (let i = 0; i < keys.length; i++)
      await verifyMerkleProof(keys[i] as Uint8Array, proofs[i] as Uint8Array[], opts)
  })
  let shippedRun: Phase['shipped']
  if (n <= 200_000) {
    // as shipped: the same trie with the library's default keccak (@noble/hashes), on the same 1,000-leaf blocks
    const shipped = await bulkLoadMpt(keccak_256, entries, { useKeyHashing: true })
    await settle()
    const d = await measureBlocks('MPT (default keccak) put/del + root', blocks[0] as LeafWrite[][], async (w) => {
      for (const { key, value } of w) {
        if (value === null) await shipped.del(key)
        else await shipped.put(key, value)
      }
      shipped.root()
    })
    shippedRun = { m: d, perBlockMs: d.medianMs, wallMs: d.medianWallMs }
  }
  entries = []
  const size = (p: Uint8Array[]): number => p.reduce((a, b) => a + b.length, 0)
  const commits: Phase['commits'] = []
  for (const [i, [blockSize]] of COMMIT_PLAN.entries()) {
    await settle()
    const m = await measureBlocks('MPT put/del + root', blocks[i] as LeafWrite[][], async (w) => {
      for (const { key, value } of w) {
        if (value === null) await mpt.del(key)
        else await mpt.put(key, value)
      }
      mpt.root()
    })
    commits.push({ size: blockSize, m, perBlockMs: m.medianMs, wallMs: m.medianWallMs, nodeWrites: 0 })
  }
  return {
    ...(shippedRun === undefined ? {} : { shipped: shippedRun }),
    buildMs,
    memMb,
    gen,
    ver,
    memberBytes: avg(proofs.slice(0, 500).map(size)),
    absentBytes: avg(proofs.slice(500).map(size)),
    commits,
  }
}

async function sizeRows(n: number): Promise<Row[]> {
  const label = n.toLocaleString('en-US')
  const work = new Workload(n, 7)
  const blocks = COMMIT_PLAN.map(([size, count]) => work.blocks(size, count))
  // each structure is measured alone (the other not in the heap), on the same starting leaves and blocks: with
  // the 1.7 GB MPT in the same heap, the full GCs that the SMT's buffers trigger cost it up to 1 s a block
  const extra: Row[] = []
  const s = await smtPhase(n, blocks, extra)
  const rssSmt = rssMb()
  const m = await mptPhase(n, blocks)
  const rows: Row[] = [
    row(`memory of the tree @ ${label} leaves (MB, lower is better)`, figure('SMT', s.memMb), figure('MPT', m.memMb), {
      unit: ' MB',
      target: '1M accounts within 4 GB RSS (whole node)',
      note:
        `heap + off-heap after a full GC. Process RSS after the SMT phase (with the ${label} input leaves): ` +
        `${rssSmt.toFixed(0)} MB. Build: SMT fromLeaves ${fmtMs(s.buildMs)}, MPT bulk load ${fmtMs(m.buildMs)}.`,
    }),
    row(`proof generation @ ${label} (proofs/s)`, s.gen, m.gen),
    row(`proof verification @ ${label} (proofs/s)`, s.ver, m.ver),
    row(
      `membership proof size @ ${label} (bytes, lower is better)`,
      figure('SMT', s.memberBytes),
      figure('MPT', m.memberBytes),
      {
        unit: ' B',
        target: '≤ 0.33',
        note:
          `SMT: canonical encodeProof bytes; MPT: sum of its RLP nodes (no list framing). Non-membership: SMT ` +
          `${s.absentBytes.toFixed(0)} B, MPT ${m.absentBytes.toFixed(0)} B.`,
      },
    ),
  ]
  const shipped = m.shipped
  const first = s.commits[0]
  if (shipped !== undefined && first !== undefined)
    extra.unshift(
      row(`commit, 1,000 dirty leaves/block @ ${label}, MPT as shipped (leaves/CPU-s)`, first.m, shipped.m, {
        note: `the same blocks; @ethereumjs/mpt with its default @noble/hashes keccak. Median block CPU time ${shipped.perBlockMs.toFixed(0)} ms (wall ${shipped.wallMs.toFixed(0)}).`,
      }),
    )
  s.commits.forEach((c, i) => {
    const r = m.commits[i] as Phase['commits'][number]
    rows.push(
      row(`commit, ${c.size.toLocaleString('en-US')} dirty leaves/block @ ${label} (leaves/CPU-s)`, c.m, r.m, {
        target: '≥ 10×',
        note:
          `median block CPU time (wall): SMT ${c.perBlockMs.toFixed(1)} ms (${c.wallMs.toFixed(1)}), MPT ${r.perBlockMs.toFixed(0)} ms ` +
          `(${r.wallMs.toFixed(0)}); ${COMMIT_PLAN[i]?.[1] ?? 0} blocks, 1 warm-up; SMT node-store writes ` +
          `per block ${Math.round(c.nodeWrites).toLocaleString('en-US')} (incl. pruning).`,
      }),
    )
  })
  return [...rows, ...extra]
}

export async function stateTreeRows(options: StateTreeBenchOptions = {}): Promise<Row[]> {
  await initHashing()
  const rows = await hashRows()
  const rand = prng(1)
  await checkBulkLoad(
    treeKeccak,
    Array.from({ length: 2000 }, (_, i) => [stateKey(i), stateValue(rand)] as const),
  )
  for (const n of options.sizes ?? [100_000, 1_000_000]) rows.push(...(await sizeRows(n)))
  return rows
}

if (import.meta.main) {
  const sizes = process.argv
    .slice(2)
    .map(Number)
    .filter((x) => x > 0)
  const start = performance.now()
  printTable(await stateTreeRows(sizes.length > 0 ? { sizes } : {}))
  console.log(`\nstate tree benchmark: ${fmtMs(performance.now() - start)}, peak-ish RSS now ${rssMb().toFixed(0)} MB`)
}
