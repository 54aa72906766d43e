/**
 * Shadow replicas, with real parts on loopback: a sequencer, a validator that follows it live, and a shadow
 * validator that is stopped and restarted from its data directory before every block.
 *
 * The shadow is a whole node (startNode: LevelDB, chain reload with its root check, libp2p, follower, RPC). Its
 * only peer is a feeder host made here that serves the sequencer's signed block bytes over the block-sync
 * protocol, but never past a height the test sets. So each start of the shadow loads height h−1 from disk, syncs
 * exactly block h (re-executing it and checking the header's root), and is stopped again after the comparison.
 *
 * Traffic: test/support/load.ts (oracle reports, maker orders and cancelAlls, taker IOCs that fill) and
 * test/support/sideTraffic.ts (transfers between subaccounts, resting orders, cancels by client id). At every
 * height the three nodes must serve the same perp_block (header, state root, signature, transaction list,
 * block events) and the same perp_transaction receipt for each of its transactions.
 */
import { afterAll, describe, expect, it } from 'vitest'
import { HEADER_BYTES, SIGNATURE_BYTES } from '../../engine/index.ts'
import type { PerpNode } from '../../node/index.ts'
import type { P2P } from '../../p2p/index.ts'
import { createP2P } from '../../p2p/index.ts'
import { toHex } from '../../state/index.ts'
import { Load } from '../support/load.ts'
import { startSequencer, startValidator, tempDir } from '../support/nodes.ts'
import { call, waitFor } from '../support/rpcClient.ts'
import { SideTraffic } from '../support/sideTraffic.ts'

/** heights of traffic before the load stops; the shadow then replays every height from 1 */
const TRAFFIC_HEIGHTS = 30n

interface BlockJson {
  height: string
  stateRoot: string
  hash?: string
  transactions: string[]
  events: unknown[]
}

interface TxJson {
  status: string
  kind: string
  events: { type: string }[]
}

describe('shadow replicas', () => {
  const dirs = [tempDir('shadow-seq'), tempDir('shadow-val'), tempDir('shadow-replica')]
  const running: { stop(): Promise<void> }[] = []

  afterAll(async () => {
    for (const n of running.reverse()) await n.stop().catch(() => undefined)
    for (const d of dirs) d.remove()
  })

  it('a validator restarted from disk before every block serves the same roots and receipts at every height', async () => {
    const [seqDir, valDir, shadowDir] = dirs as [(typeof dirs)[0], (typeof dirs)[0], (typeof dirs)[0]]
    const sequencer = await startSequencer({ dataDir: seqDir.path, blockTimeMs: 100 })
    running.push(sequencer)
    const validator = await startValidator({ dataDir: valDir.path, bootstrap: sequencer.p2p.multiaddrs() })
    running.push(validator)

    // the feeder: serves the sequencer's stored blocks up to `limit`
    let limit = 0n
    const feeder: P2P = await createP2P({
      chainId: sequencer.chain.genesis.chainId,
      listen: ['/ip4/127.0.0.1/tcp/0'],
      bootstrap: [],
      maxBlockBytes: HEADER_BYTES + 8 + SIGNATURE_BYTES + 5_000 * 1024,
      maxTxBytes: 16 * 1024,
      onBlock: () => 'ignore',
      onTransaction: () => 'ignore',
      serveBlocks: async (from, count) => {
        const out: Uint8Array[] = []
        for (let h = from; h < from + BigInt(count) && h <= limit; h++) {
          const bytes = await sequencer.chain.store.block(h)
          if (bytes === undefined) break
          out.push(bytes)
        }
        return out
      },
    })
    running.push(feeder)

    const started = Date.now()
    const load = new Load(20_261_124)
    const side = new SideTraffic(7)
    await load.attach(sequencer.rpcUrl)
    side.start(sequencer.rpcUrl)
    const until = sequencer.chain.head.height + TRAFFIC_HEIGHTS
    await waitFor('traffic heights', async () => (sequencer.chain.head.height >= until ? true : undefined), 20_000)
    await load.stop()
    await side.stop()
    const last = sequencer.chain.head.height
    const trafficMs = Date.now() - started
    await waitFor('validator at the last height', async () => (validator.chain.head.height >= last ? true : undefined))

    const kinds = new Map<string, number>()
    const eventTypes = new Set<string>()
    let rejected = 0
    let restarts = 0
    const shadowStarted = Date.now()
    for (let h = 1n; h <= last; h++) {
      limit = h
      const shadow: PerpNode = await startValidator({
        dataDir: shadowDir.path,
        bootstrap: feeder.multiaddrs(),
        blockTimeMs: 20,
      })
      restarts++
      try {
        // loaded from disk at the previous height, then exactly one block by sync
        expect(shadow.chain.head.height).toBe(h - 1n)
        await waitFor(`shadow imports block ${h}`, async () => (shadow.chain.head.height >= h ? true : undefined))
        expect(shadow.chain.head.height).toBe(h)
        expect(shadow.mismatch).toBeUndefined()

        const urls = [sequencer.rpcUrl, validator.rpcUrl, shadow.rpcUrl]
        const blocks = await Promise.all(urls.map((u) => call<BlockJson | null>(u, 'perp_block', [h.toString()])))
        // `hash` is given only for a node's head, which the shadow is at and the others are past
        const [seqBlock, ...others] = blocks.map((b) => {
          expect(b).not.toBeNull()
          const { hash: _, ...rest } = b as BlockJson
          return rest
        })
        for (const b of others) expect(b, `perp_block ${h}`).toEqual(seqBlock)
        expect(toHex(shadow.chain.head.stateRoot)).toBe((seqBlock as BlockJson).stateRoot)
        for (const e of (seqBlock as BlockJson).events) eventTypes.add((e as { type: string }).type)

        for (const hash of (seqBlock as BlockJson).transactions) {
          const [s, v, r] = await Promise.all(urls.map((u) => call<TxJson>(u, 'perp_transaction', [hash])))
          expect(v, `receipt of ${hash} on the validator`).toEqual(s)
          expect(r, `receipt of ${hash} on the shadow`).toEqual(s)
          const tx = s as TxJson
          kinds.set(tx.kind, (kinds.get(tx.kind) ?? 0) + 1)
          if (tx.status === 'rejected') rejected++
          for (const e of tx.events) eventTypes.add(e.type)
        }
      } finally {
        await shadow.stop()
      }
    }
    const shadowMs = Date.now() - shadowStarted
    expect(restarts).toBe(Number(last))
    expect(validator.mismatch).toBeUndefined()

    // the traffic was mixed enough for equal answers to mean something
    for (const kind of ['order', 'cancel', 'cancelAll', 'transfer', 'oracleReport'])
      expect(kinds.get(kind) ?? 0, `${kind} transactions in blocks`).toBeGreaterThan(0)
    expect(eventTypes.has('fill')).toBe(true)
    expect(eventTypes.has('transfer')).toBe(true)
    const total = [...kinds.values()].reduce((a, b) => a + b, 0)
    console.log(
      `shadow replicas: ${last} heights, ${total} transactions (${[...kinds].map(([k, n]) => `${k} ${n}`).join(', ')}; ` +
        `${rejected} rejected in a block), events ${[...eventTypes].join(' ')}; traffic ${trafficMs} ms, ` +
        `${restarts} shadow restarts ${shadowMs} ms`,
    )
  })
})
