/**
 * Starting real nodes for tests: LevelDB in temp dirs, libp2p and fastify on 127.0.0.1.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { FailPoint } from '../../node/failPoints.ts'
import type { L1Options, NodeConfig, PerpNode } from '../../node/index.ts'
import { DEVNET_GENESIS_PATH, devnetKey, loadGenesis, SEQUENCER_KEY_INDEX, startNode } from '../../node/index.ts'

export function tempDir(label: string): { path: string; remove: () => void } {
  const path = mkdtempSync(join(tmpdir(), `perpd-${label}-`))
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) }
}

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

export const SEQUENCER_P2P_KEY = new Uint8Array(32).fill(7)

export interface TestNodeOptions {
  dataDir: string
  blockTimeMs?: number
  p2pPort?: number
  bootstrap?: string[]
  /** test hook between the steps of a commit (node/failPoints.ts) */
  failPoint?: FailPoint
  log?: (msg: string) => void
  /** settle to this L1 rollup (test/support/l1.ts) */
  l1?: L1Options
  /** any other node settings (rpcLimits, rpcWs, keepHeights, clearAlarm, …), applied last */
  config?: Partial<NodeConfig>
}

export async function startSequencer(o: TestNodeOptions): Promise<PerpNode> {
  return startNode({
    role: 'sequencer',
    genesis: loadGenesis(DEVNET_GENESIS_PATH),
    dataDir: o.dataDir,
    rpcHost: '127.0.0.1',
    rpcPort: 0,
    p2pListen: [`/ip4/127.0.0.1/tcp/${o.p2pPort ?? 0}`],
    bootstrap: [],
    p2pKey: SEQUENCER_P2P_KEY,
    signingKey: devnetKey(SEQUENCER_KEY_INDEX).privateKey,
    blockTimeMs: o.blockTimeMs ?? 100,
    ...(o.failPoint !== undefined ? { failPoint: o.failPoint } : {}),
    ...(o.log !== undefined ? { log: o.log } : {}),
    ...(o.l1 !== undefined ? { l1: o.l1 } : {}),
    ...o.config,
  })
}

export async function startValidator(o: TestNodeOptions): Promise<PerpNode> {
  return startNode({
    role: 'validator',
    genesis: loadGenesis(DEVNET_GENESIS_PATH),
    dataDir: o.dataDir,
    rpcHost: '127.0.0.1',
    rpcPort: 0,
    p2pListen: ['/ip4/127.0.0.1/tcp/0'],
    bootstrap: o.bootstrap ?? [],
    blockTimeMs: o.blockTimeMs ?? 100,
    ...(o.failPoint !== undefined ? { failPoint: o.failPoint } : {}),
    ...(o.log !== undefined ? { log: o.log } : {}),
    ...(o.l1 !== undefined ? { l1: o.l1 } : {}),
    ...o.config,
  })
}

/** A base port with `count` consecutive free ports after it (checked once; good enough on a test machine). */
export async function freePortRange(count: number): Promise<number> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const base = await freePort()
    if (base + count > 65535) continue
    const probes = await Promise.all(
      Array.from(
        { length: count },
        (_, i) =>
          new Promise<boolean>((resolve) => {
            const server = createServer()
            server.once('error', () => resolve(false))
            server.listen(base + i, '127.0.0.1', () => server.close(() => resolve(true)))
          }),
      ),
    )
    if (probes.every(Boolean)) return base
  }
  throw new Error('no free port range')
}
