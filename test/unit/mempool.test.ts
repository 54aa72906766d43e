/**
 * The node's pending pool: arrival order, the nonce index, and expiry by arrival time (node/mempool.ts).
 */
import { describe, expect, it } from 'vitest'
import type { Address, VerifiedTx } from '../../engine/index.ts'
import { Mempool, MempoolFull, NonceTaken } from '../../node/index.ts'
import { toHex } from '../../state/index.ts'

const A = `0x${'aa'.repeat(20)}` as Address

/** Nonce n; `clientId` tells apart transactions with the same nonce (its hash's byte 30). */
function entry(n: number, clientId = 1n) {
  const hash = new Uint8Array(32)
  hash[31] = n
  hash[30] = Number(clientId) - 1
  const tx = {
    kind: 'cancel',
    message: { account: A, subaccount: 0, market: 0, clientId, nonce: BigInt(n) },
    hash,
    signer: A,
  } as VerifiedTx
  return { tx, signed: { ...tx, signature: new Uint8Array(65) } as never }
}

/** A kind without a nonce (oracle reports are sequencer-built, but the pool must not assume it never holds one). */
function report(n: number) {
  const hash = new Uint8Array(32)
  hash[0] = n
  const tx = { kind: 'oracleReport', message: { signer: A, timestamp: 1n, markets: [], prices: [] }, hash, signer: A }
  return { tx: tx as VerifiedTx, signed: { ...tx, signature: new Uint8Array(65) } as never }
}

const hex = (n: number) => toHex(entry(n).tx.hash)

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

  it('refuses a second transaction with a pending nonce of its account, before its capacity, and adds nothing', () => {
    const pool = new Mempool(1)
    pool.add(entry(1), 0)
    // same account and nonce, another message (another hash): a second use of the nonce while the pool is full
    const twin = entry(1, 2n)
    expect(toHex(twin.tx.hash)).not.toBe(hex(1))
    expect(() => pool.add(twin, 0)).toThrow(NonceTaken)
    expect([pool.size, pool.has(toHex(twin.tx.hash))]).toEqual([1, false])
    expect(() => pool.add(entry(2), 0)).toThrow(MempoolFull)
  })

  it("the nonce index is per account: another account's same nonce is free, and a last removal empties it", () => {
    const B = `0x${'bb'.repeat(20)}` as Address
    const ofB = entry(1, 3n)
    ;(ofB.tx.message as { account: Address }).account = B
    const pool = new Mempool(10)
    pool.add(entry(1), 0)
    pool.add(ofB, 0)
    expect([pool.hasNonce(A, 1n), pool.hasNonce(B, 1n), pool.hasNonce(B, 2n)]).toEqual([true, true, false])
    pool.remove([ofB.tx.hash])
    expect([pool.hasNonce(A, 1n), pool.hasNonce(B, 1n)]).toEqual([true, false])
    // B's nonce 1 is usable again after its last pending transaction left
    pool.add(ofB, 1)
    expect(pool.hasNonce(B, 1n)).toBe(true)
  })

  it('remove frees the hash and the nonce, keeps the others in arrival order, and ignores unknown hashes', () => {
    const pool = new Mempool(10)
    for (const n of [1, 2, 3]) pool.add(entry(n), n)
    // a fresh array holding the same bytes: removal is by value, not by the object added
    pool.remove([new Uint8Array(entry(2).tx.hash), entry(9).tx.hash])
    expect(pool.size).toBe(2)
    expect(pool.has(hex(2))).toBe(false)
    expect(pool.hasNonce(A, 2n)).toBe(false)
    expect(pool.has(hex(1)) && pool.has(hex(3))).toBe(true)
    expect(pool.hasNonce(A, 1n) && pool.hasNonce(A, 3n)).toBe(true)
    expect(pool.peek(10).map((e) => e.tx.message)).toEqual([entry(1).tx.message, entry(3).tx.message])
    pool.remove([entry(2).tx.hash]) // twice: nothing left to do
    expect(pool.size).toBe(2)
    pool.add(entry(2), 4) // the freed nonce may be used again
    expect(pool.hasNonce(A, 2n)).toBe(true)
    expect(pool.peek(1)[0]?.tx.message).toEqual(entry(1).tx.message)
  })

  it('expire can empty the pool, and stops at the first entry that is not old', () => {
    const pool = new Mempool(10)
    pool.add(entry(1), 5)
    pool.add(entry(2), 1) // arrived later by the pool's order, with an earlier clock reading
    pool.add(entry(3), 9)
    expect(pool.expire(5)).toBe(0) // entry 1 is not old, so entry 2 behind it stays too
    expect(pool.expire(6)).toBe(2)
    expect(pool.has(hex(2))).toBe(false)
    expect(pool.hasNonce(A, 2n)).toBe(false)
    expect(pool.expire(100)).toBe(1)
    expect(pool.size).toBe(0)
    expect([1, 2, 3].some((n) => pool.hasNonce(A, BigInt(n)))).toBe(false)
    expect(pool.peek(10)).toEqual([])
  })

  it('adding a pending hash again keeps its place and takes the new arrival time', () => {
    const pool = new Mempool(10)
    pool.add(entry(1), 1)
    pool.add(entry(2), 2)
    pool.add(entry(1), 50)
    expect(pool.size).toBe(2)
    expect(pool.peek(1)[0]?.tx.message).toEqual(entry(1).tx.message)
    expect(pool.expire(10)).toBe(0) // entry 1 now counts from 50, and is still first
    expect(pool.expire(51)).toBe(2)
  })

  it('a transaction without a nonce is held and removed without touching the nonce index', () => {
    const pool = new Mempool(10)
    pool.add(entry(7), 0)
    pool.add(report(1), 0)
    expect(pool.size).toBe(2)
    pool.remove([report(1).tx.hash])
    expect(pool.size).toBe(1)
    expect(pool.hasNonce(A, 7n)).toBe(true)
    pool.add(report(2), 0)
    expect(pool.expire(1)).toBe(2)
    expect(pool.hasNonce(A, 7n)).toBe(false)
  })
})
