/**
 * Fail points between the steps of producing and committing a block (node/failPoints.ts), in process with a
 * real sequencer (LevelDB, RPC, libp2p on loopback).
 *
 * Crash: at each point the hook throws for a block holding wallet-signed orders, and from then on every
 * commit throws (a crashed process writes nothing more); the node is stopped and the store reopened from
 * disk. It must be at H−1 (before the batch is written) or H (after), equal to a clean replay from genesis,
 * with every transaction acknowledged before still included, and the chain must go on from there.
 *
 * Transient failure: a commit that fails once inside a running node (sequencer or validator) must leave the
 * node on what the disk holds and let it go on: no state from the unwritten block, no transaction included
 * twice, a validator that ends on the sequencer's roots.
 */
import type { LocalAccount } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { describe, expect, it } from 'vitest'
import type { FailPoint, FailPointName } from '../../node/failPoints.ts'
import { FAIL_POINTS } from '../../node/failPoints.ts'
import type { PerpNode } from '../../node/index.ts'
import { ChainStore, DEVNET_GENESIS_PATH, devnetKey, loadGenesis } from '../../node/index.ts'
import { verifyStore } from '../../node/replay.ts'
import { fromHex, toHex } from '../../state/index.ts'
import { startSequencer, startValidator, tempDir } from '../support/nodes.ts'
import { feedOracle } from '../support/oracle.ts'
import { call, waitFor } from '../support/rpcClient.ts'
import type { Eip712Info } from '../support/signing.ts'
import { signTx } from '../support/signing.ts'

const genesis = loadGenesis(DEVNET_GENESIS_PATH)
const buyer = privateKeyToAccount(toHex(devnetKey(4).privateKey))
const seller = privateKeyToAccount(toHex(devnetKey(5).privateKey))
const quiet = (): void => {}

let nonce = 1
async function order(url: string, eip712: Eip712Info, account: LocalAccount, isBuy: boolean): Promise<string> {
  const n = String(nonce++)
  const tx = await signTx(account, eip712, 'order', {
    account: account.address,
    subaccount: '0',
    market: '0',
    isBuy,
    price: '6000000000000',
    size: '10000',
    timeInForce: 0,
    reduceOnly: false,
    postOnly: false,
    clientId: n,
    nonce: n,
    expiresAt: '0',
  })
  return (await call<{ hash: string }>(url, 'perp_sendTransaction', [tx])).hash
}

interface TxStatus {
  status: string
  height: string
  index: number
}
const txStatus = (url: string, hash: string) => call<TxStatus | null>(url, 'perp_transaction', [hash])
const included = (url: string, hash: string) =>
  waitFor(`inclusion of ${hash}`, async () => {
    const t = await txStatus(url, hash)
    return t?.status === 'included' ? t : undefined
  })

/** The next commit of `node`, then the orders sent right after it: they land in the block after. */
async function ordersForTheNextBlock(node: PerpNode, eip712: Eip712Info): Promise<string[]> {
  await new Promise<void>((resolve) => node.onCommitted(() => resolve()))
  return [await order(node.rpcUrl, eip712, buyer, true), await order(node.rpcUrl, eip712, seller, false)]
}

/** The stopped node's store against a clean replay from genesis. */
async function verifyOnDisk(dir: string) {
  const store = await ChainStore.open(dir)
  try {
    return await verifyStore(store, genesis)
  } finally {
    await store.close()
  }
}

describe('fail points: a crash between the steps of a commit', () => {
  for (const point of FAIL_POINTS) {
    const written = point === 'after-batch-write' || point === 'after-commit'
    it(`${point}: the store is at ${written ? 'H' : 'H−1'}, equal to a replay, and the chain goes on`, {
      timeout: 60_000,
    }, async () => {
      const dir = tempDir(`fp-${point}`)
      let armed = false
      let crashedAt: bigint | undefined
      const failPoint: FailPoint = (name, height) => {
        if (crashedAt !== undefined) throw new Error('crashed: nothing more is written')
        if (armed && name === point) {
          crashedAt = height
          throw new Error(`fail point ${name} at height ${height}`)
        }
      }
      let node: PerpNode | undefined = await startSequencer({
        dataDir: dir.path,
        blockTimeMs: 150,
        failPoint,
        log: quiet,
      })
      try {
        const { eip712 } = await call<{ eip712: Eip712Info }>(node.rpcUrl, 'perp_chainInfo')
        await feedOracle(node.rpcUrl) // fresh prices, or the engine takes only position-reducing orders
        const beforeHash = await order(node.rpcUrl, eip712, buyer, true)
        const before = await included(node.rpcUrl, beforeHash)
        const inFlight = await ordersForTheNextBlock(node, eip712)
        armed = true
        const H = await waitFor('the fail point', async () => crashedAt)
        await node.stop()
        node = undefined

        const expected = written ? H : H - 1n
        const store = await ChainStore.open(dir.path)
        try {
          expect(store.head?.height).toBe(expected)
          // every block re-executed from genesis to its root, receipts, tx index and leaves equal
          expect((await verifyStore(store, genesis)).height).toBe(expected)
          for (const hash of inFlight)
            expect((await store.txLocation(fromHex(hash)))?.height).toBe(written ? H : undefined)
        } finally {
          await store.close()
        }

        node = await startSequencer({ dataDir: dir.path, blockTimeMs: 150, log: quiet })
        expect(node.chain.head.height).toBeGreaterThanOrEqual(expected)
        const still = await txStatus(node.rpcUrl, beforeHash)
        expect(still).toMatchObject({ status: 'included', height: before.height, index: before.index })
        for (const hash of inFlight) {
          const t = await txStatus(node.rpcUrl, hash)
          if (written) expect(t).toMatchObject({ status: 'included', height: H.toString() })
          else expect(t).toBeNull() // lost with the crashed block and the mempool: never acknowledged
        }
        // the chain goes on: a new transaction is included and blocks follow
        await included(node.rpcUrl, await order(node.rpcUrl, eip712, seller, false))
        const n = node
        await waitFor('three more blocks', async () => (n.chain.head.height >= expected + 3n ? true : undefined))
        await node.stop()
        node = undefined
        expect((await verifyOnDisk(dir.path)).height).toBeGreaterThanOrEqual(expected + 3n)
      } finally {
        await node?.stop()
        dir.remove()
      }
    })
  }
})

