/**
 * Replay protection (engine/nonces.ts): each account keeps its NONCE_WINDOW highest used nonces; a nonce in the
 * window is reused, and once the window is full a nonce below its lowest entry is too low. applyBlock.ts: a
 * transaction rejected by its handler still consumes its nonce; one rejected before (wrong signer, bad nonce)
 * does not.
 */
import { describe, expect, it } from 'vitest'
import {
  allLeaves,
  checkNonce,
  checkTransaction,
  NONCE_WINDOW,
  REJECT,
  stateFromLeaves,
  subaccountId,
  TxRejected,
} from '../../engine/index.ts'
import { nonceWords, usedNonces, useNonce } from '../../engine/nonces.ts'
import { fromHex, noncesKey, toHex } from '../../state/index.ts'
import {
  ACCOUNTS,
  addr,
  cancelAllTx,
  leafMap,
  orderMsg,
  orderTx,
  run,
  run1,
  stateFromGenesisFile,
  T0,
} from './helpers/engineFixtures.ts'

const [A, B] = ACCOUNTS as [(typeof ACCOUNTS)[number], (typeof ACCOUNTS)[number]]

function codeOf(f: () => void): string | undefined {
  try {
    f()
  } catch (e) {
    if (e instanceof TxRejected) return e.code
    throw e
  }
  return undefined
}

function range(from: bigint, count: number): bigint[] {
  return Array.from({ length: count }, (_, i) => from + BigInt(i))
}

describe('checkNonce on a window', () => {
  it('rejects a used nonce and, only when full, one below the lowest', () => {
    expect(NONCE_WINDOW).toBe(64)
    expect(codeOf(() => checkNonce(undefined, 0n))).toBeUndefined()
    const partial = { words: nonceWords(range(100n, NONCE_WINDOW - 1)) } // 100..162, one short of full
    expect(codeOf(() => checkNonce(partial, 130n))).toBe(REJECT.nonceReused)
    expect(codeOf(() => checkNonce(partial, 1n))).toBeUndefined() // below, but the window is not full
    const full = { words: nonceWords(range(100n, NONCE_WINDOW)) } // 100..163
    expect(codeOf(() => checkNonce(full, 99n))).toBe(REJECT.nonceTooLow)
    expect(codeOf(() => checkNonce(full, 100n))).toBe(REJECT.nonceReused)
    expect(codeOf(() => checkNonce(full, 164n))).toBeUndefined()
  })
})

describe('useNonce on a window', () => {
  it('keeps the NONCE_WINDOW highest accepted nonces ascending, whatever order they come in', () => {
    let seed = 7
    const next = (n: number) => {
      seed = (Math.imul(seed, 1_103_515_245) + 12_345) >>> 0
      return seed % n
    }
    for (let run = 0; run < 200; run++) {
      const window = { words: [] as number[] }
      let reference: bigint[] = []
      // mostly rising, as clients send them, with some out of order and some far back
      let high = 0
      for (let i = 0; i < 150; i++) {
        if (next(4) !== 0) high += 1 + next(3)
        const nonce = BigInt(next(4) === 0 ? next(high + 1) : high)
        if (codeOf(() => checkNonce(window, nonce)) !== undefined) continue
        useNonce(window, nonce)
        reference = [...reference, nonce].sort((a, b) => (a < b ? -1 : 1)).slice(-NONCE_WINDOW)
        expect(usedNonces(window)).toEqual(reference)
      }
    }
  })
})

describe('a window kept as 32-bit words', () => {
  // nonces on both sides of each word's edge, and the largest u64: the words must order and encode as the u64s
  const edge = [
    0n,
    (1n << 31n) - 1n,
    1n << 31n,
    (1n << 32n) - 1n,
    1n << 32n,
    (1n << 32n) + 1n,
    (1n << 53n) + 1n,
    (1n << 63n) + 5n,
    (1n << 64n) - 2n,
    (1n << 64n) - 1n,
  ]

  it('orders, checks and records nonces across the word boundary up to 2^64 − 1', () => {
    const window = { words: [] as number[] }
    // inserted out of order: every slot comparison has to weigh the high word before the low one
    for (const n of [edge[4], edge[1], edge[9], edge[3], edge[0], edge[7], edge[2], edge[8], edge[5], edge[6]])
      useNonce(window, n as bigint)
    expect(usedNonces(window)).toEqual(edge)
    for (const n of edge) expect(codeOf(() => checkNonce(window, n))).toBe(REJECT.nonceReused)
    // neighbours that differ from a used nonce in one word only are unused
    expect(codeOf(() => checkNonce(window, (1n << 32n) + 2n))).toBeUndefined()
    expect(codeOf(() => checkNonce(window, (2n << 32n) + 1n))).toBeUndefined()
  })

  it('encodes each nonce as its big-endian u64 in the leaf and reads the same window back', () => {
    const s = stateFromGenesisFile()
    const r = run(
      s,
      edge.map((n) => cancelAllTx(A, 0, n)),
    )
    expect(r.receipts.every((x) => x.ok)).toBe(true)
    const leaf = leafMap(s).get(toHex(noncesKey(fromHex(A)))) as string
    const u64s = edge.map((n) => n.toString(16).padStart(16, '0')).join('')
    // count 10, the ten u64s, then windowStart, orders, cancels (not checked here)
    expect(leaf.slice(0, 2 + 8 + 16 * edge.length)).toBe(`0x0000000a${u64s}`)
    const back = stateFromLeaves(allLeaves(s).map((w) => [w.key, w.value as Uint8Array]))
    expect(usedNonces(back.nonces.get(A) ?? { words: [] })).toEqual(edge)
  })
})

