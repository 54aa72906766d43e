/**
 * perp_proof: a subaccount's leaf with a proof against the state root of the latest height, which the pure
 * verifier of state/ accepts; an account that does not exist gets a proof of absence; a tampered value fails;
 * an older kept height is proven against its own block's root (more in proofHeights.test.ts).
 */

import { privateKeyToAccount } from 'viem/accounts'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { PerpNode } from '../../node/index.ts'
import { devnetKey } from '../../node/index.ts'
import { decodeProof, fromHex, Reader, subaccountKey, toHex, verifyProof } from '../../state/index.ts'
import { startSequencer, tempDir } from '../support/nodes.ts'
import { call, rpc, waitFor } from '../support/rpcClient.ts'

interface ProofReply {
  height: string
  stateRoot: string
  key: string
  value: string | null
  proof: string
  kind: string
}

describe('perp_proof', () => {
  const dir = tempDir('proof')
  let node: PerpNode
  const trader = privateKeyToAccount(toHex(devnetKey(0).privateKey)).address
  beforeAll(async () => {
    node = await startSequencer({ dataDir: dir.path })
  })
  afterAll(async () => {
    await node?.stop()
    dir.remove()
  })

  it('proves a funded subaccount: the value decodes to its collateral and verifies against the root', async () => {
    const r = await call<ProofReply>(node.rpcUrl, 'perp_proof', [trader, 0])
    expect(r.kind).toBe('member')
    expect(r.key).toBe(toHex(subaccountKey(fromHex(trader), 0)))
    const value = fromHex(r.value as string)
    expect(new Reader(value).i256()).toBe(1_000_000_000_000n) // genesis collateral, the leaf's first field
    expect(verifyProof(fromHex(r.stateRoot), fromHex(r.key), value, decodeProof(fromHex(r.proof)))).toBe(true)
    const tampered = value.slice()
    tampered[tampered.length - 1] = (tampered[tampered.length - 1] as number) ^ 1
    expect(verifyProof(fromHex(r.stateRoot), fromHex(r.key), tampered, decodeProof(fromHex(r.proof)))).toBe(false)
  })

  it('proves the absence of a subaccount that does not exist', async () => {
    const r = await call<ProofReply>(node.rpcUrl, 'perp_proof', [trader, 77])
    expect(r.value).toBeNull()
    expect(['empty', 'other']).toContain(r.kind)
    expect(verifyProof(fromHex(r.stateRoot), fromHex(r.key), null, decodeProof(fromHex(r.proof)))).toBe(true)
  })

  it('proves an older kept height against the root in that block, and refuses a height past the head', async () => {
    await waitFor('a block past genesis', async () =>
      (await call<{ height: string }>(node.rpcUrl, 'perp_chainInfo')).height !== '0' ? true : undefined,
    )
    const r = await call<ProofReply>(node.rpcUrl, 'perp_proof', [trader, 0, '0'])
    const genesis = await call<{ stateRoot: string }>(node.rpcUrl, 'perp_block', ['0'])
    expect(r.height).toBe('0')
    expect(r.stateRoot).toBe(genesis.stateRoot)
    const value = fromHex(r.value as string)
    expect(verifyProof(fromHex(genesis.stateRoot), fromHex(r.key), value, decodeProof(fromHex(r.proof)))).toBe(true)
    const ahead = await rpc(node.rpcUrl, 'perp_proof', [trader, 0, '1000000000'])
    expect(ahead.body.error).toMatchObject({ code: -32602, data: { field: 'height' } })
  })
})
