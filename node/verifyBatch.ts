/**
 * @module A block's transactions verified together: EIP-712 digests on this thread, every user signature
 * recovered in one signature-pool batch (node/signaturePool.ts), system transactions checked as verifyBlockTx
 * checks them. The answer, and the first error in transaction order, are those of
 * `txs.map((tx) => verifyBlockTx(domainSep, tx))`.
 */
import type { Address, SignedTx, VerifiedTx } from '../engine/index.ts'
import { SYSTEM_KINDS, typedDataDigest } from '../engine/index.ts'
import type { RecoveryItem } from './signaturePacking.ts'
import type { SignaturePool } from './signaturePool.ts'
import { SignatureError } from './signatures.ts'
import { SYSTEM_SIGNER, verifySystemTx, withSigner } from './verify.ts'

/** The verified transactions of a block, in order; rejects with verifyBlockTx's error for the first bad one. */
export async function verifyBlockTxs(
  pool: SignaturePool,
  domainSep: Uint8Array,
  txs: readonly SignedTx[],
): Promise<VerifiedTx[]> {
  const hashes: Uint8Array[] = []
  const items: RecoveryItem[] = []
  /** per transaction: its index in `items`, or -1 for a system transaction */
  const itemOf: number[] = []
  // an error found while hashing stops the walk there, as verifyBlockTx would have stopped: only transactions
  // before it can still fail first, on their signatures
  let stoppedBy: unknown
  for (const signed of txs) {
    try {
      if (SYSTEM_KINDS.has(signed.kind)) {
        hashes.push(verifySystemTx(domainSep, signed).hash)
        itemOf.push(-1)
      } else {
        const digest = typedDataDigest(domainSep, signed.kind, signed.message as never)
        hashes.push(digest)
        itemOf.push(items.length)
        items.push({ digest, signature: signed.signature })
      }
    } catch (e) {
      stoppedBy = e
      break
    }
  }
  const signers = await pool.recoverMany(items)
  const out: VerifiedTx[] = []
  for (let i = 0; i < hashes.length; i++) {
    const signed = txs[i] as SignedTx
    const k = itemOf[i] as number
    const signer = k < 0 ? SYSTEM_SIGNER : signers[k]
    if (signer instanceof SignatureError) throw signer
    out.push(withSigner(signed, hashes[i] as Uint8Array, signer as Address))
  }
  if (stoppedBy !== undefined) throw stoppedBy
  return out
}
