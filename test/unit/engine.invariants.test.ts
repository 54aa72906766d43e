/**
 * The end-of-block invariants (engine/invariants.ts) hold on ordinary blocks and stop a block that breaks them.
 */
import { describe, expect, it } from 'vitest'
import { checkInvariants, emptyDirty, InvariantViolation, openBlock } from '../../engine/index.ts'
import { ACCOUNTS, BTC_60000, orderMsg, orderTx, run, stateFromGenesisFile } from './helpers/engineFixtures.ts'

const [A, B] = ACCOUNTS as [`0x${string}`, `0x${string}`]

describe('end-of-block invariants', () => {
  it('hold through a block with fills (a resting sell, then a crossing buy)', () => {
    const s = stateFromGenesisFile()
    run(s, [orderTx(orderMsg(A, { isBuy: false, price: BTC_60000, size: 5000n }))])
    const r = run(s, [orderTx(orderMsg(B, { isBuy: true, price: BTC_60000, size: 3000n, timeInForce: 1 }))])
    expect(r.receipts[0]?.ok).toBe(true)
    expect(s.markets[0]?.longOpenInterest).toBe(3000n)
    expect(s.markets[0]?.shortOpenInterest).toBe(3000n)
  })

  it('a block touching a market whose long and short open interest differ is stopped', () => {
    const s = stateFromGenesisFile()
    run(s, [orderTx(orderMsg(A, { isBuy: false, price: BTC_60000, size: 5000n }))])
    ;(s.markets[0] as { longOpenInterest: bigint }).longOpenInterest += 1n // corrupt the state
    expect(() =>
      run(s, [orderTx(orderMsg(B, { isBuy: true, price: BTC_60000, size: 1000n, timeInForce: 1 }))]),
    ).toThrow(InvariantViolation)
  })

  it('collateral that appears from nowhere is caught', () => {
    const s = stateFromGenesisFile()
    const opening = openBlock(s)
    const dirty = emptyDirty()
    const id = `${A}:0`
    const sub = s.subaccounts.get(id) as { collateral: bigint }
    dirty.collateralBefore.set(id, sub.collateral)
    sub.collateral += 1n // one USDC unit created by a (simulated) bug
    expect(() => checkInvariants(s, dirty, opening)).toThrow(/not conserved: the block changed the total by 1/)
    sub.collateral -= 1n
    expect(() => checkInvariants(s, dirty, opening)).not.toThrow()
  })
})
