/**
 * Crash soak: the SIGKILL loop of test/e2e/crashLoop.test.ts with many more kills.
 *
 *   npm run soak:crash                         # 500 kills, a random seed
 *   npm run soak:crash -- --kills 2000 --seed 7 --block-time 25 --life 150-400 --keep
 *
 * Prints progress every 10 kills and a summary; exits 1 with the seed, the cycle and the node's last output
 * on the first violation. --keep leaves the data directory for inspection (`perpd verify --data DIR`).
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { runCrashLoop } from '../test/support/crashLoop.ts'

const { values } = parseArgs({
  options: {
    kills: { type: 'string', default: '500' },
    seed: { type: 'string' },
    'block-time': { type: 'string', default: '25' },
    life: { type: 'string', default: '150-400' },
    'startup-share': { type: 'string', default: '0.15' },
    keep: { type: 'boolean', default: false },
  },
})
const seed = values.seed === undefined ? Math.floor(Math.random() * 2 ** 31) : Number(values.seed)
const [lo, hi] = values.life.split('-').map(Number)
const dir = mkdtempSync(join(tmpdir(), 'perpd-soak-'))
console.log(
  `crash soak: ${values.kills} kills, seed ${seed}, block time ${values['block-time']} ms, life ${lo}–${hi} ms, data ${dir}`,
)
try {
  const r = await runCrashLoop({
    kills: Number(values.kills),
    seed,
    dataDir: dir,
    blockTimeMs: Number(values['block-time']),
    lifeMs: [lo ?? 150, hi ?? 400],
    startupKillShare: Number(values['startup-share']),
    log: (line) => console.log(line),
  })
  console.log(
    `ok: ${r.kills} SIGKILLs (${r.startupCycles} aimed at start-up, ${r.killedInStartup} of them before the node was up), ` +
      `${r.checkedStarts} starts checked, ` +
      `${r.seconds.toFixed(1)} s; start to ready median ${r.readyMs.median} ms, max ${r.readyMs.max} ms`,
  )
  console.log(`load: ${r.load}`)
  console.log(
    `store: height ${r.store.height}, ${r.store.transactions} transactions, ${r.store.leaves} leaves; ` +
      'every block, root, receipt list and leaf equal to a clean replay from genesis',
  )
  if (!values.keep) rmSync(dir, { recursive: true, force: true })
} catch (e) {
  console.error(e instanceof Error ? e.message : String(e))
  console.error(`seed ${seed}; data left in ${dir}`)
  process.exit(1)
}
