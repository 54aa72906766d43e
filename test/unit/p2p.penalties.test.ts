/**
 * The application penalty table (p2p/penalties.ts) on a test clock: points per rejected message, halving every
 * minute, a ban at 30 points that lasts 10 minutes.
 */
import { describe, expect, it } from 'vitest'
import { BAN_MS, BAN_POINTS, HALF_LIFE_MS, INVALID_MESSAGE_POINTS, PeerPenalties } from '../../p2p/index.ts'

describe('peer penalties', () => {
  it('adds points, halves them every half-life, and scores a peer at minus its points', () => {
    let now = 0
    const p = new PeerPenalties(() => now)
    expect(p.score('a')).toBe(-0)
    p.add('a', 40)
    expect(p.points('a')).toBe(40)
    now += HALF_LIFE_MS
    expect(p.points('a')).toBeCloseTo(20, 9)
    expect(p.score('a')).toBeCloseTo(-20, 9)
    expect(p.points('b')).toBe(0)
  })

  it('bans at BAN_POINTS, for BAN_MS, and only the crossing addition reports the ban', () => {
    let now = 0
    const p = new PeerPenalties(() => now)
    const perBan = BAN_POINTS / INVALID_MESSAGE_POINTS // 3 rejected messages at one instant
    for (let i = 1; i < perBan; i++) expect(p.add('a', INVALID_MESSAGE_POINTS)).toBe(false)
    expect(p.banned('a')).toBe(false)
    expect(p.add('a', INVALID_MESSAGE_POINTS)).toBe(true)
    expect(p.add('a', INVALID_MESSAGE_POINTS)).toBe(false) // already banned
    expect(p.banned('a')).toBe(true)
    now += BAN_MS - 1
    expect(p.banned('a')).toBe(true)
    now += 1
    expect(p.banned('a')).toBe(false)
  })

  it('spread out, the same number of rejections decays below the ban', () => {
    let now = 0
    const p = new PeerPenalties(() => now)
    // one invalid message a minute never accumulates past 2 × 10 = 20 points (< 30)
    for (let i = 0; i < 30; i++) {
      expect(p.add('a', INVALID_MESSAGE_POINTS)).toBe(false)
      now += HALF_LIFE_MS
    }
    expect(p.points('a')).toBeLessThan(20)
  })
})
