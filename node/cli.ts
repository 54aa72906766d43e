#!/usr/bin/env node
import { randomBytes } from 'node:crypto'
/**
 * @module The `perpd` command line: devnet, start, init, keys, status, export, import, verify. Exits non-zero
 * with a one-line reason on bad arguments; SIGINT / SIGTERM stop every part in reverse order before exit.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import type { Genesis } from '../engine/index.ts'
import type { LimitsConfig } from '../rpc/index.ts'
import { DEFAULT_LIMITS } from '../rpc/index.ts'
import { fromHex, toHex } from '../state/index.ts'
import { ChainStore } from './chainStore.ts'
import { startDevnet } from './devnet.ts'
import { devnetKeys, ORACLE_KEY_INDEXES, SEQUENCER_KEY_INDEX } from './devnetKeys.ts'
import { DEVNET_GENESIS_PATH, loadGenesis } from './genesisFile.ts'
import type { L1Options } from './l1Link.ts'
import { startEmbeddedSettlement } from './l1Setup.ts'
import { startNode, VERSION } from './node.ts'
import { verifyStore } from './replay.ts'
import { addressOfPrivateKey } from './signatures.ts'
import { exportSnapshot, importSnapshot, storeDirIsEmpty } from './snapshot.ts'

const USAGE = `perpd ${VERSION} — an appchain node for perpetual futures

usage:
  perpd devnet [--data DIR] [--sim on|off] [--rpc-port 8545] [--block-time MS] [--l1 embedded|off]
      a sequencer and two validators on loopback (RPC 8545, 8546, 8547) with simulated trading, settling to an
      embedded L1 (Ethereum JSON-RPC on 8555) that runs the rollup contract
  perpd start --role sequencer|validator --data DIR [--genesis FILE] [--rpc HOST:PORT]
              [--p2p MULTIADDR] [--bootstrap MULTIADDR ...] [--key-file FILE] [--block-time MS]
              [--keep-heights N] [--clear-alarm HEIGHT] [--l1 embedded|URL|off] [--l1-rollup ADDR]
              [--l1-port PORT] [--l1-confirmations N] [--settle-every N]
              [--rpc-ip-rate N] [--rpc-ip-burst N] [--rpc-account-rate N] [--rpc-account-burst N]
              [--signature-workers N] [--signature-worker-nice N]
      one node; a sequencer needs --key-file (hex private key of genesis.sequencer); --keep-heights: how many
      recent heights keep their state roots and proofs (default 128); --clear-alarm: acknowledge, after
      inspecting it, the fraud alarm standing at HEIGHT, so the node produces or follows again (the evidence stays);
      --rpc-*: JSON-RPC rate limits, requests/s and burst per IP address (default 10000, 20000) and
      perp_sendTransaction per account (default 200, 1000); a rate of 0 turns that limit off;
      --signature-workers: threads recovering signatures (default: the machine's cores; 0: on the main thread);
      --signature-worker-nice: their nice value on Linux, below the event loop's (default 10; 0: same priority)
  perpd export --data DIR --out FILE [--height H] [--genesis FILE]
      write the state snapshot at height H (default: the head) of a stopped node's data directory
  perpd import --data DIR --in FILE [--genesis FILE]
      create a fresh data directory from a snapshot; a node started on it continues from its height
  perpd verify --data DIR [--genesis FILE]
      replay a stopped node's stored blocks from genesis and check every root, receipt and leaf
  perpd init --data DIR
      create a data directory with a node key (node.key) for a stable peer id
  perpd keys [--new]
      list the devnet accounts and their roles, or print a fresh private key
  perpd status [--rpc URL]
      a node's chain info and health (default http://127.0.0.1:8545)
`

function fail(msg: string): never {
  process.stderr.write(`perpd: ${msg}\n`)
  process.exit(2)
}

function print(line: string): void {
  process.stdout.write(`${line}\n`)
}

function onShutdown(stop: () => Promise<void>): void {
  let stopping = false
  const handler = (signal: string): void => {
    if (stopping) return
    stopping = true
    print(`\nperpd: ${signal}, stopping…`)
    stop().then(
      () => process.exit(0),
      (e: unknown) => {
        process.stderr.write(`perpd: stop failed: ${String(e)}\n`)
        process.exit(1)
      },
    )
  }
  process.on('SIGINT', () => handler('SIGINT'))
  process.on('SIGTERM', () => handler('SIGTERM'))
}

function hostPort(v: string, flag: string): { host: string; port: number } {
  const m = /^(.+):(\d{1,5})$/.exec(v)
  if (m === null || Number(m[2]) > 65535) fail(`${flag} must be HOST:PORT, got ${v}`)
  return { host: m[1] as string, port: Number(m[2]) }
}

function readKeyFile(path: string): Uint8Array {
  const text = readFileSync(path, 'utf8').trim()
  if (!/^(0x)?[0-9a-fA-F]{64}$/.test(text)) fail(`${path} must hold a 32-byte hex private key`)
  return fromHex(text)
}

async function devnet(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      data: { type: 'string' },
      sim: { type: 'string', default: 'on' },
      'rpc-port': { type: 'string' },
      'block-time': { type: 'string' },
      l1: { type: 'string', default: 'embedded' },
    },
  })
  if (values.sim !== 'on' && values.sim !== 'off') fail('--sim takes on or off')
  if (values.l1 !== 'embedded' && values.l1 !== 'off') fail('--l1 takes embedded or off on a devnet')
  const net = await startDevnet({
    sim: values.sim === 'on',
    l1: values.l1 === 'embedded',
    print,
    ...(values.data !== undefined ? { dataDir: resolve(values.data) } : {}),
    ...(values['rpc-port'] !== undefined ? { rpcPort: Number(values['rpc-port']) } : {}),
    ...(values['block-time'] !== undefined ? { blockTimeMs: Number(values['block-time']) } : {}),
  })
  onShutdown(net.stop)
}

async function start(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      role: { type: 'string' },
      genesis: { type: 'string', default: DEVNET_GENESIS_PATH },
      data: { type: 'string' },
      rpc: { type: 'string', default: '127.0.0.1:8545' },
      p2p: { type: 'string', default: '/ip4/127.0.0.1/tcp/0' },
      bootstrap: { type: 'string', multiple: true, default: [] },
      'key-file': { type: 'string' },
      'block-time': { type: 'string' },
      'keep-heights': { type: 'string' },
      'clear-alarm': { type: 'string' },
      l1: { type: 'string' },
      'l1-rollup': { type: 'string' },
      'l1-port': { type: 'string' },
      'l1-confirmations': { type: 'string' },
      'settle-every': { type: 'string' },
      'rpc-ip-rate': { type: 'string' },
      'rpc-ip-burst': { type: 'string' },
      'rpc-account-rate': { type: 'string' },
      'rpc-account-burst': { type: 'string' },
      'signature-workers': { type: 'string' },
      'signature-worker-nice': { type: 'string' },
    },
  })
  const signatureWorkers = values['signature-workers'] === undefined ? undefined : Number(values['signature-workers'])
  if (
    signatureWorkers !== undefined &&
    !(Number.isInteger(signatureWorkers) && signatureWorkers >= 0 && signatureWorkers <= 256)
  )
    fail('--signature-workers takes a number of threads, 0 to 256')
  const niceArg = values['signature-worker-nice']
  const signatureWorkerNice = niceArg === undefined ? undefined : Number(niceArg)
  if (
    signatureWorkerNice !== undefined &&
    !(Number.isInteger(signatureWorkerNice) && signatureWorkerNice >= 0 && signatureWorkerNice <= 19)
  )
    fail('--signature-worker-nice takes a nice value, 0 to 19')
  const rpcLimits = rpcLimitsArg(values)
  const clearAlarm = values['clear-alarm'] === undefined ? undefined : heightArg(values['clear-alarm'], '--clear-alarm')
  const keepHeights = values['keep-heights'] === undefined ? undefined : Number(values['keep-heights'])
  if (keepHeights !== undefined && !(Number.isInteger(keepHeights) && keepHeights >= 1 && keepHeights <= 1_000_000))
    fail('--keep-heights takes a number of heights, 1 to 1000000')
  const blockTimeMs = values['block-time'] === undefined ? undefined : Number(values['block-time'])
  if (blockTimeMs !== undefined && !(Number.isInteger(blockTimeMs) && blockTimeMs >= 10 && blockTimeMs <= 60_000))
    fail('--block-time takes milliseconds, 10 to 60000')
  if (values.role !== 'sequencer' && values.role !== 'validator') fail('--role must be sequencer or validator')
  if (values.data === undefined) fail('--data DIR is required')
  const dataDir = resolve(values.data)
  const rpc = hostPort(values.rpc, '--rpc')
  const nodeKeyPath = join(dataDir, 'node.key')
  const genesis = loadGenesis(values.genesis)
  const l1 = await l1Setup(values, genesis, dataDir, rpc)
  const node = await startNode({
    role: values.role,
    genesis,
    dataDir: join(dataDir, 'chain'),
    rpcHost: rpc.host,
    rpcPort: rpc.port,
    p2pListen: [values.p2p],
    bootstrap: values.bootstrap,
    log: print,
    ...(existsSync(nodeKeyPath) ? { p2pKey: readKeyFile(nodeKeyPath) } : {}),
    ...(values['key-file'] !== undefined ? { signingKey: readKeyFile(values['key-file']) } : {}),
    ...(blockTimeMs !== undefined ? { blockTimeMs } : {}),
    ...(keepHeights !== undefined ? { keepHeights } : {}),
    ...(clearAlarm !== undefined ? { clearAlarm } : {}),
    ...(l1 !== undefined ? { l1: l1.options } : {}),
    ...(signatureWorkers !== undefined ? { signatureWorkers } : {}),
    ...(signatureWorkerNice !== undefined ? { signatureWorkerNice } : {}),
    rpcLimits,
  }).catch(async (e: unknown) => {
    await l1?.stop()
    throw e
  })
  print(`p2p: ${node.p2p.multiaddrs().join(' ')}`)
  onShutdown(async () => {
    await node.stop()
    await l1?.stop()
  })
}

/** --rpc-ip-rate/--rpc-ip-burst/--rpc-account-rate/--rpc-account-burst over DEFAULT_LIMITS (rpc/limits.ts). */
function rpcLimitsArg(values: Record<string, string | boolean | string[] | undefined>): LimitsConfig {
  const num = (flag: string, fallback: number, min: number): number => {
    const v = values[flag]
    if (v === undefined) return fallback
    const n = Number(v)
    if (typeof v !== 'string' || !Number.isFinite(n) || n < min || n > 1e9) fail(`--${flag} takes a number from ${min}`)
    return n
  }
  const { perIp, perAccount } = DEFAULT_LIMITS
  return {
    perIp: { perSecond: num('rpc-ip-rate', perIp.perSecond, 0), burst: num('rpc-ip-burst', perIp.burst, 1) },
    perAccount: {
      perSecond: num('rpc-account-rate', perAccount.perSecond, 0),
      burst: num('rpc-account-burst', perAccount.burst, 1),
    },
  }
}

