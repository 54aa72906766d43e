/**
 * The SIGKILL loop, shared by test/e2e/crashLoop.test.ts (50 kills) and scripts/crash-soak.ts (hundreds):
 * a real sequencer process (`perpd start`) under load from devnet accounts, killed with SIGKILL at seeded
 * random moments and restarted on the same data directory.
 *
 * Each cycle either kills the node during startup (a seeded share of cycles, at 0.5–1.2 × the last start-up
 * time after spawn: mostly while it opens LevelDB, writes genesis, loads leaves, binds ports) or waits until
 * it is up, checks it, and kills it after a random life under load. After every start that comes up:
 * - it came up by itself (no repair) within the timeout;
 * - the height it loaded from disk is not below any head it reported before (perp_chainInfo), and the block
 *   at that height still has the state root it reported;
 * - every transaction acknowledged in the previous life (perp_transaction: included or rejected, with
 *   height and index) is still there, plus a random sample of older ones.
 * At the end, one more start must include new transactions and produce blocks, then stops on SIGTERM. The
 * store is then replayed from genesis in this process (node/replay.ts verifyStore: every block re-verified
 * and re-executed, every root, receipt list and leaf equal) and every acknowledged transaction is looked up
 * in it.
 */
import { join } from 'node:path'
import { seededRandom } from '../../engine/index.ts'
import { ChainStore, DEVNET_GENESIS_PATH, loadGenesis } from '../../node/index.ts'
import type { StoreReport } from '../../node/replay.ts'
import { verifyStore } from '../../node/replay.ts'
import type { CliNode } from './cliNode.ts'
import { sleep, spawnCli, withTimeout, writeSequencerKeyFile } from './cliNode.ts'
import { Load, rpcBatch } from './load.ts'
import { freePort } from './nodes.ts'

export interface CrashLoopOptions {
  /** SIGKILLs in all, each followed by a restart */
  kills: number
  seed: number
  /** the node's data directory (the chain store is DIR/chain) */
  dataDir: string
  /** --block-time of the node (default 25) */
  blockTimeMs?: number
  /** life under load after the node is up, ms (default 150–400) */
  lifeMs?: [number, number]
  /** share of cycles killed during startup instead (default 0.15), at 0.5–1.2 × the last start-up time */
  startupKillShare?: number
  /** run time of the last start before SIGTERM, ms (default 1000) */
  finalMs?: number
  /** acknowledged transactions from older lives re-checked after each start (default 200) */
  sampleOlder?: number
  readyTimeoutMs?: number
  log?: (line: string) => void
}

export interface CrashLoopReport {
  seed: number
  kills: number
  /** cycles that killed a node during its start-up instead of after a life under load */
  startupCycles: number
  /** of those, kills that hit the node before it had logged that it was up */
  killedInStartup: number
  /** starts that came up and passed the checks (every kill's restart that was not itself killed in startup, and the last) */
  checkedStarts: number
  seconds: number
  readyMs: { median: number; max: number }
  acknowledged: number
  load: string
  store: StoreReport
}

