/**
 * @module A tiny benchmark harness: run a function for at least `minMs` after a warm-up, report ops/s.
 * Each row of the report pairs a measurement with its reference measured in the same run.
 */
import { spawnSync } from 'node:child_process'
import { createServer } from 'node:net'
import { cpus } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Worker } from 'node:worker_threads'

export interface Measurement {
  name: string
  opsPerSec: number
  ops: number
  ms: number
}

export function measure(name: string, batch: number, fn: () => void, minMs = 1000): Measurement {
  for (let i = 0; i < 3; i++) fn()
  let ops = 0
  const start = performance.now()
  let now = start
  while (now - start < minMs) {
    fn()
    ops += batch
    now = performance.now()
  }
  const ms = now - start
  return { name, opsPerSec: (ops * 1000) / ms, ops, ms }
}

export interface Row {
  benchmark: string
  subject: Measurement
  reference: Measurement
  /** subject / reference */
  ratio: number
  target?: string
  note?: string
  /** what the figures count: per second unless a row says otherwise (e.g. ' MB', ' B') */
  unit?: string
}

export function row(benchmark: string, subject: Measurement, reference: Measurement, extra: Partial<Row> = {}): Row {
  return { benchmark, subject, reference, ratio: subject.opsPerSec / reference.opsPerSec, ...extra }
}

export function machine(): { cores: number; cpu: string; node: string } {
  return { cores: cpus().length, cpu: cpus()[0]?.model ?? 'unknown', node: process.version }
}

const fmt = (n: number): string => (n >= 100 ? Math.round(n).toLocaleString('en-US') : n.toFixed(2))

export function printTable(rows: Row[]): void {
  const m = machine()
  console.log(`machine: ${m.cores} cores, ${m.cpu}, Node ${m.node}\n`)
  const lines = rows.map((r) => [
    r.benchmark,
    `${r.subject.name}: ${fmt(r.subject.opsPerSec)}${r.unit ?? '/s'}`,
    `${r.reference.name}: ${fmt(r.reference.opsPerSec)}${r.unit ?? '/s'}`,
    `${r.ratio.toFixed(2)}×`,
    r.target ?? '',
  ])
  const header = ['benchmark', 'subject', 'reference (same run)', 'ratio', 'target']
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => (l[i] as string).length)))
  const show = (cells: string[]): string => cells.map((c, i) => c.padEnd(widths[i] as number)).join('  ')
  console.log(show(header))
  console.log(widths.map((w) => '-'.repeat(w)).join('  '))
  for (const l of lines) console.log(show(l))
  for (const r of rows) if (r.note !== undefined) console.log(`\n${r.benchmark}: ${r.note}`)
}

/** The p-th percentile of ascending `sorted` (nearest rank); NaN when empty. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))
  return sorted[i] as number
}

/**
 * Runs bench/`script` in a fresh Node process (`nodeFlags` before it, `args` after) and returns the JSON of the last
 * line it prints: for rows whose figures the benchmark's own heap would disturb (memory, liquidation detection).
 */
export function runChildJson<T>(script: string, args: string[] = [], nodeFlags: string[] = []): T {
  const path = join(dirname(fileURLToPath(import.meta.url)), script)
  const out = spawnSync(process.execPath, [...nodeFlags, path, ...args], { encoding: 'utf8', maxBuffer: 1 << 20 })
  const line = out.stdout.trim().split('\n').pop() ?? ''
  if (out.status !== 0 || !(line.startsWith('{') || line.startsWith('[')))
    throw new Error(`${script} failed (${out.status ?? out.signal}): ${out.stderr.slice(-2000)}`)
  return JSON.parse(line) as T
}

/** A TCP port free on 127.0.0.1 right now. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      const port = typeof address === 'object' && address !== null ? address.port : 0
      server.close(() => resolve(port))
    })
  })
}

/**
 * A server run in a worker thread of `module` (so the load and the server sit on different cores): the worker
 * posts its URL once it listens, and ends itself when sent 'stop'.
 */
export async function workerServer(
  module: URL,
  workerData: unknown,
): Promise<{ url: string; stop: () => Promise<void> }> {
  const worker = new Worker(module, { workerData })
  const url = await new Promise<string>((resolve, reject) => {
    worker.once('message', resolve)
    worker.once('error', reject)
  })
  return {
    url,
    stop: async () => {
      const exited = new Promise((r) => worker.once('exit', r))
      worker.postMessage('stop')
      await exited
    },
  }
}
