import { readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import type { TxKind } from '../../engine/index.ts'
import { decodeMessage, decodeSignedTx, domainSeparator, encodeSignedTx, typedDataDigest } from '../../engine/index.ts'
import { recoverSigner } from '../../node/signatures.ts'
import { fromHex, toHex } from '../../state/index.ts'

// The shared vectors were signed with viem, independently of this code: digests and signers must match exactly.
// test/vectors/eip712.json is a verbatim copy of the design's vectors file; never edit it by hand.
const here = dirname(fileURLToPath(import.meta.url))
const vectors = JSON.parse(readFileSync(join(here, '../vectors/eip712.json'), 'utf8'))

const KIND: Record<string, TxKind> = {
  Order: 'order',
  Cancel: 'cancel',
  CancelAll: 'cancelAll',
  Withdraw: 'withdraw',
  Transfer: 'transfer',
  ApproveAgent: 'approveAgent',
  AuctionBid: 'auctionBid',
  OracleReport: 'oracleReport',
}

describe('EIP-712 vectors (viem-signed)', () => {
  const sep = domainSeparator(vectors.domain.chainId)
  for (const v of vectors.vectors) {
    const kind = KIND[v.primaryType] as TxKind
    it(`${v.primaryType}: digest and recovered signer match`, () => {
      const tx = decodeMessage(kind, v.message)
      const digest = typedDataDigest(sep, kind, tx.message as never)
      expect(toHex(digest)).toBe(v.digest)
      expect(recoverSigner(digest, fromHex(v.signature))).toBe(v.signer.toLowerCase())
    })
    it(`${v.primaryType}: binary form round-trips`, () => {
      const tx = { ...decodeMessage(kind, v.message), signature: fromHex(v.signature) }
      const bytes = encodeSignedTx(tx as never)
      expect(encodeSignedTx(decodeSignedTx(bytes))).toEqual(bytes)
    })
  }

  it('another chain id gives another digest, so the signer does not recover', () => {
    const v = vectors.vectors[0]
    const tx = decodeMessage('order', v.message)
    const digest = typedDataDigest(domainSeparator(1), 'order', tx.message as never)
    expect(recoverSigner(digest, fromHex(v.signature))).not.toBe(v.signer.toLowerCase())
  })

  it('rejects high-s and bad v', () => {
    const v = vectors.vectors[0]
    const sig = fromHex(v.signature)
    const digest = fromHex(v.digest)
    const n = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n
    let s = 0n
    for (let i = 32; i < 64; i++) s = (s << 8n) | BigInt(sig[i] as number)
    const high = sig.slice()
    let hs = n - s
    for (let i = 63; i >= 32; i--) {
      high[i] = Number(hs & 0xffn)
      hs >>= 8n
    }
    high[64] = sig[64] === 27 ? 28 : 27
    expect(() => recoverSigner(digest, high)).toThrow(/high-s/)
    const badV = sig.slice()
    badV[64] = 29
    expect(() => recoverSigner(digest, badV)).toThrow(/v must be/)
    expect(() => recoverSigner(digest, sig.slice(0, 64))).toThrow(/65 bytes/)
  })

  it('draws the high-s line exactly at n/2, whichever byte of s decides', () => {
    const v = vectors.vectors[0]
    const sig = fromHex(v.signature)
    const digest = fromHex(v.digest)
    const halfN = 0x7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0n
    const withS = (s: bigint): Uint8Array => {
      const out = sig.slice()
      for (let i = 63, rest = s; i >= 32; i--, rest >>= 8n) out[i] = Number(rest & 0xffn)
      return out
    }
    // the outcome for an allowed s is whatever recovery gives (an address, or no public key): never high-s
    const highS = (s: bigint): boolean => {
      try {
        recoverSigner(digest, withS(s))
        return false
      } catch (e) {
        return /high-s/.test((e as Error).message)
      }
    }
    const cases: [bigint, boolean][] = [
      [halfN, false],
      [halfN + 1n, true], // differs from n/2 in the last byte only
      [halfN - 1n, false],
      [halfN + (1n << 128n), true], // a middle byte decides, the later ones lower
      [halfN - (1n << 128n) + 0xffn, false], // a middle byte decides, the last one higher
      [1n << 255n, true], // the first byte decides
      [1n, false],
    ]
    expect(cases.map(([s]) => highS(s))).toEqual(cases.map(([, high]) => high))
  })
})
