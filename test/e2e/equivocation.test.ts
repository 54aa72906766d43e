/**
 * Fraud evidence over real libp2p and LevelDB. A rogue peer holding the (public) devnet sequencer key:
 * - gossips a second, validly signed block at a height the validator already holds: the validator records both
 *   blocks, stops following and raises `equivocation` on /health and in perp_chainInfo.alarm;
 * - serves a signed block with a wrong state root: the validator records the block and both roots.
 * In both cases the alarm and the evidence survive a restart, and reads keep being served.
 */
import { afterAll, describe, expect, it } from 'vitest'
import type { BlockHeader } from '../../engine/index.ts'
import { blockHash, decodeBlock } from '../../engine/index.ts'
import { Chain } from '../../node/chain.ts'
import { ChainStore } from '../../node/chainStore.ts'
import type { Alarm, EquivocationEvidence, RootMismatchEvidence } from '../../node/evidence.ts'
import { currentAlarm, storedEvidence } from '../../node/evidence.ts'
import { createFollower } from '../../node/follower.ts'
import type { PerpNode } from '../../node/index.ts'
import { DEVNET_GENESIS_PATH, loadGenesis, recoverSigner } from '../../node/index.ts'
import type { P2P } from '../../p2p/index.ts'
import { EMPTY_ROOT, fromHex, keccak256, toHex } from '../../state/index.ts'
import { startSequencer, startValidator, tempDir } from '../support/nodes.ts'
import { health, rogueP2P, signBlock } from '../support/roguePeer.ts'
import { call, waitFor } from '../support/rpcClient.ts'

const genesis = loadGenesis(DEVNET_GENESIS_PATH)

interface Info {
  height: string
  alarm: Alarm | null
}

