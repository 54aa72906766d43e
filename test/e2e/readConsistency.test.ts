/**
 * Reads name the height they show: between a block's execution (which advances the live state in place) and the end
 * of its commit, Chain.settled() stays pending, and the RPC's dispatch waits on it; a reload that undoes an executed
 * block ends the wait too. Real LevelDB in a temp dir.
 */
import { describe, expect, it } from 'vitest'
import type { Block } from '../../engine/index.ts'
import { txRoot } from '../../engine/index.ts'
import { Chain, ChainStore, DEVNET_GENESIS_PATH, loadGenesis } from '../../node/index.ts'
import { tempDir } from '../support/nodes.ts'

const tick = () => new Promise((r) => setTimeout(r, 20))

async function isSettled(p: Promise<void>): Promise<boolean> {
  let done = false
  void p.then(() => {
    done = true
  })
  await tick()
  return done
}

describe('read consistency', () => {
  it('settled() waits from execute to the end of the commit, and after a reload', async () => {
    const dir = tempDir('settled')
    const store = await ChainStore.open(dir.path)
    try {
      const genesis = loadGenesis(DEVNET_GENESIS_PATH)
      const chain = await Chain.open(genesis, store)
      expect(await isSettled(chain.settled())).toBe(true)

      const head = chain.head
      const time = head.time + 1_000n
      const executed = chain.execute([], time)
      const waiting = chain.settled()
      expect(await isSettled(waiting)).toBe(false)
      const block: Block = {
        header: {
          chainId: genesis.chainId,
          height: head.height + 1n,
          parentHash: head.hash,
          time,
          proposer: genesis.sequencer,
          txRoot: txRoot([]),
          stateRoot: executed.stateRoot,
        },
        txs: [],
        signature: new Uint8Array(65),
      }
      await chain.commit(block, executed)
      expect(await isSettled(waiting)).toBe(true)
      expect(chain.head.height).toBe(1n)

      chain.execute([], time + 1_000n)
      const undone = chain.settled()
      expect(await isSettled(undone)).toBe(false)
      await chain.reload()
      expect(await isSettled(undone)).toBe(true)
      expect(chain.head.height).toBe(1n)
    } finally {
      await store.close()
      dir.remove()
    }
  })
})
