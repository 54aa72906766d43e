/**
 * @module Block propagation and block sync, on loopback with real parts: libp2p (TCP + Noise + Yamux +
 * gossipsub), LevelDB in temp dirs, secp256k1 signatures on every transaction and block.
 *
 * The sequencer is composed from the node's own parts (ChainStore, Chain, Mempool, createSequencer, createP2P,
 * as node/node.ts wires them) so the bench can fill its mempool with pre-signed transactions and call
 * `produce()` block by block; the validators are whole nodes from `startNode`, so what they measure is what a
 * real validator does: gossip receive → decode → header signature → txRoot → transaction signatures →
 * re-execute → compare the state root → commit.
 *
 * 1. Propagation: 36 blocks of 1,000 transactions (after 3 warm-up blocks). Per block, the time from the
 *    sequencer handing the committed block to gossip until the validator has committed that height (one
 *    process, one clock). Reference, same blocks: the sequencer's own execute + sign + commit of the block.
 * 2. Sync: 200 more blocks of 20–180 transactions, then a fresh validator catches up all 239 blocks over the
 *    block-sync protocol. Reference: the same follower code importing the same block bytes on a fresh store
 *    without any network.
 *
 * Traffic is the engine-replay mix (70% resting orders, 25% cancels, 5% IOC) over 1,000 funded accounts.
 * The genesis starts now and tolerates an old oracle price, so no oracle reports are needed.
 */
import { readFileSync } from 'node:fs'
import { setTimeout as sleep } from 'node:timers/promises'
import type { Address, Genesis, SignedTx, TxMessage, VerifiedTx } from '../engine/index.ts'
import {
  decodeSignedTx,
  domainSeparator,
  HEADER_BYTES,
  parseGenesis,
  SIGNATURE_BYTES,
  seededRandom,
  typedDataDigest,
} from '../engine/index.ts'
import { createFollower } from '../node/follower.ts'
import type { NodeConfig, PerpNode } from '../node/index.ts'
import {
  addressOfPrivateKey,
  Chain,
  ChainStore,
  DEVNET_GENESIS_PATH,
  devnetKey,
  SEQUENCER_KEY_INDEX,
  signDigest,
  startNode,
} from '../node/index.ts'
import { Mempool } from '../node/mempool.ts'
import { createSequencer } from '../node/sequencer.ts'
import type { VerifiedSignedTx } from '../node/verify.ts'
import type { P2P } from '../p2p/index.ts'
import { createP2P } from '../p2p/index.ts'
import type { Measurement, Row } from './harness.ts'
import { freePort, percentile, row } from './harness.ts'
import { tempDirs } from './propagationSupport.ts'

const ACCOUNTS = 1000
const WARMUP = 3
const PROPAGATION_BLOCKS = 36
const BIG_BLOCK = 1000
const SYNC_EXTRA_BLOCKS = 200
const MAX_TXS = 5000

interface Keyed {
  key: Uint8Array
  address: Address
}

export function accountKeys(): Keyed[] {
  return Array.from({ length: ACCOUNTS }, (_, i) => {
    const key = new Uint8Array(32)
    key[0] = 0x11
    new DataView(key.buffer).setUint32(28, i + 1)
    return { key, address: addressOfPrivateKey(key) }
  })
}

export function benchGenesis(accounts: Keyed[]): Genesis {
  const json = JSON.parse(readFileSync(DEVNET_GENESIS_PATH, 'utf8')) as Record<string, unknown>
  json.genesisTime = String(Date.now() - 1000)
  json.accounts = accounts.map((a) => ({ address: a.address, subaccount: 0, collateral: '1000000000000' }))
  const rateLimits = json.rateLimits as Record<string, unknown>
  rateLimits.maxOrders = 1_000_000
  rateLimits.maxCancels = 1_000_000
  const oracle = json.oracle as Record<string, unknown>
  oracle.maxPriceAgeMs = String(3_600_000)
  return parseGenesis(json)
}

interface MarketParams {
  tickSize: bigint
  lotSize: bigint
  price: bigint
}