function countArg(v: string | undefined, flag: string, max: number): number | undefined {
  if (v === undefined) return undefined
  const n = Number(v)
  if (!(Number.isInteger(n) && n >= 0 && n <= max)) fail(`${flag} takes a whole number from 0 to ${max}`)
  return n
}

/**
 * `--l1 embedded` starts the in-process L1 under DIR/l1 (deploying the rollup on first start; Ethereum JSON-RPC on
 * --l1-port, default the RPC port + 10); `--l1 URL` uses an Ethereum JSON-RPC endpoint and needs --l1-rollup.
 */
async function l1Setup(
  values: Record<string, string | boolean | string[] | undefined>,
  genesis: Genesis,
  dataDir: string,
  rpc: { host: string; port: number },
): Promise<{ options: L1Options; stop: () => Promise<void> } | undefined> {
  const endpoint = values.l1 as string | undefined
  if (endpoint === undefined || endpoint === 'off') return undefined
  const settleEvery = countArg(values['settle-every'] as string | undefined, '--settle-every', 1_000_000)
  const confirmations = countArg(values['l1-confirmations'] as string | undefined, '--l1-confirmations', 1_000)
  const tuning = {
    ...(settleEvery !== undefined ? { settleEveryBlocks: Math.max(1, settleEvery) } : {}),
    ...(confirmations !== undefined ? { confirmations } : {}),
  }
  if (endpoint === 'embedded') {
    const port = countArg(values['l1-port'] as string | undefined, '--l1-port', 65_535) ?? rpc.port + 10
    const s = await startEmbeddedSettlement({ genesis, dataDir: join(dataDir, 'l1'), host: rpc.host, port, log: print })
    print(`l1: embedded L1 ${s.l1.chainId} at ${s.l1.url ?? 'in-process'}, rollup ${s.deployment.rollup}`)
    return { options: { ...s.options, ...tuning }, stop: s.stop }
  }
  if (!/^https?:\/\//.test(endpoint)) fail('--l1 takes embedded, off, or an http(s) URL of an Ethereum JSON-RPC node')
  const rollup = values['l1-rollup'] as string | undefined
  if (rollup === undefined || !/^0x[0-9a-fA-F]{40}$/.test(rollup)) fail('--l1 URL needs --l1-rollup 0xADDRESS')
  return {
    options: { endpoint, rollup: rollup.toLowerCase() as `0x${string}`, confirmations: 2, ...tuning },
    stop: async () => {},
  }
}

function heightArg(v: string | undefined, flag = '--height'): bigint | undefined {
  if (v === undefined) return undefined
  if (!/^[0-9]{1,19}$/.test(v)) fail(`${flag} takes a block height, got ${v}`)
  return BigInt(v)
}

/** The chain store of a data directory: DIR/chain, as `perpd start` lays it out. */
function chainDir(values: { data?: string | undefined }): string {
  if (values.data === undefined) fail('--data DIR is required')
  return join(resolve(values.data), 'chain')
}

async function openExisting(dir: string): Promise<ChainStore> {
  if (storeDirIsEmpty(dir)) fail(`${dir} holds no chain`)
  return ChainStore.open(dir)
}

async function exportCommand(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      data: { type: 'string' },
      height: { type: 'string' },
      out: { type: 'string' },
      genesis: { type: 'string', default: DEVNET_GENESIS_PATH },
    },
  })
  const height = heightArg(values.height)
  if (values.out === undefined) fail('--out FILE is required')
  const out = resolve(values.out)
  const genesis = loadGenesis(values.genesis)
  const store = await openExisting(chainDir(values))
  try {
    const started = Date.now()
    const { snapshot: s, bytes, replayed } = await exportSnapshot(store, genesis, height)
    mkdirSync(dirname(out), { recursive: true })
    writeFileSync(`${out}.partial`, bytes)
    renameSync(`${out}.partial`, out)
    print(
      `exported height ${s.height} (head ${store.head?.height}) root ${toHex(s.stateRoot)}: ${s.leaves.length} leaves, ` +
        `${bytes.length} bytes, ${replayed ? `replayed from genesis in ${Date.now() - started} ms` : 'from the stored head'} → ${out}`,
    )
  } finally {
    await store.close()
  }
}