describe('fail points: a commit that fails once inside a running node', () => {
  it('the sequencer and a validator fall back to the disk and go on, with nothing included twice', {
    timeout: 60_000,
  }, async () => {
    const seqDir = tempDir('fp-seq')
    const valDir = tempDir('fp-val')
    const once = (): { arm: (p: FailPointName) => void; fired: () => bigint | undefined; hook: FailPoint } => {
      let armed: FailPointName | undefined
      let firedAt: bigint | undefined
      return {
        arm: (p) => {
          armed = p
          firedAt = undefined
        },
        fired: () => firedAt,
        hook: (name, height) => {
          if (name !== armed) return
          armed = undefined
          firedAt = height
          throw new Error(`fail point ${name} at height ${height}`)
        },
      }
    }
    const seqFail = once()
    const valFail = once()
    let sequencer: PerpNode | undefined
    let validator: PerpNode | undefined
    try {
      sequencer = await startSequencer({ dataDir: seqDir.path, blockTimeMs: 150, failPoint: seqFail.hook, log: quiet })
      const seq = sequencer
      validator = await startValidator({
        dataDir: valDir.path,
        blockTimeMs: 150,
        bootstrap: seq.p2p.multiaddrs(),
        failPoint: valFail.hook,
        log: quiet,
      })
      const val = validator
      const { eip712 } = await call<{ eip712: Eip712Info }>(seq.rpcUrl, 'perp_chainInfo')
      await feedOracle(seq.rpcUrl)

      // the batch is never written: the block's orders stay pending and go into a later block
      const unwritten = await ordersForTheNextBlock(seq, eip712)
      seqFail.arm('before-batch-write')
      const failedAt = await waitFor('the first failure', async () => seqFail.fired())
      for (const hash of unwritten)
        expect(BigInt((await included(seq.rpcUrl, hash)).height)).toBeGreaterThanOrEqual(failedAt)

      // the batch is written, then the commit fails: the block stands, its orders are not executed again
      const written = await ordersForTheNextBlock(seq, eip712)
      seqFail.arm('after-batch-write')
      const writtenAt = await waitFor('the second failure', async () => seqFail.fired())
      for (const hash of written)
        expect(await included(seq.rpcUrl, hash)).toMatchObject({ height: writtenAt.toString() })

      // the validator fails twice on its side and catches up by sync
      valFail.arm('after-execute')
      await waitFor('a validator failure', async () => valFail.fired())
      valFail.arm('before-batch-write')
      await waitFor('another validator failure', async () => valFail.fired())

      const target = seq.chain.head.height + 4n
      await waitFor('the sequencer goes on', async () => (seq.chain.head.height >= target ? true : undefined))
      await waitFor(
        'the validator catches up',
        async () => (val.chain.head.height >= target ? true : undefined),
        20_000,
      )
      for (const hash of [...unwritten, ...written]) {
        const s = await txStatus(seq.rpcUrl, hash)
        expect(await txStatus(val.rpcUrl, hash)).toEqual(s)
        expect(s?.status).toBe('included')
      }
      expect(val.mismatch).toBeUndefined()
      const seqBlock = await call<{ stateRoot: string }>(seq.rpcUrl, 'perp_block', [target.toString()])
      const valBlock = await call<{ stateRoot: string }>(val.rpcUrl, 'perp_block', [target.toString()])
      expect(valBlock.stateRoot).toBe(seqBlock.stateRoot)

      await validator.stop()
      validator = undefined
      await sequencer.stop()
      sequencer = undefined
      expect((await verifyOnDisk(seqDir.path)).height).toBeGreaterThanOrEqual(target)
      expect((await verifyOnDisk(valDir.path)).height).toBeGreaterThanOrEqual(target)
    } finally {
      await validator?.stop()
      await sequencer?.stop()
      seqDir.remove()
      valDir.remove()
    }
  })
})