/** The engine-replay mix (bench/engineReplay.ts) over real, signing accounts. */
export class SignedMix {
  readonly #rand = seededRandom(11)
  readonly #recent: bigint[][] = Array.from({ length: ACCOUNTS }, () => [])
  #nonce = 0n
  readonly #accounts: Keyed[]
  readonly #markets: MarketParams[]
  readonly #domainSep: Uint8Array

  constructor(accounts: Keyed[], genesis: Genesis) {
    this.#accounts = accounts
    this.#domainSep = domainSeparator(genesis.chainId)
    const json = JSON.parse(readFileSync(DEVNET_GENESIS_PATH, 'utf8')) as {
      markets: { tickSize: string; lotSize: string; initialPrice: string }[]
    }
    this.#markets = json.markets.slice(0, 2).map((m) => ({
      tickSize: BigInt(m.tickSize),
      lotSize: BigInt(m.lotSize),
      price: BigInt(m.initialPrice),
    }))
  }

  block(count: number): VerifiedSignedTx[] {
    const out: VerifiedSignedTx[] = []
    for (let k = 0; k < count; k++) {
      const i = Math.floor(this.#rand() * ACCOUNTS)
      const a = this.#accounts[i] as Keyed
      const market = this.#rand() < 0.5 ? 0 : 1
      const m = this.#markets[market] as MarketParams
      const nonce = ++this.#nonce
      const roll = this.#rand()
      const recent = this.#recent[i] as bigint[]
      let msg: TxMessage
      if (roll < 0.25 && recent.length > 0) {
        const clientId = recent.splice(Math.floor(this.#rand() * recent.length), 1)[0] as bigint
        msg = { kind: 'cancel', message: { account: a.address, subaccount: 0, market, clientId, nonce } }
      } else {
        const isBuy = this.#rand() < 0.5
        const taking = roll > 0.95
        const ticks = BigInt(1 + Math.floor(this.#rand() * 50)) * m.tickSize * 10n
        const price = taking ? (isBuy ? m.price * 2n : m.tickSize) : isBuy ? m.price - ticks : m.price + ticks
        if (!taking) recent.push(nonce)
        msg = {
          kind: 'order',
          message: {
            account: a.address,
            subaccount: 0,
            market,
            isBuy,
            price: (price / m.tickSize) * m.tickSize,
            size: m.lotSize * BigInt(1 + Math.floor(this.#rand() * 5)),
            timeInForce: taking ? 1 : 0,
            reduceOnly: false,
            postOnly: false,
            clientId: nonce,
            nonce,
            expiresAt: 0n,
          },
        }
      }
      const hash = typedDataDigest(this.#domainSep, msg.kind, msg.message as never)
      const signed = { ...msg, signature: signDigest(a.key, hash) } as SignedTx
      out.push({ tx: { ...signed, hash, signer: a.address } as VerifiedTx, signed })
    }
    return out
  }
}

/** Commit times (performance.now()) by height, and a wait for a height that rejects after `ms`. */
function track(node: { onCommitted(l: (b: { block: { header: { height: bigint } } }) => void): void }) {
  const times = new Map<bigint, number>()
  const waiters = new Map<bigint, () => void>()
  node.onCommitted((b) => {
    const h = b.block.header.height
    times.set(h, performance.now())
    waiters.get(h)?.()
  })
  const wait = async (height: bigint, ms: number): Promise<number> => {
    if (!times.has(height)) {
      let timer: NodeJS.Timeout | undefined
      await new Promise<void>((resolve, reject) => {
        waiters.set(height, resolve)
        timer = setTimeout(() => reject(new Error(`height ${height} not imported within ${ms} ms`)), ms)
      }).finally(() => {
        clearTimeout(timer)
        waiters.delete(height)
      })
    }
    return times.get(height) as number
  }
  return { times, wait }
}

const ms = (name: string, value: number, count: number, total: number): Measurement => ({
  name,
  opsPerSec: value,
  ops: count,
  ms: total,
})

export async function propagationRows(): Promise<Row[]> {
  const accounts = accountKeys()
  const genesis = benchGenesis(accounts)
  const mix = new SignedMix(accounts, genesis)
  const signStart = performance.now()
  const big = Array.from({ length: WARMUP + PROPAGATION_BLOCKS }, () => mix.block(BIG_BLOCK))
  const rand = seededRandom(5)
  const small = Array.from({ length: SYNC_EXTRA_BLOCKS }, () => mix.block(20 + Math.floor(rand() * 161)))
  const signMs = performance.now() - signStart

  const dirs = tempDirs('bench-prop')
  const stops: (() => Promise<void>)[] = []
  const log = (): void => {}
  try {
    // the sequencer, composed as node/node.ts does, without its timer loop and RPC
    const store = await ChainStore.open(dirs.make('seq'))
    stops.push(() => store.close())
    const chain = await Chain.open(genesis, store)
    const mempool = new Mempool(MAX_TXS * 2)
    const port = await freePort()
    const network: P2P = await createP2P({
      chainId: genesis.chainId,
      listen: [`/ip4/127.0.0.1/tcp/${port}`],
      bootstrap: [],
      maxBlockBytes: HEADER_BYTES + 8 + SIGNATURE_BYTES + MAX_TXS * 1024,
      maxTxBytes: 16 * 1024,
      onBlock: () => 'ignore',
      onTransaction: (bytes) => {
        decodeSignedTx(bytes)
        return 'ignore'
      },
      serveBlocks: async (from, count) => {
        const out: Uint8Array[] = []
        for (let h = from; h < from + BigInt(count) && h <= chain.head.height; h++) {
          const bytes = await store.block(h)
          if (bytes === undefined) break
          out.push(bytes)
        }
        return out
      },
      privateKey: new Uint8Array(32).fill(7),
      log,
    })
    stops.push(() => network.stop())
    let publishedAt = 0
    const sequencer = createSequencer({
      chain,
      mempool,
      signingKey: devnetKey(SEQUENCER_KEY_INDEX).privateKey,
      blockTimeMs: genesis.blockTimeMs,
      maxTxsPerBlock: MAX_TXS,
      publish: (bytes) => {
        publishedAt = performance.now()
        return network.publishBlock(bytes)
      },
      now: () => Date.now(),
      log,
    })
    const seqAddr = network.multiaddrs()[0] as string
    const validatorConfig = (dir: string, blockTimeMs: number): NodeConfig => ({
      role: 'validator',
      genesis,
      dataDir: dir,
      rpcHost: '127.0.0.1',
      rpcPort: 0,
      p2pListen: ['/ip4/127.0.0.1/tcp/0'],
      bootstrap: [seqAddr],
      blockTimeMs,
      log,
    })

    // 1. propagation
    const validator: PerpNode = await startNode(validatorConfig(dirs.make('val'), 2000))
    stops.push(() => validator.stop())
    const imported = track(validator)
    const deadline = performance.now() + 15_000
    while (validator.p2p.peers().length === 0 && performance.now() < deadline) await sleep(20)
    await sleep(1000) // a gossipsub heartbeat or two, so the validator is in the sequencer's mesh
    const propagation: number[] = []
    const local: number[] = []
    let bigTxs = 0
    let bigBytes = 0
    for (const [i, entries] of big.entries()) {
      for (const e of entries) mempool.add(e)
      const start = performance.now()
      const committed = await sequencer.produce()
      if (committed === undefined || committed.block.txs.length !== entries.length)
        throw new Error('the sequencer did not include the prepared block')
      const height = committed.block.header.height
      const at = await imported.wait(height, 20_000)
      if (i < WARMUP) continue
      bigTxs += entries.length
      bigBytes += committed.bytes.length
      propagation.push(at - publishedAt)
      local.push(publishedAt - start)
    }
    if (validator.mismatch !== undefined) throw new Error('validator reported a root mismatch')
    for (const entries of small) {
      for (const e of entries) mempool.add(e)
      if ((await sequencer.produce()) === undefined) throw new Error('block not produced')
    }
    const head = chain.head.height
    await imported.wait(head, 30_000)
    await validator.stop()
    stops.pop()

    const blockBytes: Uint8Array[] = []
    let syncTxs = 0
    for (let h = 1n; h <= head; h++) {
      const bytes = (await store.block(h)) as Uint8Array
      blockBytes.push(bytes)
    }
    for (const b of big) syncTxs += b.length
    for (const b of small) syncTxs += b.length

    // reference, run first: the follower's import of the same bytes on a fresh store, no network
    const refStore = await ChainStore.open(dirs.make('ref'))
    stops.push(() => refStore.close())
    const refChain = await Chain.open(genesis, refStore)
    const follower = createFollower({ chain: refChain, blockTimeMs: 100, maxTxsPerBlock: MAX_TXS, now: Date.now, log })
    const replayed = track(refChain)
    for (const bytes of blockBytes) {
      const height = refChain.head.height + 1n
      if ((await follower.onGossipBlock(bytes, 'local')) !== 'accept') throw new Error('reference import refused')
      await replayed.wait(height, 10_000)
    }
    await follower.stop()
    if (follower.mismatch !== undefined) throw new Error('reference replay reported a root mismatch')

    // 2. sync: a fresh validator catches up all blocks from the sequencer
    const syncing: PerpNode = await startNode(validatorConfig(dirs.make('sync'), 100))
    stops.push(() => syncing.stop())
    const synced = track(syncing)
    await synced.wait(head, 120_000)
    if (syncing.mismatch !== undefined) throw new Error('syncing validator reported a root mismatch')
    await syncing.stop()
    stops.pop()

    // blocks 2..head over the time from the first to the last commit (excludes connecting and the sync timer)
    const rateOf = ({ times }: { times: Map<bigint, number> }): { blocks: number; ms: number } => {
      const t1 = times.get(1n) as number
      const tn = times.get(head) as number
      return { blocks: Number(head) - 1, ms: tn - t1 }
    }
    const firstTxs = big[0]?.length ?? 0
    const s = rateOf(synced)
    const r = rateOf(replayed)
    const txsAfterFirst = syncTxs - firstTxs

    const p = [...propagation].sort((a, b) => a - b)
    const l = [...local].sort((a, b) => a - b)
    const n = p.length
    const sum = (xs: number[]): number => xs.reduce((a, b) => a + b, 0)
    const propNote =
      `${n} blocks of 1,000 signed transactions (~${Math.round(bigBytes / n / 1024)} KiB each; 70/25/5 mix, 1,000 accounts), loopback; subject: sequencer ` +
      `hands the committed block to gossip → validator (startNode) has committed that height; reference: the ` +
      `sequencer's execute + sign + commit of the same block. Propagation min ${p[0]?.toFixed(1)} ms, max ` +
      `${p[n - 1]?.toFixed(1)} ms; ${bigTxs.toLocaleString('en-US')} transactions; signing all ` +
      `${syncTxs.toLocaleString('en-US')} transactions beforehand took ${Math.round(signMs)} ms`
    const syncNote =
      `a fresh validator (startNode) catches up ${head} blocks (${WARMUP + PROPAGATION_BLOCKS} of 1,000 ` +
      `transactions, ${SYNC_EXTRA_BLOCKS} of 20–180; ${syncTxs.toLocaleString('en-US')} in all) over block sync; ` +
      `rates over blocks 2..${head} (first to last commit); reference: the follower importing the same block bytes ` +
      `on a fresh LevelDB store without network`
    return [
      row(
        'block propagation p50, 1,000-tx blocks',
        ms('publish → validator commit', percentile(p, 50), n, sum(p)),
        ms('sequencer execute+commit', percentile(l, 50), n, sum(l)),
        { unit: ' ms', note: propNote },
      ),
      row(
        'block propagation p99, 1,000-tx blocks',
        ms('publish → validator commit', percentile(p, 99), n, sum(p)),
        ms('sequencer execute+commit', percentile(l, 99), n, sum(l)),
        { unit: ' ms' },
      ),
      row(
        'block sync, blocks/s',
        ms('sync over libp2p', (s.blocks * 1000) / s.ms, s.blocks, s.ms),
        ms('import without network', (r.blocks * 1000) / r.ms, r.blocks, r.ms),
        { note: syncNote },
      ),
      row(
        'block sync, tx/s',
        ms('sync over libp2p', (txsAfterFirst * 1000) / s.ms, txsAfterFirst, s.ms),
        ms('import without network', (txsAfterFirst * 1000) / r.ms, txsAfterFirst, r.ms),
      ),
    ]
  } finally {
    for (const stop of stops.reverse()) await stop().catch(() => {})
    dirs.remove()
  }
}