async function importCommand(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      data: { type: 'string' },
      in: { type: 'string' },
      genesis: { type: 'string', default: DEVNET_GENESIS_PATH },
    },
  })
  if (values.in === undefined) fail('--in FILE is required')
  const dir = chainDir(values)
  const genesis = loadGenesis(values.genesis)
  const s = await importSnapshot(dir, genesis, readFileSync(resolve(values.in)))
  print(
    `imported height ${s.height} root ${toHex(s.stateRoot)} (${s.leaves.length} leaves) into ${dir}; ` +
      'a node started on it asks its peers for the blocks after that height',
  )
}

async function verifyCommand(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: { data: { type: 'string' }, genesis: { type: 'string', default: DEVNET_GENESIS_PATH } },
  })
  const genesis = loadGenesis(values.genesis)
  const store = await openExisting(chainDir(values))
  try {
    const started = Date.now()
    const r = await verifyStore(store, genesis)
    print(
      `ok: ${r.height} blocks and ${r.transactions} transactions replayed from genesis to root ${toHex(r.stateRoot)}; ` +
        `${r.leaves} leaves equal the replay (${Date.now() - started} ms)`,
    )
  } finally {
    await store.close()
  }
}

function init(args: string[]): void {
  const { values } = parseArgs({ args, options: { data: { type: 'string' } } })
  if (values.data === undefined) fail('--data DIR is required')
  const dir = resolve(values.data)
  mkdirSync(dir, { recursive: true })
  const keyPath = join(dir, 'node.key')
  if (existsSync(keyPath)) fail(`${keyPath} exists; refusing to overwrite a node key`)
  writeFileSync(keyPath, `${toHex(randomBytes(32))}\n`, { mode: 0o600 })
  print(
    `created ${keyPath} (the node's p2p identity); start with: perpd start --data ${values.data} --role validator ...`,
  )
}

