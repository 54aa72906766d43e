/**
 * The node's pending pool: arrival order, the nonce index, and expiry by arrival time (node/mempool.ts).
 */
import { describe, expect, it } from 'vitest'
import type { Address, VerifiedTx } from '../../engine/index.ts'
import { Mempool, MempoolFull } from '../../node/index.ts'

const A = `0x${'aa'.repeat(20)}` as Address

function entry(n: number) {
  const hash = new Uint8Array(32)
  hash[31] = n
  const tx = {
    kind: 'cancel',
    message: { account: A, subaccount: 0, market: 0, clientId: 1n, nonce: BigInt(n) },
    hash,
    signer: A,
  } as VerifiedTx
  return { tx, signed: { ...tx, signature: new Uint8Array(65) } as never }
}

describe('mempool', () => {
  it('expires what arrived before a time, oldest first, and frees their nonces', () => {
    const pool = new Mempool(10)
    pool.add(entry(1), 1_000)
    pool.add(entry(2), 2_000)
    pool.add(entry(3), 3_000)
    expect(pool.expire(2_500)).toBe(2)
    expect(pool.size).toBe(1)
    expect(pool.hasNonce(A, 1n)).toBe(false)
    expect(pool.hasNonce(A, 3n)).toBe(true)
    expect(pool.expire(2_500)).toBe(0)
  })

  it('refuses past its capacity instead of evicting', () => {
    const pool = new Mempool(2)
    pool.add(entry(1), 0)
    pool.add(entry(2), 0)
    expect(() => pool.add(entry(3), 0)).toThrow(MempoolFull)
    pool.remove([entry(1).tx.hash])
    pool.add(entry(3), 0)
    expect(pool.size).toBe(2)
  })
})
