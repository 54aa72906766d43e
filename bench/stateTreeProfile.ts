/**
 * @module The SMT commit alone, for a CPU profile: `node --cpu-prof bench/stateTreeProfile.ts [leaves] [dirty]
 * [blocks]` (default 1,000,000 leaves, 1,000 dirty leaves per block, 40 blocks). Builds the tree like
 * bench/stateTree.ts (fromLeaves, keepHeights 16), then commits the same kind of blocks and prints the median
 * per-block CPU time, so a profile shows the commit path and nothing of the MPT reference.
 */
import type { LeafWrite } from '../state/index.ts'
import { SparseMerkleTree } from '../state/index.ts'
import { measureBlocks, prng, stateKey, stateValue, usedBytes, Workload } from './stateTreeHarness.ts'

const [leaves = 1_000_000, dirty = 1000, count = 40] = process.argv
  .slice(2)
  .map(Number)
  .filter((x) => x > 0)

const rand = prng(leaves)
const entries = Array.from({ length: leaves }, (_, i) => [stateKey(i), stateValue(rand)] as const)
const smt = SparseMerkleTree.fromLeaves(entries, 0n, { keepHeights: 16 })
entries.length = 0
const blocks = new Workload(leaves, 7).blocks(dirty, count)
usedBytes()
let height = 0n
let writes = 0
const m = await measureBlocks('SMT commit', blocks as LeafWrite[][], (w) => {
  height += 1n
  smt.commit(height, w).records.forEachRecord(() => {
    writes++
  })
})
console.log(
  `${leaves} leaves, ${dirty} dirty/block, ${count} blocks: median ${m.medianMs.toFixed(2)} ms CPU ` +
    `(${m.medianWallMs.toFixed(2)} wall), ${Math.round(m.opsPerSec)} leaves/s, ${Math.round(writes / count)} node-store writes/block`,
)
