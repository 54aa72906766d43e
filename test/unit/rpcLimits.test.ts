/**
 * Token buckets of the RPC's rate limits on a hand-driven clock: refill arithmetic, all-or-nothing charges of a
 * whole body, refunds, the retry hint, IPv6 keying and the bounded table.
 */
import { describe, expect, it } from 'vitest'
import { APP_ERRORS, createLimiter, ipKey, KeyedBuckets } from '../../rpc/index.ts'

const A = '0x00000000000000000000000000000000000000aa'
const B = '0x00000000000000000000000000000000000000bb'

function clock(start = 1_000_000) {
  const c = { t: start, now: () => c.t }
  return c
}

describe('KeyedBuckets', () => {
  it('a fresh key holds the burst; tokens come back at perSecond', () => {
    const b = new KeyedBuckets({ perSecond: 10, burst: 5 })
    expect(b.waitMs('k', 5, 0)).toBe(0)
    b.take('k', 5, 0)
    // empty: one token takes 1000 / 10 = 100 ms
    expect(b.waitMs('k', 1, 0)).toBe(100)
    expect(b.waitMs('k', 1, 99)).toBe(1)
    expect(b.waitMs('k', 1, 100)).toBe(0)
    expect(b.waitMs('k', 3, 100)).toBe(200)
    // refill stops at the burst: after 10 s there are 5 tokens, not 100
    expect(b.waitMs('k', 5, 10_000)).toBe(0)
    b.take('k', 5, 10_000)
    expect(b.waitMs('k', 1, 10_000)).toBe(100)
  })
  it('perSecond 0 turns the limit off', () => {
    const b = new KeyedBuckets({ perSecond: 0, burst: 0 })
    b.take('k', 1_000_000, 0)
    expect(b.waitMs('k', 1_000_000, 0)).toBe(0)
    expect(b.size).toBe(0)
  })
  it('the table stays bounded: idle buckets and then the oldest are dropped', () => {
    const b = new KeyedBuckets({ perSecond: 1, burst: 10 }, 100)
    for (let i = 0; i < 1000; i++) b.take(`k${i}`, 1, 0)
    expect(b.size).toBeLessThanOrEqual(100)
    // the most recent keys are still charged
    expect(b.waitMs('k999', 10, 0)).toBeGreaterThan(0)
  })
  it('a refund gives tokens back, never beyond the burst', () => {
    const b = new KeyedBuckets({ perSecond: 1, burst: 3 })
    b.take('k', 3, 0)
    b.refund('k', 2, 0)
    expect(b.waitMs('k', 2, 0)).toBe(0)
    b.refund('k', 10, 0)
    b.take('k', 3, 0)
    // capped at 3 tokens, so after taking 3 none is left (not 12 − 3 = 9)
    expect(b.waitMs('k', 1, 0)).toBe(1000)
  })
})

describe('createLimiter', () => {
  it('charges a body whole or not at all, and says how long to wait', () => {
    const c = clock()
    const limiter = createLimiter(
      { perIp: { perSecond: 100, burst: 100 }, perAccount: { perSecond: 0, burst: 0 } },
      c.now,
    )
    expect(limiter.charge({ ip: '10.0.0.1', requests: 60, accounts: new Map() })).toBeUndefined()
    const refused = limiter.charge({ ip: '10.0.0.1', requests: 60, accounts: new Map() })
    expect(refused?.scope).toBe('ip')
    expect(refused?.error.code).toBe(APP_ERRORS.RATE_LIMITED)
    // 40 left, 20 missing at 100/s: 200 ms
    expect(refused?.error.data).toEqual({ reason: 'RATE_LIMITED', scope: 'ip', retryAfterMs: 200 })
    // nothing was taken by the refusal: 40 still go through at once, another address is not affected
    expect(limiter.charge({ ip: '10.0.0.1', requests: 40, accounts: new Map() })).toBeUndefined()
    expect(limiter.charge({ ip: '10.0.0.2', requests: 100, accounts: new Map() })).toBeUndefined()
    c.t += 200
    expect(limiter.charge({ ip: '10.0.0.1', requests: 20, accounts: new Map() })).toBeUndefined()
  })
  it('an account over its limit refuses the body, and the address is not charged for it', () => {
    const c = clock()
    const limiter = createLimiter(
      { perIp: { perSecond: 10, burst: 10 }, perAccount: { perSecond: 1, burst: 2 } },
      c.now,
    )
    expect(limiter.charge({ ip: '1.1.1.1', requests: 2, accounts: new Map([[A, 2]]) })).toBeUndefined()
    const refused = limiter.charge({
      ip: '1.1.1.1',
      requests: 2,
      accounts: new Map([
        [B, 1],
        [A, 1],
      ]),
    })
    expect(refused?.scope).toBe('account')
    expect(refused?.error.data).toMatchObject({ retryAfterMs: 1000 })
    // B was not charged either: both of its tokens are there
    expect(limiter.charge({ ip: '1.1.1.1', requests: 2, accounts: new Map([[B, 2]]) })).toBeUndefined()
    // the address paid 4 of 10 tokens, not 6
    expect(limiter.charge({ ip: '1.1.1.1', requests: 6, accounts: new Map() })).toBeUndefined()
  })
  it("a refunded account's token can be spent again", () => {
    const c = clock()
    const limiter = createLimiter({ perIp: { perSecond: 0, burst: 0 }, perAccount: { perSecond: 1, burst: 1 } }, c.now)
    expect(limiter.charge({ ip: 'x', requests: 1, accounts: new Map([[A, 1]]) })).toBeUndefined()
    expect(limiter.charge({ ip: 'x', requests: 1, accounts: new Map([[A, 1]]) })).toBeDefined()
    limiter.refundAccount(A, 1)
    expect(limiter.charge({ ip: 'x', requests: 1, accounts: new Map([[A, 1]]) })).toBeUndefined()
  })
  it('a body larger than the burst passes only with a full bucket, and leaves it in debt', () => {
    const c = clock()
    const limiter = createLimiter({ perIp: { perSecond: 10, burst: 5 }, perAccount: { perSecond: 0, burst: 0 } }, c.now)
    expect(limiter.charge({ ip: 'x', requests: 8, accounts: new Map() })).toBeUndefined()
    // 5 − 8 = −3 tokens: one more request needs 4 tokens, 400 ms at 10/s
    expect(limiter.charge({ ip: 'x', requests: 1, accounts: new Map() })?.error.data).toMatchObject({
      retryAfterMs: 400,
    })
    c.t += 100
    // a large body again needs a full bucket: 8 tokens missing → 800 ms
    expect(limiter.charge({ ip: 'x', requests: 8, accounts: new Map() })?.error.data).toMatchObject({
      retryAfterMs: 700,
    })
  })
})

describe('ipKey', () => {
  it.each([
    ['127.0.0.1', '127.0.0.1'],
    ['::ffff:127.0.0.1', '127.0.0.1'],
    ['2001:db8:1:2:3:4:5:6', '2001:db8:1:2::/64'],
    ['2001:db8:1:2::9', '2001:db8:1:2::/64'],
    ['2001:0db8:0001:0002:aaaa::1', '2001:db8:1:2::/64'],
    ['::1', '0:0:0:0::/64'],
    ['fe80::1', 'fe80:0:0:0::/64'],
  ])('%s → %s', (ip, key) => {
    expect(ipKey(ip)).toBe(key)
  })
})
