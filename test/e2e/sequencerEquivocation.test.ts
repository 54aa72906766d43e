/**
 * The sequencer checks its own key (node/ownKeyGuard.ts), over real libp2p and LevelDB. A rogue peer holding the
 * sequencer's (public, devnet) key gossips:
 * - another block at a height the sequencer produced: the sequencer records both blocks as equivocation, raises
 *   the alarm (/health 503, perp_chainInfo.alarm), logs it and stops producing; a validator connected to it gets
 *   the rogue block passed on and records the same conflict;
 * - after a restart the alarm stands and nothing is produced; `--clear-alarm` with the wrong height is refused,
 *   with the alarm's height it resumes (the evidence stays stored, and the same block again changes nothing);
 * - then a block at a height it has not produced: `foreign-block` evidence, and it stops again.
 */
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import type { BlockHeader } from '../../engine/index.ts'
import { blockHash, decodeBlock } from '../../engine/index.ts'
import type { Alarm, EquivocationEvidence, ForeignBlockEvidence } from '../../node/evidence.ts'
import { storedEvidence } from '../../node/evidence.ts'
import type { PerpNode } from '../../node/index.ts'
import { EMPTY_ROOT, toHex } from '../../state/index.ts'
import { runCli, sleep, writeSequencerKeyFile } from '../support/cliNode.ts'
import { startSequencer, startValidator, tempDir } from '../support/nodes.ts'
import { health, rogueP2P, signBlock } from '../support/roguePeer.ts'
import { call, waitFor } from '../support/rpcClient.ts'

interface Info {
  height: string
  alarm: Alarm | null
}