describe('nonces in blocks', () => {
  it('a reused nonce is rejected, across transaction kinds and within one block, and does not execute', () => {
    const s = stateFromGenesisFile()
    const r = run(s, [
      orderTx(orderMsg(A, { nonce: 5n, price: 5_900_000_000_000n })),
      cancelAllTx(A, 0, 5n), // same account, same nonce: rejected, so A's order stays
    ])
    expect(r.receipts.map((x) => x.code ?? 'ok')).toEqual(['ok', REJECT.nonceReused])
    expect(s.orders.size).toBe(1)
    const later = run1(s, orderTx(orderMsg(A, { nonce: 5n, price: 5_800_000_000_000n })))
    expect(later.code).toBe(REJECT.nonceReused)
    expect(s.orders.size).toBe(1)
    // another account's nonce 5 is independent
    expect(run1(s, cancelAllTx(B, 0, 5n)).ok).toBe(true)
    expect(usedNonces(s.nonces.get(A) ?? { words: [] })).toEqual([5n])
  })

  it('once the window is full, a nonce below its lowest is NONCE_TOO_LOW', () => {
    const s = stateFromGenesisFile()
    // nonces 100..163 fill the window exactly (cancelAll with nothing to cancel succeeds)
    const r = run(
      s,
      range(100n, NONCE_WINDOW).map((n) => cancelAllTx(A, 0, n)),
    )
    expect(r.receipts.every((x) => x.ok)).toBe(true)
    expect(usedNonces(s.nonces.get(A) ?? { words: [] })).toEqual(range(100n, NONCE_WINDOW))

    const r2 = run(s, [
      cancelAllTx(A, 0, 99n), // below lowest 100 → too low
      cancelAllTx(A, 0, 164n), // new highest: accepted, 100 falls out (window 101..164)
      cancelAllTx(A, 0, 100n), // was used and is now below the window → too low, not replayable
      cancelAllTx(A, 0, 101n), // still in the window → reused
    ])
    expect(r2.receipts.map((x) => x.code ?? 'ok')).toEqual([
      REJECT.nonceTooLow,
      'ok',
      REJECT.nonceTooLow,
      REJECT.nonceReused,
    ])
    expect(usedNonces(s.nonces.get(A) ?? { words: [] })).toEqual(range(101n, NONCE_WINDOW))
  })

  it('before the window is full a low nonce is accepted and becomes the lowest', () => {
    const s = stateFromGenesisFile()
    run(
      s,
      range(100n, NONCE_WINDOW - 1).map((n) => cancelAllTx(A, 0, n)),
    ) // 63 nonces: 100..162
    const r = run(s, [
      cancelAllTx(A, 0, 1n), // window not full: accepted → [1, 100..162], now full
      cancelAllTx(A, 0, 0n), // below lowest 1 with a full window → too low
      cancelAllTx(A, 0, 2n), // above lowest: accepted → [2, 100..162], 1 falls out
      cancelAllTx(A, 0, 1n), // now below lowest 2 → too low
    ])
    expect(r.receipts.map((x) => x.code ?? 'ok')).toEqual(['ok', REJECT.nonceTooLow, 'ok', REJECT.nonceTooLow])
    expect(usedNonces(s.nonces.get(A) ?? { words: [] })).toEqual([2n, ...range(100n, NONCE_WINDOW - 1)])
  })

  it('an order rejected by its handler (insufficient margin) still consumes its nonce', () => {
    const s = stateFromGenesisFile()
    // A holds 1,000,000 USDC. A resting buy of 40 BTC at $200,000 ($8M notional, under the $10M order cap) with
    // the oracle at $60,000 would lose (200,000 − 60,000) × 40 = $5,600,000 on filling, counted in initial
    // margin: far above equity.
    const msg = orderMsg(A, { nonce: 7n, price: 20_000_000_000_000n, size: 40_000_000n })
    const r = run(s, [orderTx(msg)])
    expect(r.receipts[0]?.code).toBe(REJECT.insufficientMargin)
    expect(usedNonces(s.nonces.get(A) ?? { words: [] })).toEqual([7n])
    expect([...r.dirty.nonces]).toEqual([A])
    // the nonce window is committed: u32 count 1, u64 7, then the rate window: u64 start height (a multiple of
    // windowBlocks = 40, plus 1), u32 orders 1 (this order counted), u32 cancels 0
    const activity = s.nonces.get(A) as { windowStart: bigint; orders: number }
    expect(activity.windowStart % 40n).toBe(1n)
    expect(activity.orders).toBe(1)
    const start = activity.windowStart.toString(16).padStart(16, '0')
    expect(leafMap(s).get(toHex(noncesKey(fromHex(A))))).toBe(`0x00000001${'0000000000000007'}${start}0000000100000000`)
    // the same signed message can never execute later
    const replay = run1(s, orderTx(msg))
    expect(replay.code).toBe(REJECT.nonceReused)
    expect(codeOf(() => checkTransaction(s, orderTx(msg), { time: T0, height: 99n }))).toBe(REJECT.nonceReused)
  })

  it('a key with nothing on the chain is refused before its nonce: no window is written', () => {
    const s = stateFromGenesisFile()
    const Z = addr(0x44) // not in genesis
    const r = run(s, [orderTx(orderMsg(Z, { nonce: 7n, timeInForce: 1 }))])
    expect(r.receipts[0]?.code).toBe(REJECT.accountNotFound)
    expect(s.nonces.has(Z)).toBe(false)
    expect(r.dirty.nonces.size).toBe(0)
    expect(leafMap(s).has(toHex(noncesKey(fromHex(Z))))).toBe(false)
    expect(s.subaccounts.has(subaccountId(Z, 0))).toBe(false) // the check stores no empty subaccount
  })

  it('refuses in order: signer, then an empty subaccount, then the nonce', () => {
    const s = stateFromGenesisFile()
    run(s, [cancelAllTx(A, 0, 3n)])
    const env = { time: T0, height: 99n }
    const refusal = (tx: ReturnType<typeof orderTx>) => {
      try {
        checkTransaction(s, tx, env)
      } catch (e) {
        if (e instanceof TxRejected) return [e.code, e.message]
        throw e
      }
      return undefined
    }
    const Z = addr(0x44) // nothing on the chain
    // another key's signature on an unfunded account: the signer is refused first
    expect(refusal(orderTx(orderMsg(Z, { nonce: 3n }), B))?.[0]).toBe(REJECT.unauthorized)
    expect(refusal(orderTx(orderMsg(Z, { nonce: 3n })))).toEqual([
      REJECT.accountNotFound,
      `${Z} has nothing in subaccount 0 (deposit first)`,
    ])
    // A holds funds in subaccount 0 only: an empty subaccount is refused before A's used nonce
    expect(refusal(orderTx(orderMsg(A, { subaccount: 5, nonce: 3n })))).toEqual([
      REJECT.accountNotFound,
      `${A} has nothing in subaccount 5 (deposit first)`,
    ])
    expect(refusal(orderTx(orderMsg(A, { nonce: 3n })))?.[0]).toBe(REJECT.nonceReused)
    expect(s.subaccounts.has(subaccountId(A, 5))).toBe(false)
  })

  it('an order rejected for a bad tick also consumes its nonce', () => {
    const s = stateFromGenesisFile()
    const r = run1(s, orderTx(orderMsg(A, { nonce: 8n, price: 6_000_000_000_001n })))
    expect(r.code).toBe(REJECT.notOnTick)
    expect(usedNonces(s.nonces.get(A) ?? { words: [] })).toEqual([8n])
  })

  it('a transaction with the wrong signer does not consume the nonce', () => {
    const s = stateFromGenesisFile()
    const msg = orderMsg(A, { nonce: 9n, price: 5_900_000_000_000n })
    const r = run(s, [orderTx(msg, B)]) // B signed an order for A's account
    expect(r.receipts[0]?.code).toBe(REJECT.unauthorized)
    expect(s.nonces.has(A)).toBe(false)
    expect(s.nonces.has(B)).toBe(false)
    expect(r.dirty.nonces.size).toBe(0)
    expect(s.orders.size).toBe(0)
    // A's own signature on the same message is then accepted with that nonce
    expect(run1(s, orderTx(msg, A)).ok).toBe(true)
    expect(usedNonces(s.nonces.get(A) ?? { words: [] })).toEqual([9n])
  })

  it('a nonce rejection does not change the window', () => {
    const s = stateFromGenesisFile()
    run(
      s,
      range(100n, NONCE_WINDOW).map((n) => cancelAllTx(A, 0, n)),
    )
    const r = run(s, [cancelAllTx(A, 0, 50n), cancelAllTx(A, 0, 120n)])
    expect(r.receipts.map((x) => x.code)).toEqual([REJECT.nonceTooLow, REJECT.nonceReused])
    expect(r.dirty.nonces.size).toBe(0)
    expect(usedNonces(s.nonces.get(A) ?? { words: [] })).toEqual(range(100n, NONCE_WINDOW))
  })
})
