/**
 * @module One perpd node, composed: chain store (LevelDB) → chain → p2p → role (sequencer or follower) →
 * RPC. Started in that order and stopped in reverse.
 */
import { mkdirSync } from 'node:fs'
import type { Block, Genesis } from '../engine/index.ts'
import { decodeSignedTx, HEADER_BYTES, insuranceFundBalance, SIGNATURE_BYTES } from '../engine/index.ts'
import type { GossipVerdict, P2P } from '../p2p/index.ts'
import { createP2P } from '../p2p/index.ts'
import type { HealthReport, LimitsConfig, WsOptions, WsServerHandle } from '../rpc/index.ts'
import { buildRpcServer, createLimiter, DEFAULT_LIMITS, RpcError } from '../rpc/index.ts'
import { toHex } from '../state/index.ts'
import type { CommittedBlock } from './chain.ts'
import { Chain } from './chain.ts'
import { ChainStore } from './chainStore.ts'
import type { AlarmKind } from './evidence.ts'
import { ALARM_KINDS, clearAlarm } from './evidence.ts'
import type { FailPoint } from './failPoints.ts'
import type { Follower, RootMismatch } from './follower.ts'
import { createFollower } from './follower.ts'
import type { L1Link, L1Options } from './l1Link.ts'
import { connectL1 } from './l1Link.ts'
import { Mempool } from './mempool.ts'
import type { NodeMetrics } from './metrics.ts'
import { createNodeMetrics } from './metrics.ts'
import type { OwnKeyGuard } from './ownKeyGuard.ts'
import { createOwnKeyGuard } from './ownKeyGuard.ts'
import { createRpcBackend } from './rpcBackend.ts'
import { createSequencer } from './sequencer.ts'
import { createSignaturePool } from './signaturePool.ts'
import { addressOfPrivateKey } from './signatures.ts'
import { verifySignedTx } from './verify.ts'

export const VERSION = '0.1.0'

export interface NodeConfig {
  role: 'sequencer' | 'validator'
  genesis: Genesis
  dataDir: string
  rpcHost: string
  /** 0 picks a free port */
  rpcPort: number
  p2pListen: string[]
  bootstrap: string[]
  /** stable peer id seed (32 bytes); omit for a random one */
  p2pKey?: Uint8Array
  /** the sequencer's block-signing key; must match genesis.sequencer */
  signingKey?: Uint8Array
  blockTimeMs?: number
  /** heights whose state roots and proofs are kept (default 128) */
  keepHeights?: number
  mempoolCapacity?: number
  /** RPC rate limits per IP and per account (rpc/limits.ts); 'off' disables both; default DEFAULT_LIMITS */
  rpcLimits?: LimitsConfig | 'off'
  /** WebSocket `/ws` caps (connections per IP, subscriptions per connection, unsent bytes); defaults when absent */
  rpcWs?: WsOptions
  /** receives the WebSocket route's handle (subscription statistics, open connections) */
  onRpcWebSocket?: (handle: WsServerHandle) => void
  maxTxsPerBlock?: number
  log?: (msg: string) => void
  /** test hook between the steps of a commit (node/failPoints.ts) */
  failPoint?: FailPoint
  /** the L1 rollup this chain settles to (deposits in, roots out); omitted: no L1 */
  l1?: L1Options
  /** acknowledge the standing alarm at this height after inspection (`--clear-alarm`; node/evidence.ts) */
  clearAlarm?: bigint
  /** worker threads recovering signatures (node/signaturePool.ts); default os.availableParallelism(), 0: none */
  signatureWorkers?: number
  /** the signature workers' nice value, 0–19 (node/signaturePool.ts WORKER_NICE; Linux only) */
  signatureWorkerNice?: number
}

export interface PerpNode {
  readonly role: NodeConfig['role']
  readonly chain: Chain
  readonly p2p: P2P
  readonly rpcUrl: string
  readonly mismatch: RootMismatch | undefined
  /** this node's metrics (its own Prometheus registry, served at GET /metrics) */
  readonly metrics: NodeMetrics
  health(): HealthReport
  onCommitted(listener: (b: CommittedBlock) => void): void
  /** the L1 link, when configured */
  readonly l1: L1Link | undefined
  stop(): Promise<void>
}

export /** ms a validator reports a forwarded transaction as pending without seeing it included */
const FORWARDED_TTL_MS = 30_000
const DEFAULT_MEMPOOL_CAPACITY = 50_000
export const DEFAULT_MAX_TXS_PER_BLOCK = 5_000
/** A transaction's binary form is at most ~1 KB plus oracle arrays of 256 × 36 bytes. */
export const MAX_TX_BYTES = 16 * 1024