export async function runCrashLoop(o: CrashLoopOptions): Promise<CrashLoopReport> {
  const started = Date.now()
  const log = o.log ?? (() => {})
  // the kill schedule (modes, delays) is a function of the seed alone; sampling draws from its own stream
  const rand = seededRandom(o.seed ^ 0x5eed)
  const sampling = seededRandom(o.seed ^ 0xa11)
  const [lifeLo, lifeHi] = o.lifeMs ?? [150, 400]
  const startupKillShare = o.startupKillShare ?? 0.15
  const sampleOlder = o.sampleOlder ?? 200
  const readyTimeoutMs = o.readyTimeoutMs ?? 20_000
  const keyFile = writeSequencerKeyFile(join(o.dataDir, 'sequencer.key'))
  const rpcPort = await freePort()
  const args = [
    'start',
    '--role',
    'sequencer',
    '--data',
    o.dataDir,
    '--key-file',
    keyFile,
    '--rpc',
    `127.0.0.1:${rpcPort}`,
    '--p2p',
    '/ip4/127.0.0.1/tcp/0',
    '--block-time',
    String(o.blockTimeMs ?? 25),
  ]
  const load = new Load(o.seed)
  const readyTimes: number[] = []
  let current: CliNode | undefined
  let killedInStartup = 0
  let startupCycles = 0
  let checkedStarts = 0

  const failure = (cycle: number, msg: string): Error =>
    new Error(`crash loop (seed ${o.seed}) cycle ${cycle}: ${msg}\n--- node output ---\n${current?.tail() ?? ''}`)

  async function startChecked(cycle: number): Promise<CliNode> {
    const node = spawnCli(args)
    current = node
    const ready = await withTimeout(node.ready, readyTimeoutMs, 'node start').catch((e: unknown) => {
      throw failure(cycle, `the node did not come up by itself: ${e instanceof Error ? e.message : String(e)}`)
    })
    readyTimes.push(ready.afterMs)
    const durable = load.durable
    if (ready.height < durable.height)
      throw failure(cycle, `started at height ${ready.height}, below the head ${durable.height} it had reported`)
    if (durable.height >= 0n) {
      const [b] = await rpcBatch(ready.rpcUrl, [{ method: 'perp_block', params: [durable.height.toString()] }])
      const root = (b?.result as { stateRoot?: string } | null | undefined)?.stateRoot
      if (root !== durable.stateRoot)
        throw failure(cycle, `block ${durable.height} has root ${root} after the restart, ${durable.stateRoot} before`)
    }
    const recent: string[] = []
    const older: string[] = []
    for (const [hash, a] of load.acked) (a.epoch === load.epoch ? recent : older).push(hash)
    for (let i = 0; i < sampleOlder && older.length > 0; i++) {
      const k = Math.floor(sampling() * older.length)
      recent.push(older[k] as string)
      older[k] = older[older.length - 1] as string
      older.pop()
    }
    const problems = await load.check(ready.rpcUrl, recent)
    if (problems.length > 0)
      throw failure(cycle, `acknowledged transactions changed after the restart:\n${problems.slice(0, 10).join('\n')}`)
    checkedStarts++
    await load.attach(ready.rpcUrl)
    return node
  }

  try {
    for (let cycle = 0; cycle < o.kills; cycle++) {
      if (rand() < startupKillShare) {
        // around the usual start-up time: mostly while it opens the store, loads the state, binds its ports
        const usual = readyTimes.length === 0 ? 600 : (readyTimes[readyTimes.length - 1] as number)
        const node = spawnCli(args)
        current = node
        await sleep(usual * (0.5 + rand() * 0.7))
        startupCycles++
        if (!node.isReady) killedInStartup++
        node.kill('SIGKILL')
        await node.exited
        continue
      }
      const node = await startChecked(cycle)
      await sleep(lifeLo + rand() * (lifeHi - lifeLo))
      node.kill('SIGKILL')
      load.detach()
      await node.exited
      if ((cycle + 1) % 10 === 0)
        log(
          `${cycle + 1}/${o.kills} kills, height ${load.durable.height}, ${load.acked.size} acknowledged transactions`,
        )
    }

    // the last start: it must go on including transactions and producing blocks, then stop cleanly
    const node = await startChecked(o.kills)
    const epoch = load.epoch
    const from = load.durable.height
    await sleep(o.finalMs ?? 1000)
    const until = Date.now() + 15_000
    while (![...load.acked.values()].some((a) => a.epoch === epoch) || load.durable.height < from + 3n) {
      if (Date.now() > until) throw failure(o.kills, 'after the last restart the chain did not go on')
      await sleep(50)
    }
    load.detach()
    node.kill('SIGTERM')
    const exit = await withTimeout(node.exited, 15_000, 'stop on SIGTERM')
    if (exit.code !== 0) throw failure(o.kills, `stop on SIGTERM exited with ${exit.signal ?? exit.code}`)
    current = undefined
    await load.stop()

    // a clean replay from genesis of everything stored, and every acknowledged transaction in it
    const store = await ChainStore.open(join(o.dataDir, 'chain'))
    try {
      const head = store.head
      if (head === undefined || head.height < load.durable.height)
        throw failure(o.kills, `the store's head ${head?.height} is below the reported ${load.durable.height}`)
      const report = await verifyStore(store, loadGenesis(DEVNET_GENESIS_PATH))
      for (const [hash, a] of load.acked) {
        const loc = await store.txLocation(Uint8Array.from(Buffer.from(hash.slice(2), 'hex')))
        const receipt = loc && ((await store.receipts(loc.height)) as { ok: boolean }[] | undefined)?.[loc.index]
        if (
          loc === undefined ||
          loc.height !== a.height ||
          loc.index !== a.index ||
          receipt?.ok !== (a.status === 'included')
        )
          throw failure(
            o.kills,
            `acknowledged tx ${hash} (${a.status} at ${a.height}/${a.index}) is not in the store so`,
          )
      }
      readyTimes.sort((x, y) => x - y)
      return {
        seed: o.seed,
        kills: o.kills,
        startupCycles,
        killedInStartup,
        checkedStarts,
        seconds: (Date.now() - started) / 1000,
        readyMs: { median: readyTimes[readyTimes.length >> 1] ?? 0, max: readyTimes[readyTimes.length - 1] ?? 0 },
        acknowledged: load.acked.size,
        load: load.stats(),
        store: report,
      }
    } finally {
      await store.close()
    }
  } finally {
    current?.kill('SIGKILL')
    await current?.exited
    await load.stop()
  }
}
