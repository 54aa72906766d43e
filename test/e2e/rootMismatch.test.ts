/**
 * A validator that re-executes a block and gets another state root must stop following, keep its last agreed
 * state, and say so on /health. The block comes from a rogue peer holding the sequencer key (the worst case:
 * a correctly signed block with a wrong root), over real libp2p.
 */
import { afterAll, describe, expect, it } from 'vitest'
import type { BlockHeader } from '../../engine/index.ts'
import type { PerpNode } from '../../node/index.ts'
import { DEVNET_GENESIS_PATH, loadGenesis } from '../../node/index.ts'
import type { P2P } from '../../p2p/index.ts'
import { EMPTY_ROOT, keccak256, toHex } from '../../state/index.ts'
import { startValidator, tempDir } from '../support/nodes.ts'
import { health, rogueP2P, signBlock } from '../support/roguePeer.ts'
import { call, waitFor } from '../support/rpcClient.ts'

describe('root mismatch alarm', () => {
  const dir = tempDir('mismatch')
  let rogue: P2P | undefined
  let validator: PerpNode | undefined

  afterAll(async () => {
    await validator?.stop()
    await rogue?.stop()
    dir.remove()
  })

  it('stops following, keeps the agreed state and reports root-mismatch on /health', async () => {
    // the validator first starts alone to learn the genesis hash its chain begins from
    validator = await startValidator({ dataDir: dir.path })
    const genesisHash = validator.chain.genesisHash
    const genesisRoot = validator.chain.head.stateRoot
    await validator.stop()

    const genesis = loadGenesis(DEVNET_GENESIS_PATH)
    const header: BlockHeader = {
      chainId: genesis.chainId,
      height: 1n,
      parentHash: genesisHash,
      time: genesis.genesisTime + 1000n,
      proposer: genesis.sequencer,
      txRoot: EMPTY_ROOT,
      // an empty block leaves the state as it is, so any other root is wrong
      stateRoot: keccak256(new TextEncoder().encode('not the state root')),
    }
    const bad = signBlock(header)
    rogue = await rogueP2P([], (from) => (from === 1n ? [bad] : []))
    validator = await startValidator({ dataDir: dir.path, bootstrap: rogue.multiaddrs() })
    const v = validator
    await waitFor('the alarm', async () => v.mismatch)
    expect(v.mismatch).toMatchObject({ height: 1n })
    expect(v.chain.head.height).toBe(0n)
    expect(toHex(v.chain.head.stateRoot)).toBe(toHex(genesisRoot))

    const h = await health(v.rpcUrl)
    expect(h.status).toBe(503)
    expect(h.body).toMatchObject({ ok: false, status: 'root-mismatch' })
    // reads still come from the last agreed state
    const info = await call<{ height: string }>(v.rpcUrl, 'perp_chainInfo')
    expect(info.height).toBe('0')
  })
})
