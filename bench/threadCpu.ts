/**
 * @module CPU time of a process's threads by thread name, from Linux's /proc/PID/task/TID/stat (utime + stime, in
 * clock ticks of 1/100 s: USER_HZ is 100 on every architecture Linux supports). The end-to-end row uses it to split
 * an included order's cost between the node's threads and the load generator's. Where /proc is absent (not Linux)
 * a snapshot is empty and the split is left out.
 *
 * Thread names seen under Node 24: `MainThread`; `WorkerThread` (worker_threads: the signature pool);
 * `V8Worker` (V8's platform threads: parallel and concurrent GC, background compilation); `libuv-worker` (libuv's
 * pool, which runs LevelDB's reads and writes, and LevelDB's own compaction thread, which inherits the name of the
 * pool thread that started it).
 */
import { readdirSync, readFileSync } from 'node:fs'

const TICKS_PER_SECOND = 100

/** CPU seconds used so far by each thread name of process `pid` (threads of one name summed). */
export function threadCpu(pid: number): Map<string, number> {
  const out = new Map<string, number>()
  let tids: string[]
  try {
    tids = readdirSync(`/proc/${pid}/task`)
  } catch {
    return out
  }
  for (const tid of tids) {
    let stat: string
    try {
      stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8')
    } catch {
      continue // the thread ended between the listing and the read
    }
    // the name is in parentheses and may hold spaces or parentheses: the fields after the last ')' start at the
    // 3rd of stat(5) (state), so utime and stime, its 14th and 15th, are the 12th and 13th here
    const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'))
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    const ticks = Number(fields[11]) + Number(fields[12])
    out.set(name, (out.get(name) ?? 0) + ticks / TICKS_PER_SECOND)
  }
  return out
}

/**
 * µs of CPU per unit of work by thread name between two snapshots, largest first, as "name 99 µs, …". A thread
 * that ended between them is missing from `after`, so its name's figure comes out too low (and is left out when
 * that makes it negative); the node's threads all live through a run.
 */
export function cpuPerUnit(before: Map<string, number>, after: Map<string, number>, units: number): string {
  if (units <= 0 || after.size === 0) return ''
  const used = [...after].map(([name, s]) => [name, s - (before.get(name) ?? 0)] as const)
  return used
    .filter(([, s]) => s > 0)
    .sort((a, b) => b[1] - a[1])
    .map(([name, s]) => `${name} ${Math.round((s * 1e6) / units)} µs`)
    .join(', ')
}
