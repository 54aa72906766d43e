/**
 * Seeded simulation (npm run sim:seeded): for each of 3 seeds, 3 independent runs of seeded random mixed
 * traffic through the engine and the node's state commitment (test/support/seededSim.ts), at least 1,000 blocks
 * each. The third run of each seed rebuilds its state from leaves and its tree from the stored tree records
 * every 100 blocks, as a restarted node does. Per seed the final roots (and the transcripts of every block's
 * root, receipts and events) must be equal; across seeds the final roots must differ. Exits 1 otherwise.
 *
 *   node scripts/seeded-sim.ts [--blocks N] [--seeds a,b,c]
 */
import { runSeededSim } from '../test/support/seededSim.ts'

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name)
  return i >= 0 ? process.argv[i + 1] : undefined
}

const blocks = Number(arg('--blocks') ?? 1000)
const seeds = (arg('--seeds') ?? '1,20261124,987654321').split(',').map(Number)
const runs = [{ restartEvery: 0 }, { restartEvery: 0 }, { restartEvery: 100 }]
if (!(blocks >= 1) || seeds.some((s) => !Number.isInteger(s))) {
  console.error('usage: node scripts/seeded-sim.ts [--blocks N] [--seeds a,b,c]')
  process.exit(2)
}

const started = performance.now()
const problems: string[] = []
const finals = new Map<number, string>()
for (const seed of seeds) {
  const results = runs.map((r) => runSeededSim(seed, { blocks, ...r }))
  const [first] = results
  if (first === undefined) continue
  results.forEach((r, i) => {
    const s = r.stats
    console.log(
      `seed ${seed} run ${i + 1}${runs[i]?.restartEvery ? ` (restart every ${runs[i]?.restartEvery})` : ''}: ` +
        `${r.blocks} blocks, ${s.txs} txs (${s.rejected} rejected), fills ${s.events.fill ?? 0}, ` +
        `root ${r.finalRoot}, transcript ${r.transcript.slice(0, 16)}, ${r.ms} ms`,
    )
    if (r.finalRoot !== first.finalRoot) problems.push(`seed ${seed}: run ${i + 1} ends on another root`)
    if (r.transcript !== first.transcript) problems.push(`seed ${seed}: run ${i + 1} differs in roots or receipts`)
    if (r.fullRoot !== r.finalRoot) problems.push(`seed ${seed}: run ${i + 1} incremental root ≠ full recomputation`)
  })
  const kinds = Object.keys(first.stats.byKind).sort().join(' ')
  const events = Object.entries(first.stats.events)
    .sort()
    .map(([k, n]) => `${k} ${n}`)
    .join(', ')
  console.log(`seed ${seed}: kinds ${kinds}; events ${events}`)
  for (const [other, root] of finals)
    if (root === first.finalRoot) problems.push(`seeds ${other} and ${seed} end on the same root`)
  finals.set(seed, first.finalRoot)
}
const seconds = ((performance.now() - started) / 1000).toFixed(1)
if (problems.length > 0) {
  for (const p of problems) console.error(p)
  console.error(`seeded simulation FAILED (${seconds} s)`)
  process.exit(1)
}
console.log(
  `seeded simulation ok: ${seeds.length} seeds × ${runs.length} runs × ${blocks} blocks, same final root per seed, ` +
    `different across seeds (${seconds} s)`,
)