export async function startNode(config: NodeConfig): Promise<PerpNode> {
  const log = config.log ?? (() => {})
  const now = (): number => Date.now()
  const blockTimeMs = config.blockTimeMs ?? config.genesis.blockTimeMs
  const maxTxsPerBlock = config.maxTxsPerBlock ?? DEFAULT_MAX_TXS_PER_BLOCK
  if (config.role === 'sequencer') {
    if (config.signingKey === undefined) throw new Error('a sequencer needs its signing key')
    const address = addressOfPrivateKey(config.signingKey)
    if (address !== config.genesis.sequencer)
      throw new Error(`signing key is for ${address}, but genesis names sequencer ${config.genesis.sequencer}`)
  }

  mkdirSync(config.dataDir, { recursive: true })
  const store = await ChainStore.open(config.dataDir, config.failPoint ? { failPoint: config.failPoint } : {})
  const stack: (() => Promise<void>)[] = [() => store.close()]
  const stop = async (): Promise<void> => {
    for (const close of stack.reverse()) await close().catch((e: unknown) => log(`stop: ${String(e)}`))
    stack.length = 0
  }
  try {
    if (store.hashIndexBuilt > 0) log(`chain store: indexed ${store.hashIndexBuilt} stored blocks by hash`)
    if (config.clearAlarm !== undefined) {
      const cleared = await clearAlarm(store, config.clearAlarm)
      log(
        `alarm cleared after inspection: ${cleared.detail}; the ${store.evidence.length} evidence records stay stored`,
      )
    }
    const chain = await Chain.open(config.genesis, store, config.keepHeights)
    const signatures = createSignaturePool({
      ...(config.signatureWorkers !== undefined ? { workers: config.signatureWorkers } : {}),
      ...(config.signatureWorkerNice !== undefined ? { nice: config.signatureWorkerNice } : {}),
    })
    stack.push(async () => {
      const { forced } = await signatures.stop()
      if (forced > 0) log(`stop: ${forced} signature workers did not finish in time and were terminated`)
    })
    const mempool = new Mempool(config.mempoolCapacity ?? DEFAULT_MEMPOOL_CAPACITY)
    let follower: Follower | undefined
    let lastBlockAt = now()
    chain.onCommitted((b) => {
      lastBlockAt = now()
      // A validator's pool holds what it forwarded, only so perp_transaction can say "pending": an included
      // transaction leaves it with its block, and one the sequencer has not included within FORWARDED_TTL_MS
      // was refused or lost, so it leaves too (perp_transaction then answers null rather than pending forever).
      if (config.role === 'validator') {
        mempool.remove(b.result.receipts.map((r) => r.hash))
        mempool.expire(now() - FORWARDED_TTL_MS)
      }
    })

    const health = (): HealthReport => {
      const height = chain.head.height.toString()
      if (follower?.mismatch !== undefined)
        return {
          ok: false,
          status: 'root-mismatch',
          height,
          detail: `state root differs at height ${follower.mismatch.height}`,
        }
      if (follower?.syncing) return { ok: false, status: 'syncing', height }
      const stale = now() - lastBlockAt > 5 * blockTimeMs
      const status = config.role === 'sequencer' ? 'producing' : 'following'
      return stale
        ? { ok: false, status: 'stalled', height, detail: `no block for ${now() - lastBlockAt} ms` }
        : { ok: true, status, height }
    }

    let l1: L1Link | undefined
    if (config.l1 !== undefined) {
      const link = await connectL1(config.l1, chain, config.role, config.signingKey, log)
      l1 = link
      stack.push(() => link.stop())
      chain.onCommitted(() => link.onCommitted())
    }

    let p2p: P2P | undefined
    const backend = createRpcBackend({
      chain,
      mempool,
      role: config.role,
      version: VERSION,
      now,
      peers: () => p2p?.peers().length ?? 0,
      health,
      log,
      signatures,
      ...(l1 !== undefined ? { settlement: () => (l1 as L1Link).settlement() } : {}),
      ...(config.role === 'validator'
        ? { forward: (bytes: Uint8Array) => (p2p as P2P).publishTransaction(bytes) }
        : {}),
    })
    const metrics = createNodeMetrics({
      mempoolSize: () => mempool.size,
      peers: () => p2p?.peers().length ?? 0,
      headHeight: () => chain.head.height,
      insuranceFund: () => insuranceFundBalance(chain.state),
      alarm: () => {
        const status = backend.health().status
        return (ALARM_KINDS as readonly string[]).includes(status) ? (status as AlarmKind) : null
      },
    })
    chain.onCommitted((b) => metrics.blockCommitted(b.result))

    if (config.role === 'validator') {
      const link = l1
      follower = createFollower({
        chain,
        blockTimeMs,
        maxTxsPerBlock,
        now,
        log,
        metrics,
        signatures,
        ...(link !== undefined ? { checkBlock: (block: Block) => link.checkDeposits(block, chain.state.bridge) } : {}),
      })
    }
    // the sequencer's check on its own key (node/ownKeyGuard.ts); validators check blocks in the follower
    const guard: OwnKeyGuard | undefined =
      config.role === 'sequencer' ? createOwnKeyGuard({ chain, maxTxsPerBlock, now, log }) : undefined

    const onTransaction = (bytes: Uint8Array): GossipVerdict => {
      if (config.role !== 'sequencer') {
        // a validator relays only what decodes and is signed by its account, so the sequencer never has cause
        // to penalize it (p2p/penalties.ts) for a forwarded transaction; state checks are the sequencer's
        try {
          verifySignedTx(chain.domainSep, decodeSignedTx(bytes))
          return 'accept'
        } catch {
          return 'reject'
        }
      }
      try {
        backend.admitSigned(decodeSignedTx(bytes))
        return 'accept'
      } catch (e) {
        // a transaction that was valid when forwarded may have become stale (nonce used): not the peer's fault
        return e instanceof RpcError ? 'ignore' : 'reject'
      }
    }
    p2p = await createP2P({
      chainId: config.genesis.chainId,
      listen: config.p2pListen,
      bootstrap: config.bootstrap,
      maxBlockBytes: HEADER_BYTES + 8 + SIGNATURE_BYTES + maxTxsPerBlock * 1024,
      maxTxBytes: MAX_TX_BYTES,
      onBlock: (bytes, from) =>
        follower !== undefined
          ? follower.onGossipBlock(bytes, from)
          : guard !== undefined
            ? guard.onGossipBlock(bytes, from)
            : 'ignore',
      onTransaction,
      serveBlocks: async (from, count) => {
        const out: Uint8Array[] = []
        for (let h = from; h < from + BigInt(count) && h <= chain.head.height; h++) {
          const bytes = await store.block(h)
          if (bytes === undefined) break
          out.push(bytes)
        }
        return out
      },
      serveBlocksByHash: (hashes) => Promise.all(hashes.map(async (h) => (await store.blockByHash(h)) ?? null)),
      log,
      ...(config.p2pKey !== undefined ? { privateKey: config.p2pKey } : {}),
    })
    const network = p2p
    stack.push(() => network.stop())

    if (follower !== undefined) {
      const f = follower
      f.attach(network)
      f.start()
      stack.push(() => f.stop())
    }
    if (config.role === 'sequencer') {
      const s = createSequencer({
        chain,
        mempool,
        signingKey: config.signingKey as Uint8Array,
        blockTimeMs,
        maxTxsPerBlock,
        publish: (bytes) => network.publishBlock(bytes),
        ...(l1 !== undefined
          ? { systemTxs: (max: number) => (l1 as L1Link).depositsFor(chain.state.bridge, max) }
          : {}),
        now,
        log,
        metrics,
        halted: () => guard?.halted ?? false,
      })
      s.start()
      stack.push(() => s.stop())
    }

    const limits = config.rpcLimits ?? DEFAULT_LIMITS
    const app = buildRpcServer(backend, {
      log,
      metrics,
      metricsText: () => metrics.text(),
      version: VERSION,
      ...(limits !== 'off' ? { limiter: createLimiter(limits) } : {}),
      ...(config.rpcWs !== undefined ? { ws: config.rpcWs } : {}),
      ...(config.onRpcWebSocket !== undefined ? { onWebSocket: config.onRpcWebSocket } : {}),
    })
    const address = await app.listen({ host: config.rpcHost, port: config.rpcPort })
    stack.push(() => app.close())
    log(
      `${config.role} ${toHex(chain.genesisHash).slice(0, 10)} at ${chain.describeHead()}, rpc ${address}, p2p ${network.multiaddrs()[0] ?? ''}`,
    )

    return {
      role: config.role,
      chain,
      p2p: network,
      rpcUrl: address,
      get mismatch() {
        return follower?.mismatch
      },
      health,
      metrics,
      l1,
      onCommitted: (listener) => chain.onCommitted(listener),
      stop,
    }
  } catch (e) {
    await stop()
    throw e
  }
}