function keys(args: string[]): void {
  const { values } = parseArgs({ args, options: { new: { type: 'boolean', default: false } } })
  if (values.new) {
    let key: Uint8Array
    for (;;) {
      key = randomBytes(32)
      try {
        print(`private key ${toHex(key)}\naddress     ${addressOfPrivateKey(key)}`)
        return
      } catch {
        // astronomically unlikely: not a valid scalar; draw again
      }
    }
  }
  const genesis = loadGenesis(DEVNET_GENESIS_PATH)
  for (const k of devnetKeys()) {
    const role =
      k.index === SEQUENCER_KEY_INDEX
        ? 'sequencer'
        : (ORACLE_KEY_INDEXES as readonly number[]).includes(k.index)
          ? 'oracle signer'
          : genesis.accounts.some((a) => a.address === k.account.address.toLowerCase())
            ? 'trader, 1,000,000 USDC'
            : ''
    print(`${String(k.index).padStart(2)}  ${k.account.address}  ${toHex(k.privateKey)}  ${role}`)
  }
}

async function status(args: string[]): Promise<void> {
  const { values } = parseArgs({ args, options: { rpc: { type: 'string', default: 'http://127.0.0.1:8545' } } })
  const url = values.rpc.replace(/\/$/, '')
  try {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'perp_chainInfo', params: [] }),
    })
    const info = ((await res.json()) as { result: Record<string, unknown> }).result
    const health = (await (await fetch(`${url}/health`)).json()) as Record<string, unknown>
    print(
      `chain ${info.chainId}  role ${info.role}  height ${info.height}  root ${String(info.stateRoot).slice(0, 18)}  peers ${info.peers}`,
    )
    print(
      `health ${health.ok ? 'ok' : 'NOT OK'}  ${health.status}${health.detail !== undefined ? `  (${health.detail})` : ''}`,
    )
    const l1 = (await (
      await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'perp_settlement', params: [] }),
      })
    ).json()) as { result?: Record<string, unknown> }
    const s = l1.result
    if (s === undefined) print('l1: not linked')
    else {
      const withdrawals = (s.withdrawals as { status: string }[]).reduce<Record<string, number>>((n, w) => {
        n[w.status] = (n[w.status] ?? 0) + 1
        return n
      }, {})
      print(
        `l1 ${s.l1ChainId}  rollup ${s.rollup}  settled height ${s.lastSettledHeight}${s.escapeMode ? '  ESCAPE MODE' : ''}` +
          `  deposits ${s.nextDepositSeq}/${s.depositCount} credited  withdrawals ${JSON.stringify(withdrawals)}`,
      )
    }
  } catch (e) {
    fail(`cannot reach ${url}: ${e instanceof Error ? e.message : String(e)}`)
  }
}

async function main(): Promise<void> {
  const [command, ...rest] = process.argv.slice(2)
  if (rest.includes('--help') || rest.includes('-h')) return print(USAGE)
  switch (command) {
    case 'devnet':
      return devnet(rest)
    case 'start':
      return start(rest)
    case 'init':
      return init(rest)
    case 'keys':
      return keys(rest)
    case 'status':
      return status(rest)
    case 'export':
      return exportCommand(rest)
    case 'import':
      return importCommand(rest)
    case 'verify':
      return verifyCommand(rest)
    case '--version':
    case 'version':
      return print(VERSION)
    case undefined:
    case '--help':
    case 'help':
      return print(USAGE)
    default:
      fail(`unknown command ${command}\n\n${USAGE}`)
  }
}

main().catch((e: unknown) => {
  const code = (e as { code?: string }).code
  if (code === 'EADDRINUSE') fail(`${(e as Error).message}: another process holds the port (another devnet?)`)
  if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') fail((e as Error).message)
  fail(e instanceof Error ? e.message : String(e))
})
