/**
 * A validator that joins late catches up over block sync with progress lines (height, target, blocks/s, ETA),
 * then follows gossip; a gossiped block far beyond its head is not queued but starts a sync.
 */
import { afterAll, describe, expect, it } from 'vitest'
import type { PerpNode } from '../../node/index.ts'
import { startSequencer, startValidator, tempDir } from '../support/nodes.ts'
import { feedOracle } from '../support/oracle.ts'
import { call, waitFor } from '../support/rpcClient.ts'

describe('a validator joining late', () => {
  const seqDir = tempDir('late-seq')
  const valDir = tempDir('late-val')
  let sequencer: PerpNode
  let validator: PerpNode | undefined

  afterAll(async () => {
    await validator?.stop()
    await sequencer?.stop()
    seqDir.remove()
    valDir.remove()
  })

  it('syncs the chain it missed, logging progress, and then follows the head', async () => {
    sequencer = await startSequencer({ dataDir: seqDir.path })
    await feedOracle(sequencer.rpcUrl)
    // 100 ms blocks: wait for 150 heights before the validator exists
    await waitFor(
      'sequencer at height 150',
      async () => (BigInt(await call<string>(sequencer.rpcUrl, 'eth_blockNumber')) >= 150n ? true : undefined),
      30_000,
    )
    const logs: string[] = []
    validator = await startValidator({
      dataDir: valDir.path,
      bootstrap: sequencer.p2p.multiaddrs(),
      log: (m) => logs.push(m),
    })
    const v = validator
    await waitFor(
      'caught up',
      async () => {
        const [s, h] = await Promise.all([
          call<string>(sequencer.rpcUrl, 'eth_blockNumber'),
          call<string>(v.rpcUrl, 'eth_blockNumber'),
        ])
        return BigInt(h) >= BigInt(s) - 2n && BigInt(h) >= 150n ? true : undefined
      },
      30_000,
    )
    // at least the summary line of the catch-up (more than 64 blocks were fetched by sync); it is printed when a
    // sync call finds nothing new, which may come a moment after the head is reached
    await waitFor('the catch-up summary', async () =>
      logs.some((m) => /^sync: caught up to height \d+: \d+ blocks in [\d.]+ s$/.test(m)) ? true : undefined,
    )
    for (const m of logs.filter((x) => x.startsWith('sync: height')))
      expect(m).toMatch(/^sync: height \d+( of \d+)?, \d+ blocks\/s(, ETA \d+ s)?$/)
    // and it keeps following: a later height arrives with the same root as the sequencer's
    const next = BigInt(await call<string>(sequencer.rpcUrl, 'eth_blockNumber')) + 3n
    const root = await waitFor('next heights', async () => {
      const b = await call<{ stateRoot: string } | null>(v.rpcUrl, 'perp_block', [next.toString()])
      return b?.stateRoot
    })
    const seqBlock = await call<{ stateRoot: string }>(sequencer.rpcUrl, 'perp_block', [next.toString()])
    expect(root).toBe(seqBlock.stateRoot)
  })
})
