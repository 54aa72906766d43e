/**
 * Reads name the height they show: between a block's execution (which advances the live state in place) and the end
 * of its commit, Chain.settled() stays pending, and the RPC's dispatch waits on it; a reload that undoes an executed
 * block ends the wait too. Admission (perp_sendTransaction) does not wait: it checks against the executed block's
 * state, the one the next block builds on. Real LevelDB in a temp dir, the node's own RPC backend and dispatch.
 */
import { privateKeyToAccount } from 'viem/accounts'
import { describe, expect, it } from 'vitest'
import type { Block } from '../../engine/index.ts'
import { txRoot } from '../../engine/index.ts'
import {
  Chain,
  ChainStore,
  createRpcBackend,
  DEVNET_GENESIS_PATH,
  devnetKey,
  loadGenesis,
  Mempool,
} from '../../node/index.ts'
import type { RpcResponse } from '../../rpc/index.ts'
import { dispatch } from '../../rpc/index.ts'
import { toHex } from '../../state/index.ts'
import { tempDir } from '../support/nodes.ts'
import type { Eip712Info } from '../support/signing.ts'
import { orderMessage, signTx } from '../support/signing.ts'

const tick = () => new Promise((r) => setTimeout(r, 20))

function emptyBlock(chain: Chain, stateRoot: Uint8Array, time: bigint): Block {
  const head = chain.head
  return {
    header: {
      chainId: chain.genesis.chainId,
      height: head.height + 1n,
      parentHash: head.hash,
      time,
      proposer: chain.genesis.sequencer,
      txRoot: txRoot([]),
      stateRoot,
    },
    txs: [],
    signature: new Uint8Array(65),
  }
}

/** A chain on the devnet genesis in a fresh temp store, closed and removed after `body`. */
async function withChain(name: string, body: (chain: Chain) => Promise<void>): Promise<void> {
  const dir = tempDir(name)
  const store = await ChainStore.open(dir.path)
  try {
    await body(await Chain.open(loadGenesis(DEVNET_GENESIS_PATH), store))
  } finally {
    await store.close()
    dir.remove()
  }
}

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
    await withChain('settled', async (chain) => {
      expect(await isSettled(chain.settled())).toBe(true)

      const time = chain.head.time + 1_000n
      const executed = chain.execute([], time)
      const waiting = chain.settled()
      expect(await isSettled(waiting)).toBe(false)
      await chain.commit(emptyBlock(chain, executed.stateRoot, time), executed)
      expect(await isSettled(waiting)).toBe(true)
      expect(chain.head.height).toBe(1n)

      chain.execute([], time + 1_000n)
      const undone = chain.settled()
      expect(await isSettled(undone)).toBe(false)
      await chain.reload()
      expect(await isSettled(undone)).toBe(true)
      expect(chain.head.height).toBe(1n)
    })
  })

  it('admission does not wait for the commit; reads do', async () => {
    await withChain('admission-window', async (chain) => {
      const mempool = new Mempool(100)
      const backend = createRpcBackend({
        chain,
        mempool,
        role: 'sequencer',
        version: 'test',
        now: () => Number(chain.head.time) + 500,
        peers: () => 0,
        health: () => ({ ok: true, status: 'producing', height: String(chain.head.height) }),
        log: () => {},
      })
      const eip712 = (backend.chainInfo() as unknown as { eip712: Eip712Info }).eip712
      const trader = privateKeyToAccount(toHex(devnetKey(4).privateKey))
      const order = await signTx(trader, eip712, 'order', orderMessage(trader.address, 1))
      const time = chain.head.time + 1_000n
      const executed = chain.execute([], time)
      const body = (method: string, params: unknown[]) => JSON.stringify({ jsonrpc: '2.0', id: 1, method, params })
      const admitted = dispatch(body('perp_sendTransaction', [order]), backend, { maxBatch: 10 })
      const read = dispatch(body('perp_chainInfo', []), backend, { maxBatch: 10 })
      // the admission answers while the block is executed but not committed; the read waits for the commit
      expect(await isSettled(admitted.then(() => undefined))).toBe(true)
      expect(await isSettled(read.then(() => undefined))).toBe(false)
      const answer = (await admitted) as RpcResponse
      expect(answer.error).toBeUndefined()
      expect(mempool.size).toBe(1)
      await chain.commit(emptyBlock(chain, executed.stateRoot, time), executed)
      const info = (await read) as RpcResponse
      expect((info.result as { height: string }).height).toBe('1')
    })
  })
})