describe('equivocation', () => {
  const seqDir = tempDir('equiv-seq')
  const valDir = tempDir('equiv-val')
  let sequencer: PerpNode | undefined
  let validator: PerpNode | undefined
  let rogue: P2P | undefined

  afterAll(async () => {
    await validator?.stop()
    await rogue?.stop()
    await sequencer?.stop()
    seqDir.remove()
    valDir.remove()
  })

  it('records two signed blocks at one height, raises the alarm, stops following and keeps it after a restart', async () => {
    sequencer = await startSequencer({ dataDir: seqDir.path })
    const seq = sequencer
    validator = await startValidator({ dataDir: valDir.path, bootstrap: seq.p2p.multiaddrs() })
    let v = validator
    await waitFor('the validator to follow', async () => (v.chain.head.height >= 3n ? true : undefined))
    expect((await call<Info>(v.rpcUrl, 'perp_chainInfo')).alarm).toBeNull()

    // a second block at height 2, which the validator already holds: same parent, another time
    const height = 2n
    const held = decodeBlock((await v.chain.store.block(height)) as Uint8Array)
    const header: BlockHeader = { ...held.header, time: held.header.time + 1n, txRoot: EMPTY_ROOT }
    const conflicting = signBlock(header)
    const heldHash = toHex(blockHash(held.header))
    const conflictingHash = toHex(blockHash(header))
    expect(conflictingHash).not.toBe(heldHash)

    rogue = await rogueP2P(v.p2p.multiaddrs())
    const r = rogue
    // published until the rogue has joined the validator's topic (a publish with no subscriber is not sent)
    await waitFor('the equivocation alarm', async () => {
      await r.publishBlock(conflicting)
      return (await health(v.rpcUrl)).status === 503 ? true : undefined
    })

    const h = await health(v.rpcUrl)
    expect(h.status).toBe(503)
    expect(h.body).toMatchObject({ ok: false, status: 'equivocation' })
    const info = await call<Info>(v.rpcUrl, 'perp_chainInfo')
    expect(info.alarm).toMatchObject({ kind: 'equivocation', height: '2' })
    expect(info.alarm?.detail).toContain(conflictingHash)
    const evidence = info.alarm?.evidence as EquivocationEvidence
    expect(evidence.blocks.map((b) => b.hash)).toEqual([heldHash, conflictingHash])
    // the evidence stands on its own: both blocks decode, are at height 2, differ, and carry the sequencer's signature
    for (const b of evidence.blocks) {
      const block = decodeBlock(fromHex(b.block))
      expect(block.header.height).toBe(height)
      expect(toHex(blockHash(block.header))).toBe(b.hash)
      expect(recoverSigner(blockHash(block.header), block.signature)).toBe(genesis.sequencer)
    }

    // the validator passed the conflicting block on, so the sequencer saw its own key sign another block at a
    // height it produced and stopped producing too (node/ownKeyGuard.ts). Its operator inspects the evidence and
    // restarts it on the same port with the alarm cleared; the same block arriving again does not stop it.
    await waitFor('the sequencer alarm', async () =>
      (await health(seq.rpcUrl)).body.status === 'equivocation' ? true : undefined,
    )
    const seqPort = Number(/\/tcp\/(\d+)/.exec(seq.p2p.multiaddrs()[0] ?? '')?.[1])
    await seq.stop()
    sequencer = await startSequencer({ dataDir: seqDir.path, p2pPort: seqPort, config: { clearAlarm: height } })
    const seq2 = sequencer

    // it stopped following: the sequencer goes on, the validator's head does not
    const stoppedAt = v.chain.head.height
    const seqTarget = seq2.chain.head.height + 5n
    await waitFor('the sequencer to go on', async () => (seq2.chain.head.height >= seqTarget ? true : undefined))
    expect(v.chain.head.height).toBe(stoppedAt)
    // reads are still served
    expect((await call<Info>(v.rpcUrl, 'perp_chainInfo')).height).toBe(stoppedAt.toString())
    expect(await call<unknown[]>(v.rpcUrl, 'perp_markets')).not.toHaveLength(0)
    expect(await call<{ height: string }>(v.rpcUrl, 'perp_block', ['2'])).toMatchObject({ height: '2' })

    // a restart keeps the alarm and the evidence, and the validator still does not follow
    await v.stop()
    await r.stop()
    rogue = undefined
    validator = await startValidator({ dataDir: valDir.path, bootstrap: seq2.p2p.multiaddrs() })
    v = validator
    const after = await call<Info>(v.rpcUrl, 'perp_chainInfo')
    expect(after.alarm).toEqual(info.alarm)
    expect(after.height).toBe(stoppedAt.toString())
    expect((await health(v.rpcUrl)).body).toMatchObject({ ok: false, status: 'equivocation' })
    await new Promise((res) => setTimeout(res, 800))
    expect(v.chain.head.height).toBe(stoppedAt)
    expect(await call<unknown[]>(v.rpcUrl, 'perp_markets')).not.toHaveLength(0)
  })
})

describe('root mismatch evidence', () => {
  const dir = tempDir('mismatch-evidence')
  let rogue: P2P | undefined
  let validator: PerpNode | undefined

  afterAll(async () => {
    await validator?.stop()
    await rogue?.stop()
    dir.remove()
  })

  it('records the block and both roots, and keeps the alarm after a restart', async () => {
    validator = await startValidator({ dataDir: dir.path })
    const genesisHash = validator.chain.genesisHash
    const genesisRoot = toHex(validator.chain.head.stateRoot)
    await validator.stop()

    const badRoot = keccak256(new TextEncoder().encode('not the state root'))
    const header: BlockHeader = {
      chainId: genesis.chainId,
      height: 1n,
      parentHash: genesisHash,
      time: genesis.genesisTime + 1000n,
      proposer: genesis.sequencer,
      txRoot: EMPTY_ROOT,
      stateRoot: badRoot,
    }
    const bad = signBlock(header)
    rogue = await rogueP2P([], (from) => (from === 1n ? [bad] : []))
    validator = await startValidator({ dataDir: dir.path, bootstrap: rogue.multiaddrs() })
    let v = validator
    const info = await waitFor('the alarm', async () => {
      const i = await call<Info>(v.rpcUrl, 'perp_chainInfo')
      return i.alarm === null ? undefined : i
    })
    expect(info.alarm).toMatchObject({ kind: 'root-mismatch', height: '1' })
    const evidence = info.alarm?.evidence as RootMismatchEvidence
    expect(evidence.expectedRoot).toBe(toHex(badRoot))
    // an empty block leaves the state as it is: re-executed, it gives the genesis root
    expect(evidence.computedRoot).toBe(genesisRoot)
    expect(evidence.blockHash).toBe(toHex(blockHash(header)))
    expect(evidence.block).toBe(toHex(bad))
    expect((await health(v.rpcUrl)).body).toMatchObject({ ok: false, status: 'root-mismatch' })

    await v.stop()
    await rogue.stop()
    rogue = undefined
    validator = await startValidator({ dataDir: dir.path })
    v = validator
    expect(v.mismatch).toMatchObject({ height: 1n, expected: toHex(badRoot), computed: genesisRoot })
    expect((await call<Info>(v.rpcUrl, 'perp_chainInfo')).alarm).toEqual(info.alarm)
    const h = await health(v.rpcUrl)
    expect(h.status).toBe(503)
    expect(h.body).toMatchObject({ ok: false, status: 'root-mismatch' })
    expect((await call<Info>(v.rpcUrl, 'perp_chainInfo')).height).toBe('0')
  })
})

