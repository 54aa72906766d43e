/**
 * @module Memory of a node's in-memory state at 1,000,000 funded accounts with a position each (the engine
 * State, the at-risk index and the sparse Merkle tree over every leaf), against the 4 GB budget. The
 * state is built in a fresh child process (bench/memoryChild.ts), so nothing else of the benchmark process
 * counts; the child forces a full GC before it reads process.memoryUsage(). The row is the child's RSS in MB
 * beside the budget (4,096 MB): a ratio ≤ 1 meets it. Accounts: PERPD_BENCH_MEMORY_ACCOUNTS (default
 * 1,000,000; the build takes about 1–2 minutes on the 2-core machine).
 */
import type { Row } from './harness.ts'
import { row, runChildJson } from './harness.ts'

const BUDGET_MB = 4096
const MB = 1024 * 1024

interface ChildReport {
  accounts: number
  subaccounts: number
  withPosition: number
  rejected: number
  leaves: number
  root: string
  seconds: { genesis: number; blocks: number; tree: number }
  memory: {
    peakRss: number
    rss: number
    heapUsed: number
    heapTotal: number
    external: number
    arrayBuffers: number
  }
}

export function runMemoryChild(accounts: number): ChildReport {
  return runChildJson<ChildReport>('memoryChild.ts', [String(accounts)], ['--expose-gc'])
}

export function memoryRows(accounts = Number(process.env.PERPD_BENCH_MEMORY_ACCOUNTS ?? 1_000_000)): Row[] {
  const r = runMemoryChild(accounts)
  if (r.rejected > 0 || r.withPosition !== accounts)
    throw new Error(`memory child: ${r.rejected} rejected transactions`)
  const m = r.memory
  const mb = (bytes: number): string => `${Math.round(bytes / MB).toLocaleString('en-US')} MB`
  const rssMb = m.rss / MB
  const figure = (name: string, value: number) => ({ name, opsPerSec: value, ops: 1, ms: 0 })
  const label = accounts === 1_000_000 ? '1M' : accounts.toLocaleString('en-US')
  return [
    row(
      `memory, ${label} funded accounts with positions (RSS MB, lower is better)`,
      figure('RSS after full GC', rssMb),
      figure('budget', BUDGET_MB),
      {
        unit: ' MB',
        target: '≤ 4 GB (ratio ≤ 1)',
        note:
          `child process, ${r.subaccounts.toLocaleString('en-US')} subaccounts (${r.withPosition.toLocaleString('en-US')} ` +
          `with a position), ${r.leaves.toLocaleString('en-US')} leaves in the tree. Heap used ${mb(m.heapUsed)} ` +
          `(heap total ${mb(m.heapTotal)}), external ${mb(m.external)} of which array buffers ${mb(m.arrayBuffers)} ` +
          `(the tree's arenas); ${Math.round(m.heapUsed / accounts).toLocaleString('en-US')} B of heap per account. ` +
          `Peak RSS while building ${mb(m.peakRss)}. Built by applyBlock in ${r.seconds.genesis} s (genesis) + ` +
          `${r.seconds.blocks} s (blocks), tree over allLeaves in ${r.seconds.tree} s.`,
      },
    ),
  ]
}

if (import.meta.main) {
  const { printTable } = await import('./harness.ts')
  printTable(memoryRows())
}
