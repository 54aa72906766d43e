/**
 * perp_proof at past heights: a subaccount changed over several blocks is proven at every kept height, against
 * the state root in that height's block header, with the collateral it held then (computed here from the
 * transfers, not read from the node); the same answers after a restart; a height pruned after a restart with
 * a smaller --keep-heights, and one past the head, are refused with the documented error; a node imported from
 * a snapshot proves from the snapshot's height on.
 */

import { privateKeyToAccount } from 'viem/accounts'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ChainStore } from '../../node/chainStore.ts'
import type { PerpNode } from '../../node/index.ts'
import { DEVNET_GENESIS_PATH, devnetKey, loadGenesis } from '../../node/index.ts'
import { exportSnapshot, importSnapshot } from '../../node/snapshot.ts'
import { decodeProof, fromHex, Reader, subaccountKey, toHex, verifyProof } from '../../state/index.ts'
import { startSequencer, tempDir } from '../support/nodes.ts'
import { call, rpc, waitFor } from '../support/rpcClient.ts'
import type { Eip712Info } from '../support/signing.ts'
import { signTx } from '../support/signing.ts'

interface ProofReply {
  height: string
  stateRoot: string
  key: string
  value: string | null
  proof: string
  kind: string
}

const GENESIS_COLLATERAL = 1_000_000_000_000n // 1,000,000 USDC, 6 decimals
const AMOUNTS = [5_000_000n, 7_000_000n, 11_000_000n] // 5, 7 and 11 USDC moved from subaccount 0 to 1