describe('equivocation ahead of the head', () => {
  const dir = tempDir('equiv-ahead')
  afterAll(() => dir.remove())

  it('two signed blocks at a height not yet imported: evidence, alarm, and nothing imported after', async () => {
    const store = await ChainStore.open(dir.path)
    const chain = await Chain.open(genesis, store)
    const logs: string[] = []
    const follower = createFollower({
      chain,
      blockTimeMs: 100,
      maxTxsPerBlock: 100,
      now: () => Date.now(),
      log: (m) => logs.push(m),
    })
    const at = (height: bigint, parentHash: Uint8Array, time: bigint): BlockHeader => ({
      chainId: genesis.chainId,
      height,
      parentHash,
      time,
      proposer: genesis.sequencer,
      txRoot: EMPTY_ROOT,
      stateRoot: chain.head.stateRoot,
    })
    // height 2 while the head is 0: both wait (no peer to sync from), the second differs from the first
    const first = signBlock(at(2n, new Uint8Array(32).fill(1), genesis.genesisTime + 2000n))
    const second = signBlock(at(2n, new Uint8Array(32).fill(1), genesis.genesisTime + 2001n))
    expect(await follower.onGossipBlock(first, 'peer-a')).toBe('accept')
    expect(await follower.onGossipBlock(first, 'peer-a')).toBe('accept')
    expect(follower.halted).toBe(false)
    expect(await follower.onGossipBlock(second, 'peer-b')).toBe('accept')
    expect(follower.halted).toBe(true)
    // the same conflict again is not new evidence
    expect(await follower.onGossipBlock(second, 'peer-b')).toBe('ignore')
    expect(storedEvidence(store)).toHaveLength(1)
    const alarm = currentAlarm(store)
    expect(alarm).toMatchObject({ kind: 'equivocation', height: '2' })
    expect(((alarm as Alarm).evidence as EquivocationEvidence).blocks.map((b) => b.block)).toEqual([
      toHex(first),
      toHex(second),
    ])
    expect(logs.some((l) => l.startsWith('EQUIVOCATION'))).toBe(true)

    // a valid block at height 1 is no longer imported
    const one = signBlock(at(1n, chain.genesisHash, genesis.genesisTime + 1000n))
    expect(await follower.onGossipBlock(one, 'peer-a')).toBe('ignore')
    await follower.stop()
    expect(chain.head.height).toBe(0n)
    await store.close()

    // reopened, the store still holds the alarm and a new follower starts stopped
    const reopened = await ChainStore.open(dir.path)
    expect(currentAlarm(reopened)).toEqual(alarm)
    const again = createFollower({
      chain: await Chain.open(genesis, reopened),
      blockTimeMs: 100,
      maxTxsPerBlock: 100,
      now: () => Date.now(),
      log: () => {},
    })
    expect(again.halted).toBe(true)
    expect(again.mismatch).toBeUndefined()
    await again.stop()
    await reopened.close()
  })
})
