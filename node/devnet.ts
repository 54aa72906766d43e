/**
 * @module `perpd devnet`: a sequencer and validators in one process on loopback (RPC on 8545, 8546, …), with
 * the market simulation unless `sim` is off, and one line per block. With `dataDir` the chain persists and
 * a later run resumes it; without, it lives in a temporary directory removed on stop.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { keccak256, toHex } from '../state/index.ts'
import { createBlockLog } from './blockLog.ts'
import { devnetKey, SEQUENCER_KEY_INDEX } from './devnetKeys.ts'
import { DEVNET_GENESIS_PATH, loadGenesis } from './genesisFile.ts'
import type { EmbeddedSettlement } from './l1Setup.ts'
import { startEmbeddedSettlement } from './l1Setup.ts'
import type { PerpNode } from './node.ts'
import { startNode } from './node.ts'
import type { Simulation } from './sim.ts'
import { startSimulation } from './sim.ts'

export interface DevnetOptions {
  dataDir?: string
  sim: boolean
  validators?: number
  rpcHost?: string
  rpcPort?: number
  blockTimeMs?: number
  /** run the embedded L1 with the rollup contract (default true); its Ethereum JSON-RPC listens on rpcPort + 10 */
  l1?: boolean
  print: (line: string) => void
}

export interface Devnet {
  sequencer: PerpNode
  validators: PerpNode[]
  settlement: EmbeddedSettlement | undefined
  stop(): Promise<void>
}

/** Stable peer id seeds, so a resumed devnet keeps its peer ids. */
function p2pSeed(name: string): Uint8Array {
  return keccak256(new TextEncoder().encode(`perpd devnet p2p ${name}`))
}

export async function startDevnet(o: DevnetOptions): Promise<Devnet> {
  const root = o.dataDir ?? mkdtempSync(join(tmpdir(), 'perpd-devnet-'))
  const temporary = o.dataDir === undefined
  const genesis = loadGenesis(DEVNET_GENESIS_PATH)
  const host = o.rpcHost ?? '127.0.0.1'
  const port = o.rpcPort ?? 8545
  const count = o.validators ?? 2
  const log = (msg: string): void => o.print(msg)
  const nodes: PerpNode[] = []
  let sim: Simulation | undefined
  let settlement: EmbeddedSettlement | undefined
  let flushTimer: NodeJS.Timeout | undefined

  const stop = async (): Promise<void> => {
    if (flushTimer !== undefined) clearInterval(flushTimer)
    await sim?.stop()
    for (const n of [...nodes].reverse()) await n.stop()
    await settlement?.stop()
    if (temporary) rmSync(root, { recursive: true, force: true })
  }

  try {
    const blockLog = createBlockLog({
      validators: count,
      waitMs: 1500,
      print: o.print,
      quietEmpty: !o.sim,
      now: Date.now,
    })
    if (o.l1 !== false)
      settlement = await startEmbeddedSettlement({
        genesis,
        dataDir: join(root, 'l1'),
        host,
        port: port + 10,
        log: (msg) => log(msg),
      })
    const l1 = settlement === undefined ? {} : { l1: settlement.options }
    const sequencer = await startNode({
      role: 'sequencer',
      genesis,
      dataDir: join(root, 'sequencer'),
      rpcHost: host,
      rpcPort: port,
      p2pListen: ['/ip4/127.0.0.1/tcp/0'],
      bootstrap: [],
      p2pKey: p2pSeed('sequencer'),
      signingKey: devnetKey(SEQUENCER_KEY_INDEX).privateKey,
      ...(o.blockTimeMs !== undefined ? { blockTimeMs: o.blockTimeMs } : {}),
      ...l1,
      log,
    })
    nodes.push(sequencer)
    sequencer.onCommitted((b) => {
      const receipts = b.result.receipts
      const fills = receipts.reduce((n, r) => n + r.events.filter((e) => e.type === 'fill').length, 0)
      const rejected = receipts.filter((r) => !r.ok).length
      const liquidation = new Set(['auctionStarted', 'auctionFill', 'insuranceTakeover', 'deleveraged'])
      const liquidations = [...b.result.events, ...receipts.flatMap((r) => r.events)].filter((e) =>
        liquidation.has(e.type),
      ).length
      blockLog.sequencerBlock(
        b.block.header.height,
        toHex(b.block.header.stateRoot),
        receipts.length,
        rejected,
        fills,
        liquidations,
      )
    })
    for (let i = 1; i <= count; i++) {
      const v = await startNode({
        role: 'validator',
        genesis,
        dataDir: join(root, `validator-${i}`),
        rpcHost: host,
        rpcPort: port + i,
        p2pListen: ['/ip4/127.0.0.1/tcp/0'],
        bootstrap: sequencer.p2p.multiaddrs(),
        p2pKey: p2pSeed(`validator-${i}`),
        ...(o.blockTimeMs !== undefined ? { blockTimeMs: o.blockTimeMs } : {}),
        ...l1,
        log: (msg) => log(`validator-${i}: ${msg}`),
      })
      nodes.push(v)
      v.onCommitted((b) => blockLog.validatorBlock(b.block.header.height, toHex(b.block.header.stateRoot)))
    }
    flushTimer = setInterval(() => blockLog.flush(), 500)
    o.print(`devnet: chain ${genesis.chainId}, data in ${temporary ? 'a temporary directory' : root}`)
    o.print(
      `devnet: sequencer rpc ${sequencer.rpcUrl}; validators ${nodes
        .slice(1)
        .map((n) => n.rpcUrl)
        .join(', ')}`,
    )
    if (settlement !== undefined)
      o.print(
        `devnet: embedded L1 ${settlement.l1.chainId} at ${settlement.l1.url ?? 'in-process'}; rollup ${settlement.deployment.rollup}, mock USDC ${settlement.deployment.token}`,
      )
    if (o.sim) {
      sim = await startSimulation({
        sequencerUrl: sequencer.rpcUrl,
        validatorUrl: nodes[1]?.rpcUrl ?? sequencer.rpcUrl,
        ...(settlement !== undefined
          ? {
              l1: {
                l1: settlement.l1,
                rollup: settlement.deployment.rollup,
                token: settlement.deployment.token,
              },
            }
          : {}),
        log,
      }).catch((e: unknown) => {
        throw new Error(`the market simulation could not start: ${e instanceof Error ? e.message : String(e)}`)
      })
      o.print(
        `devnet: market simulation on (oracle feeder, 2 market makers, 2 takers, a liquidator${settlement !== undefined ? ', a bridger' : ''}); --sim off to disable`,
      )
    }
    return { sequencer, validators: nodes.slice(1), settlement, stop }
  } catch (e) {
    await stop()
    throw e
  }
}
