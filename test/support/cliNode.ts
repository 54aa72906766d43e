/**
 * Running `perpd` (node/cli.ts) as a child process, as an operator would: a real process that can be
 * SIGKILLed. Node's compile cache is kept in the temp dir so repeated starts take ~0.5 s instead of ~0.8 s.
 */
import type { ChildProcess } from 'node:child_process'
import { spawn } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { devnetKey, SEQUENCER_KEY_INDEX } from '../../node/index.ts'
import { toHex } from '../../state/index.ts'

export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..')
export const CLI = join(REPO_ROOT, 'node', 'cli.ts')

const childEnv = (): NodeJS.ProcessEnv => ({
  ...process.env,
  NODE_COMPILE_CACHE: join(tmpdir(), 'perpd-test-compile-cache'),
})

/** Writes the devnet sequencer's key (devnet account 13) to `path` for --key-file. */
export function writeSequencerKeyFile(path: string): string {
  writeFileSync(path, `${toHex(devnetKey(SEQUENCER_KEY_INDEX).privateKey)}\n`, { mode: 0o600 })
  return path
}

export interface Ready {
  /** the height loaded from disk, before the node produced anything */
  height: bigint
  rpcUrl: string
  p2p: string
  /** ms from spawn */
  afterMs: number
}

export interface CliNode {
  readonly child: ChildProcess
  readonly pid: number
  /** resolves when the node logs that it started; rejects if it exits first */
  readonly ready: Promise<Ready>
  readonly isReady: boolean
  /** resolves on exit with the code or signal */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>
  /** the last lines of stdout and stderr, for failure messages */
  tail(): string
  kill(signal: NodeJS.Signals): void
}

const STARTED = /^(sequencer|validator) 0x[0-9a-f]+ at height (\d+) root 0x[0-9a-f]+, rpc (\S+), p2p (\S*)/

/** Spawns `node node/cli.ts ...args`; stdout and stderr are read continuously (only the last lines kept). */
export function spawnCli(args: string[]): CliNode {
  const started = Date.now()
  const child = spawn(process.execPath, [CLI, ...args], { cwd: REPO_ROOT, env: childEnv(), stdio: 'pipe' })
  const lines: string[] = []
  const keep = (line: string): void => {
    lines.push(line)
    if (lines.length > 40) lines.shift()
  }
  let isReady = false
  let resolveReady: (r: Ready) => void = () => {}
  let rejectReady: (e: Error) => void = () => {}
  const ready = new Promise<Ready>((resolve, reject) => {
    resolveReady = resolve
    rejectReady = reject
  })
  ready.catch(() => undefined) // a node killed during startup never becomes ready; only awaiting it fails
  const onData = (prefix: string) => {
    let partial = ''
    return (chunk: Buffer): void => {
      const text = partial + chunk.toString('utf8')
      const parts = text.split('\n')
      partial = parts.pop() ?? ''
      for (const line of parts) {
        keep(`${prefix}${line}`)
        const m = STARTED.exec(line)
        if (m !== null && !isReady) {
          isReady = true
          resolveReady({
            height: BigInt(m[2] as string),
            rpcUrl: (m[3] as string).replace(/\/$/, ''),
            p2p: m[4] as string,
            afterMs: Date.now() - started,
          })
        }
      }
    }
  }
  child.stdout.on('data', onData(''))
  child.stderr.on('data', onData('stderr: '))
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => {
      if (!isReady) rejectReady(new Error(`perpd exited (${signal ?? code}) before it was ready:\n${lines.join('\n')}`))
      resolve({ code, signal })
    })
  })
  return {
    child,
    pid: child.pid as number,
    ready,
    get isReady() {
      return isReady
    },
    exited,
    tail: () => lines.join('\n'),
    kill: (signal) => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal)
    },
  }
}

/** Runs a short perpd command to its end. */
export async function runCli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [CLI, ...args], { cwd: REPO_ROOT, env: childEnv(), stdio: 'pipe' })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (c: Buffer) => {
    stdout += c.toString('utf8')
  })
  child.stderr.on('data', (c: Buffer) => {
    stderr += c.toString('utf8')
  })
  const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)))
  return { code, stdout, stderr }
}

/** Rejects after `ms` with `what` in the message. */
export async function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  try {
    return await Promise.race([
      p,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms)
      }),
    ])
  } finally {
    clearTimeout(timer)
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))
