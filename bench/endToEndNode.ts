/**
 * @module The end-to-end benchmark's sequencer, run as its own process (`node node/cli.ts start --role
 * sequencer`) so the load generator does not share its threads: a temp data dir, a temp genesis (the devnet's
 * plus the bench traders, 1,000,000 USDC each, the engine's per-account order and cancel limits lifted as
 * bench/engineReplay.ts does), the devnet sequencer key in a temp key file, and the RPC rate limits off by
 * flags (a rate of 0): this measures capacity, not policy. It keeps 4 heights provable (`--keep-heights`), so it
 * prunes as a node that has run past its kept heights does. `stop()` sends SIGTERM and removes the temp dirs.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'
import { DEVNET_GENESIS_PATH, devnetKey, SEQUENCER_KEY_INDEX } from '../node/index.ts'
import { toHex } from '../state/index.ts'
import { freePort } from './harness.ts'
import { tempDirs } from './propagationSupport.ts'

/** heights whose state the benchmark's sequencer keeps provable (node default 128), so that it prunes from the 5th block */
const KEEP_HEIGHTS = 4

export interface SequencerProcess {
  /** http://127.0.0.1:PORT */
  url: string
  /** ws://127.0.0.1:PORT/ws */
  wsUrl: string
  pid: number
  /** the genesis JSON the node runs (chain id, block time, markets) */
  genesis: Record<string, unknown>
  /** the node's last lines of output, for a failure message */
  tail: () => string
  stop: () => Promise<void>
}

/** The devnet genesis plus `addresses` funded, starting now, with the engine's rate limits lifted. */
export function benchGenesisJson(addresses: readonly string[]): Record<string, unknown> {
  const json = JSON.parse(readFileSync(DEVNET_GENESIS_PATH, 'utf8')) as Record<string, unknown>
  json.genesisTime = String(Date.now() - 1000)
  const funded = addresses.map((address) => ({ address, subaccount: 0, collateral: '1000000000000' }))
  json.accounts = [...(json.accounts as unknown[]), ...funded]
  Object.assign(json.rateLimits as object, { maxOrders: 1_000_000, maxCancels: 1_000_000 })
  return json
}

/** JSON-RPC over HTTP; throws on an error answer. */
export async function rpc<T>(url: string, method: string, params: unknown[] = []): Promise<T> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
  })
  const body = (await res.json()) as { result?: T; error?: { message: string } }
  if (body.error !== undefined) throw new Error(`${method}: ${body.error.message}`)
  return body.result as T
}

/**
 * Starts the sequencer and resolves once it answers JSON-RPC and has committed a block. `cpuProfDir`: run the
 * node under `--cpu-prof` and write its profiles there (kept after stop).
 */
export async function startSequencerProcess(
  addresses: readonly string[],
  cpuProfDir?: string,
): Promise<SequencerProcess> {
  const dirs = tempDirs('e2e')
  const dir = dirs.make('sequencer')
  const genesis = benchGenesisJson(addresses)
  writeFileSync(join(dir, 'genesis.json'), JSON.stringify(genesis))
  writeFileSync(join(dir, 'sequencer.key'), `${toHex(devnetKey(SEQUENCER_KEY_INDEX).privateKey)}\n`, { mode: 0o600 })
  const port = await freePort()
  const cli = fileURLToPath(new URL('../node/cli.ts', import.meta.url))
  const args = [
    ...(cpuProfDir !== undefined ? ['--cpu-prof', `--cpu-prof-dir=${cpuProfDir}`] : []),
    cli,
    'start',
    '--role',
    'sequencer',
    '--genesis',
    join(dir, 'genesis.json'),
    '--data',
    join(dir, 'data'),
    '--key-file',
    join(dir, 'sequencer.key'),
    '--rpc',
    `127.0.0.1:${port}`,
    '--p2p',
    '/ip4/127.0.0.1/tcp/0',
    '--rpc-ip-rate',
    '0',
    '--rpc-account-rate',
    '0',
    // steady state: a node past its kept heights deletes, at every block, the tree records the block that left the
    // window replaced (about as many records as a block writes). With the default 128 that would start only after
    // 32 s of full blocks; with 4 every timed block pays it
    '--keep-heights',
    String(KEEP_HEIGHTS),
  ]
  const child: ChildProcess = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] })
  const lines: string[] = []
  const keep = (chunk: Buffer): void => {
    lines.push(...chunk.toString('utf8').split('\n').filter(Boolean))
    if (lines.length > 40) lines.splice(0, lines.length - 40)
  }
  child.stdout?.on('data', keep)
  child.stderr?.on('data', keep)
  let exited = false
  const exit = new Promise<void>((resolve) =>
    child.once('exit', () => {
      exited = true
      resolve()
    }),
  )
  const url = `http://127.0.0.1:${port}`
  const stop = async (): Promise<void> => {
    if (!exited) {
      child.kill('SIGTERM')
      const timer = setTimeout(() => child.kill('SIGKILL'), 20_000)
      await exit
      clearTimeout(timer)
    }
    dirs.remove()
  }
  const tail = (): string => lines.join('\n')
  const deadline = performance.now() + 60_000
  for (;;) {
    if (exited) {
      await stop()
      throw new Error(`the sequencer exited while starting:\n${tail()}`)
    }
    const height = await rpc<{ height: string }>(url, 'perp_chainInfo').then(
      (info) => BigInt(info.height),
      () => -1n,
    )
    if (height >= 1n) break
    if (performance.now() > deadline) {
      await stop()
      throw new Error(`the sequencer did not start within 60 s:\n${tail()}`)
    }
    await sleep(100)
  }
  return { url, wsUrl: `ws://127.0.0.1:${port}/ws`, pid: child.pid as number, genesis, tail, stop }
}
