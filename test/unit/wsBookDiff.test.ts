/**
 * Order-book diffs (rpc/subscriptionBook.ts): applying a diff to the old side gives the new side exactly; a diff
 * names only prices that changed; it is sorted best first. Properties over random books, plus worked cases.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import type { Level } from '../../rpc/subscriptionBook.ts'
import { sideDiff } from '../../rpc/subscriptionBook.ts'

/** The client's side of the contract, written independently: set or remove each level, re-sort, cut to depth. */
function apply(side: readonly Level[], diff: readonly Level[], bids: boolean): Level[] {
  const book = new Map(side)
  for (const [p, s] of diff) {
    if (s === '0') book.delete(p)
    else book.set(p, s)
  }
  return [...book].sort((a, b) => {
    const d = BigInt(a[0]) - BigInt(b[0])
    return (bids ? d < 0n : d > 0n) ? 1 : d === 0n ? 0 : -1
  })
}

/** A side as a view shows it: distinct prices, best first, positive sizes, at most `depth` levels. */
const side = (bids: boolean, depth: number) =>
  fc
    .uniqueArray(fc.tuple(fc.integer({ min: 1, max: 60 }), fc.integer({ min: 1, max: 4 })), {
      selector: ([p]) => p,
      maxLength: depth,
    })
    .map((levels) =>
      levels
        .sort((a, b) => (bids ? b[0] - a[0] : a[0] - b[0]))
        .map(([p, s]): Level => [String(p * 100), String(s * 10)]),
    )

describe('order-book diffs', () => {
  for (const bids of [true, false])
    it(`applying the diff of two ${bids ? 'bid' : 'ask'} sides to the first gives the second`, () => {
      fc.assert(
        fc.property(side(bids, 12), side(bids, 12), (before, after) => {
          const diff = sideDiff(before, after, bids)
          expect(apply(before, diff, bids)).toEqual(after)
        }),
      )
    })

  it('names only changed prices, best first, and is empty for equal sides', () => {
    fc.assert(
      fc.property(fc.boolean(), side(true, 12), side(true, 12), (bids, rawBefore, rawAfter) => {
        const order = (s: Level[]) => (bids ? s : [...s].reverse())
        const before = order(rawBefore)
        const after = order(rawAfter)
        const diff = sideDiff(before, after, bids)
        const old = new Map(before)
        for (const [p, s] of diff) expect(old.get(p) ?? '0').not.toBe(s)
        const prices = diff.map(([p]) => BigInt(p))
        for (let i = 1; i < prices.length; i++) {
          const [a, b] = [prices[i - 1] as bigint, prices[i] as bigint]
          expect(bids ? a > b : a < b).toBe(true)
        }
        expect(sideDiff(before, before, bids)).toEqual([])
      }),
    )
  })

  it('removes a level pushed out of the depth by a better one', () => {
    // depth 2: bids 100 and 99; a bid at 101 arrives, so 99 leaves the view
    const diff = sideDiff(
      [
        ['100', '5'],
        ['99', '3'],
      ],
      [
        ['101', '1'],
        ['100', '5'],
      ],
      true,
    )
    expect(diff).toEqual([
      ['101', '1'],
      ['99', '0'],
    ])
  })

  it('compares prices as integers, not strings', () => {
    // asks best first: 9 before 10 (as strings "10" < "9")
    expect(
      sideDiff(
        [],
        [
          ['9', '1'],
          ['10', '1'],
        ],
        false,
      ),
    ).toEqual([
      ['9', '1'],
      ['10', '1'],
    ])
  })
})
