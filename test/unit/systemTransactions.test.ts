/**
 * System transactions (deposits) on the node's verification paths: a block may hold one with the all-zero
 * signature (signer the zero address), with any other signature it is refused, and a user path (RPC, gossip)
 * refuses the kind outright. The batch path used by validator import gives the same answers as the one-by-one path.
 */
import { describe, expect, it } from 'vitest'
import type { SignedTx } from '../../engine/index.ts'
import { domainSeparator } from '../../engine/index.ts'
import { createSignaturePool } from '../../node/signaturePool.ts'
import { SignatureError } from '../../node/signatures.ts'
import { SYSTEM_SIGNATURE, SYSTEM_SIGNER, verifyBlockTx, verifySignedTx } from '../../node/verify.ts'
import { verifyBlockTxs } from '../../node/verifyBatch.ts'

const sep = domainSeparator(424242)
const deposit = (signature: Uint8Array): SignedTx => ({
  kind: 'deposit',
  message: { seq: 3n, account: `0x${'ab'.repeat(20)}`, amount: 1_000_000n, l1Time: 1_700_000_000n },
  signature,
})

describe('system transactions', () => {
  it('pass in a block with 65 zero bytes, signed by nobody', () => {
    const v = verifyBlockTx(sep, deposit(SYSTEM_SIGNATURE))
    expect(v.tx.signer).toBe(SYSTEM_SIGNER)
    expect(v.tx.hash).toHaveLength(32)
  })

  it('are refused in a block with any other signature, and on every user path', () => {
    const forged = new Uint8Array(65)
    forged[64] = 27
    expect(() => verifyBlockTx(sep, deposit(forged))).toThrow(SignatureError)
    expect(() => verifySignedTx(sep, deposit(SYSTEM_SIGNATURE))).toThrow(/system transaction/)
  })

  it('get the same answers from the batch path of validator import', async () => {
    const pool = createSignaturePool({ workers: 0 })
    try {
      const [batch] = await verifyBlockTxs(pool, sep, [deposit(SYSTEM_SIGNATURE)])
      expect(batch).toEqual(verifyBlockTx(sep, deposit(SYSTEM_SIGNATURE)).tx)
      const forged = new Uint8Array(65).fill(1)
      await expect(verifyBlockTxs(pool, sep, [deposit(forged)])).rejects.toThrow(/carries no signature/)
    } finally {
      await pool.stop()
    }
  })
})