describe('the sequencer checks its own key', () => {
  const root = tempDir('seq-equiv')
  const valDir = tempDir('seq-equiv-val')
  // laid out as `perpd start --data ROOT` expects: the chain store in ROOT/chain
  const chainDir = join(root.path, 'chain')
  const running = new Set<{ stop(): Promise<void> }>()
  afterAll(async () => {
    for (const n of running) await n.stop()
    root.remove()
    valDir.remove()
  })

  async function sequencer(p2pPort: number, logs: string[], clearAlarm?: bigint): Promise<PerpNode> {
    const node = await startSequencer({
      dataDir: chainDir,
      p2pPort,
      log: (m) => logs.push(m),
      ...(clearAlarm !== undefined ? { config: { clearAlarm } } : {}),
    })
    running.add(node)
    return node
  }

  async function stop(n: { stop(): Promise<void> }): Promise<void> {
    await n.stop()
    running.delete(n)
  }

  /** The head stays where it is over 1.5 s (15 block intervals): nothing is produced. */
  async function notProducing(node: PerpNode): Promise<void> {
    const at = node.chain.head.height
    await sleep(1_500)
    expect(node.chain.head.height).toBe(at)
  }

  it('records, alarms and stops on another block signed with its key; stays stopped; resumes only when cleared', async () => {
    let logs: string[] = []
    let seq = await sequencer(0, logs)
    const port = Number(/\/tcp\/(\d+)/.exec(seq.p2p.multiaddrs()[0] ?? '')?.[1])
    const validator = await startValidator({ dataDir: valDir.path, bootstrap: seq.p2p.multiaddrs() })
    running.add(validator)
    await waitFor('the validator at height 3', async () => (validator.chain.head.height >= 3n ? true : undefined))

    // another block at height 2, which the sequencer produced: same parent, another time and no transactions
    const held = (await seq.chain.store.block(2n)) as Uint8Array
    const heldHeader = decodeBlock(held).header
    const rogueHeader: BlockHeader = { ...heldHeader, time: heldHeader.time + 1n, txRoot: EMPTY_ROOT }
    const rogueBlock = signBlock(rogueHeader)
    let rogue = await rogueP2P(seq.p2p.multiaddrs())
    running.add(rogue)
    const r = rogue
    await waitFor('the sequencer alarm', async () => {
      await r.publishBlock(rogueBlock)
      return (await health(seq.rpcUrl)).status === 503 ? true : undefined
    })

    expect((await health(seq.rpcUrl)).body).toMatchObject({ ok: false, status: 'equivocation' })
    const info = await call<Info>(seq.rpcUrl, 'perp_chainInfo')
    expect(info.alarm).toMatchObject({ kind: 'equivocation', height: '2' })
    const evidence = info.alarm?.evidence as EquivocationEvidence
    expect(evidence.blocks).toEqual([
      { hash: toHex(blockHash(heldHeader)), block: toHex(held) },
      { hash: toHex(blockHash(rogueHeader)), block: toHex(rogueBlock) },
    ])
    // the loud log follows the synced write of the evidence, which may end after the 503 and the reads above
    await waitFor('the equivocation log line', async () =>
      logs.some((m) => m.startsWith("EQUIVOCATION WITH THIS SEQUENCER'S KEY")) ? true : undefined,
    )
    expect(logs.some((m) => m.includes('Stopped producing blocks') && m.includes('--clear-alarm 2'))).toBe(true)
    await notProducing(seq)
    // the sequencer passed the block on: its validator saw the same two blocks at height 2
    await waitFor('the validator alarm', async () =>
      (await health(validator.rpcUrl)).body.status === 'equivocation' ? true : undefined,
    )
    const validatorInfo = await call<Info>(validator.rpcUrl, 'perp_chainInfo')
    expect(((validatorInfo.alarm as Alarm).evidence as EquivocationEvidence).blocks.map((b) => b.hash)).toEqual(
      evidence.blocks.map((b) => b.hash),
    )
    await stop(validator)
    await stop(rogue)

    // a restart keeps it stopped, with the same alarm
    const stoppedAt = seq.chain.head.height
    await stop(seq)
    logs = []
    seq = await sequencer(port, logs)
    expect((await call<Info>(seq.rpcUrl, 'perp_chainInfo')).alarm).toEqual(info.alarm)
    expect((await health(seq.rpcUrl)).status).toBe(503)
    expect(logs.some((m) => m.startsWith('ALARM STANDS') && m.includes('--clear-alarm 2'))).toBe(true)
    await notProducing(seq)
    expect(seq.chain.head.height).toBe(stoppedAt)
    await stop(seq)

    // through the CLI: a --clear-alarm that is not the alarm's height is refused, and so is a non-height
    const keyFile = writeSequencerKeyFile(join(root.path, 'sequencer.key'))
    const cli = (clear: string) =>
      runCli([
        'start',
        '--role',
        'sequencer',
        '--data',
        root.path,
        '--key-file',
        keyFile,
        '--rpc',
        '127.0.0.1:0',
        '--clear-alarm',
        clear,
      ])
    const wrong = await cli('3')
    expect(wrong.code).not.toBe(0)
    expect(wrong.stderr).toContain('the alarm stands at height 2')
    const garbage = await cli('two')
    expect(garbage.code).toBe(2)
    expect(garbage.stderr).toContain('--clear-alarm takes a block height')

    // cleared at height 2: it produces again; the evidence stays stored but raises no alarm
    logs = []
    seq = await sequencer(port, logs, 2n)
    const s = seq
    expect(logs.some((m) => m.startsWith('alarm cleared after inspection'))).toBe(true)
    expect((await call<Info>(s.rpcUrl, 'perp_chainInfo')).alarm).toBeNull()
    await waitFor('blocks again', async () => (s.chain.head.height >= stoppedAt + 3n ? true : undefined))
    expect(storedEvidence(s.chain.store)).toHaveLength(1)
    // the same rogue block delivered again is evidence already acknowledged: nothing changes
    rogue = await rogueP2P(s.p2p.multiaddrs())
    running.add(rogue)
    const again = rogue
    const target = s.chain.head.height + 10n
    await waitFor('ten more blocks while the acknowledged block is gossiped', async () => {
      await again.publishBlock(rogueBlock)
      return s.chain.head.height >= target ? true : undefined
    })
    expect((await health(s.rpcUrl)).status).toBe(200)
    expect(storedEvidence(s.chain.store)).toHaveLength(1)

    // a block signed with its key far above its head: foreign-block evidence, stopped again
    const far = s.chain.head.height + 1000n
    const foreignHeader: BlockHeader = { ...heldHeader, height: far, time: heldHeader.time + 5n }
    const foreign = signBlock(foreignHeader)
    await waitFor('the foreign-block alarm', async () => {
      await again.publishBlock(foreign)
      return (await health(s.rpcUrl)).status === 503 ? true : undefined
    })
    const alarm = (await call<Info>(s.rpcUrl, 'perp_chainInfo')).alarm
    expect(alarm).toMatchObject({ kind: 'foreign-block', height: far.toString() })
    const foreignEvidence = alarm?.evidence as ForeignBlockEvidence
    expect(foreignEvidence.block).toEqual({ hash: toHex(blockHash(foreignHeader)), block: toHex(foreign) })
    expect(BigInt(foreignEvidence.head)).toBeLessThan(far)
    expect((await health(s.rpcUrl)).body).toMatchObject({ ok: false, status: 'foreign-block' })
    await waitFor('the foreign-block log line', async () =>
      logs.some((m) => m.startsWith("FOREIGN BLOCK WITH THIS SEQUENCER'S KEY")) ? true : undefined,
    )
    await notProducing(s)
  }, 60_000)
})