describe('perp_proof at every kept height', () => {
  const dir = tempDir('proof-heights')
  const imported = tempDir('proof-heights-import')
  const trader = privateKeyToAccount(toHex(devnetKey(0).privateKey))
  let node: PerpNode | undefined
  /** height → the proofs of subaccounts 0 and 1 served there */
  const served = new Map<bigint, [ProofReply, ProofReply]>()
  let first = 0n
  let last = 0n
  const included: bigint[] = []

  const start = async (keepHeights: number, dataDir = dir.path): Promise<PerpNode> =>
    startSequencer({ dataDir, config: { keepHeights } })

  /** Collateral of subaccount `sub` after block h, from the transfers alone; null when it does not exist. */
  const expected = (sub: 0 | 1, h: bigint): bigint | null => {
    const moved = AMOUNTS.filter((_, i) => (included[i] as bigint) <= h).reduce((a, b) => a + b, 0n)
    if (sub === 0) return GENESIS_COLLATERAL - moved
    return included[0] !== undefined && (included[0] as bigint) <= h ? moved : null
  }

  const proofAt = (url: string, sub: number, h: bigint) =>
    call<ProofReply>(url, 'perp_proof', [trader.address, sub, h.toString()])

  beforeAll(async () => {
    node = await start(1000)
    const url = node.rpcUrl
    const info = await call<{ eip712: Eip712Info; height: string }>(url, 'perp_chainInfo')
    first = BigInt(info.height)
    for (const [i, amount] of AMOUNTS.entries()) {
      const tx = await signTx(trader, info.eip712, 'transfer', {
        account: trader.address,
        fromSubaccount: '0',
        toSubaccount: '1',
        amount: amount.toString(),
        nonce: String(100 + i),
      })
      const { hash } = await call<{ hash: string }>(url, 'perp_sendTransaction', [tx])
      const height = await waitFor(`transfer ${i} included`, async () => {
        const r = await call<{ status: string; height?: string } | null>(url, 'perp_transaction', [hash])
        return r?.status === 'included' ? BigInt(r.height as string) : undefined
      })
      included.push(height)
    }
    last = BigInt((await call<{ height: string }>(url, 'perp_chainInfo')).height)
  }, 60_000)

  afterAll(async () => {
    await node?.stop()
    dir.remove()
    imported.remove()
  })

  it('proves both subaccounts at every height before, between and after the transfers', async () => {
    const url = (node as PerpNode).rpcUrl
    expect(included).toHaveLength(3)
    for (let h = first; h <= last; h++) {
      const header = await call<{ stateRoot: string }>(url, 'perp_block', [h.toString()])
      const replies: ProofReply[] = []
      for (const sub of [0, 1] as const) {
        const r = await proofAt(url, sub, h)
        replies.push(r)
        const key = subaccountKey(fromHex(trader.address), sub)
        expect(r.height).toBe(h.toString())
        expect(r.stateRoot).toBe(header.stateRoot)
        expect(r.key).toBe(toHex(key))
        const want = expected(sub, h)
        const value = r.value === null ? null : fromHex(r.value)
        const proof = decodeProof(fromHex(r.proof))
        if (want === null) {
          expect(value).toBeNull()
          expect(['empty', 'other']).toContain(r.kind)
        } else {
          expect(r.kind).toBe('member')
          expect(new Reader(value as Uint8Array).i256()).toBe(want) // collateral, the leaf's first field
        }
        expect(verifyProof(fromHex(header.stateRoot), key, value, proof)).toBe(true)
      }
      served.set(h, replies as [ProofReply, ProofReply])
    }
    // a proof of one height does not pass for the height before when the value changed in between
    const at = included[1] as bigint
    const before = await call<{ stateRoot: string }>(url, 'perp_block', [(at - 1n).toString()])
    const [sub0] = served.get(at) as [ProofReply, ProofReply]
    const key0 = subaccountKey(fromHex(trader.address), 0)
    expect(
      verifyProof(fromHex(before.stateRoot), key0, fromHex(sub0.value as string), decodeProof(fromHex(sub0.proof))),
    ).toBe(false)
  })

  it('serves the same proofs after a restart', async () => {
    await node?.stop()
    node = await start(1000)
    for (let h = first; h <= last; h++) {
      const [sub0, sub1] = served.get(h) as [ProofReply, ProofReply]
      expect(await proofAt(node.rpcUrl, 0, h)).toEqual(sub0)
      expect(await proofAt(node.rpcUrl, 1, h)).toEqual(sub1)
    }
  })

  it('refuses a pruned height and one past the head with a clear error', async () => {
    await node?.stop()
    node = await start(3)
    const url = node.rpcUrl
    // the first commit after the restart prunes everything older than the last 3 heights
    await waitFor('two blocks after the restart', async () => {
      const h = BigInt((await call<{ height: string }>(url, 'perp_chainInfo')).height)
      return h >= last + 2n ? true : undefined
    })
    const pruned = await rpc(url, 'perp_proof', [trader.address, 0, first.toString()])
    expect(pruned.body.error).toMatchObject({ code: -32602, data: { field: 'height' } })
    expect(pruned.body.error?.message).toMatch(/outside the kept state.*pruned/)
    const ahead = await rpc(url, 'perp_proof', [trader.address, 0, (last + 10_000n).toString()])
    expect(ahead.body.error).toMatchObject({ code: -32602, data: { field: 'height' } })
    expect(ahead.body.error?.message).toMatch(/past the head/)
    const latest = await call<ProofReply>(url, 'perp_proof', [trader.address, 0])
    expect(new Reader(fromHex(latest.value as string)).i256()).toBe(expected(0, BigInt(latest.height)))
  })

  it('a node imported from a snapshot proves at the snapshot height and after, not before', async () => {
    await node?.stop()
    node = undefined
    const genesis = loadGenesis(DEVNET_GENESIS_PATH)
    const store = await ChainStore.open(dir.path)
    const { snapshot, bytes } = await exportSnapshot(store, genesis)
    await store.close()
    await importSnapshot(imported.path, genesis, bytes)
    node = await start(1000, imported.path)
    const url = node.rpcUrl
    const at = snapshot.height
    const r = await proofAt(url, 0, at)
    const header = await call<{ stateRoot: string }>(url, 'perp_block', [at.toString()])
    expect(r.stateRoot).toBe(header.stateRoot)
    expect(new Reader(fromHex(r.value as string)).i256()).toBe(expected(0, at))
    const key = subaccountKey(fromHex(trader.address), 0)
    expect(verifyProof(fromHex(r.stateRoot), key, fromHex(r.value as string), decodeProof(fromHex(r.proof)))).toBe(true)
    const before = await rpc(url, 'perp_proof', [trader.address, 0, (at - 1n).toString()])
    expect(before.body.error).toMatchObject({ code: -32602, data: { field: 'height' } })
    await waitFor('a block after the import', async () =>
      BigInt((await call<{ height: string }>(url, 'perp_chainInfo')).height) > at ? true : undefined,
    )
    const next = await proofAt(url, 1, at + 1n)
    expect(new Reader(fromHex(next.value as string)).i256()).toBe(expected(1, at + 1n))
  })
})
