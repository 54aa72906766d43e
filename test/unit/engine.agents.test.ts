/**
 * Approved agents (engine/txs/approveAgent.ts, engine/authorize.ts): an account approves a key that may sign
 * orders, cancels and bids for it until a block time; never withdrawals, transfers or approvals; revocable; at most
 * MAX_AGENTS in force; the agent uses the account's nonces; the approvals are a leaf of their own.
 */
import { describe, expect, it } from 'vitest'
import type { Address, VerifiedTx } from '../../engine/index.ts'
import { allLeaves, REJECT, stateFromLeaves } from '../../engine/index.ts'
import {
  ACCOUNTS,
  addr,
  cancelTx,
  fresh,
  orderMsg,
  orderTx,
  rootOf,
  run1,
  stateFromGenesisFile,
  T0,
  uniqueHash,
} from './helpers/engineFixtures.ts'

const [A, B] = ACCOUNTS as [Address, Address]
const G = addr(0x77) // the agent's key: it holds nothing on the chain itself

const approve = (agent: Address, validUntil: bigint, signer: Address = A): VerifiedTx => ({
  kind: 'approveAgent',
  message: { account: A, agent, validUntil, nonce: fresh() },
  hash: uniqueHash(),
  signer,
})
const withdrawBy = (signer: Address): VerifiedTx => ({
  kind: 'withdraw',
  message: { account: A, subaccount: 0, recipient: signer, amount: 1n, nonce: fresh() },
  hash: uniqueHash(),
  signer,
})
const transferBy = (signer: Address): VerifiedTx => ({
  kind: 'transfer',
  message: { account: A, fromSubaccount: 0, toSubaccount: 1, amount: 1n, nonce: fresh() },
  hash: uniqueHash(),
  signer,
})
/** a resting bid far below the market: it needs no counterparty and little margin */
const agentOrder = (clientId = fresh()) =>
  orderTx(orderMsg(A, { price: 3_000_000_000_000n, size: 1_000n, clientId }), G)

describe('agents', () => {
  it('trade and cancel for the account once approved, not before', () => {
    const s = stateFromGenesisFile()
    expect(run1(s, agentOrder()).code).toBe(REJECT.unauthorized)
    expect(run1(s, approve(G, T0 + 60_000n)).ok).toBe(true)
    const placed = run1(s, agentOrder(42n))
    expect(placed.ok).toBe(true)
    expect(run1(s, cancelTx(A, 42n, {}, G)).ok).toBe(true)
  })

  it('never withdraw, transfer or approve', () => {
    const s = stateFromGenesisFile()
    run1(s, approve(G, T0 + 60_000n))
    expect(run1(s, withdrawBy(G)).code).toBe(REJECT.unauthorized)
    expect(run1(s, transferBy(G)).code).toBe(REJECT.unauthorized)
    expect(run1(s, approve(addr(0x78), T0 + 60_000n, G)).code).toBe(REJECT.unauthorized)
    expect(run1(s, withdrawBy(A)).ok).toBe(true) // the account itself still may
  })

  it('lose their rights at validUntil and on revocation', () => {
    const s = stateFromGenesisFile()
    run1(s, approve(G, T0 + 1_000n))
    expect(run1(s, agentOrder(), T0 + 999n).ok).toBe(true)
    expect(run1(s, agentOrder(), T0 + 1_000n).code).toBe(REJECT.unauthorized) // valid until, not through
    run1(s, approve(G, T0 + 60_000n), T0 + 1_001n)
    expect(run1(s, approve(G, 0n), T0 + 1_002n).ok).toBe(true)
    expect(run1(s, agentOrder(), T0 + 1_003n).code).toBe(REJECT.unauthorized)
    expect(s.agents.has(A)).toBe(false) // the last agent gone: no leaf left behind
  })

  it('refuse an approval that is already over, of itself or of the zero address', () => {
    const s = stateFromGenesisFile()
    expect(run1(s, approve(G, T0)).code).toBe(REJECT.invalidMessage)
    expect(run1(s, approve(A, T0 + 1n)).code).toBe(REJECT.invalidMessage)
    expect(run1(s, approve('0x0000000000000000000000000000000000000000', T0 + 1n)).code).toBe(REJECT.invalidMessage)
  })

  it('count at most 8 in force; expired ones make room', () => {
    const s = stateFromGenesisFile()
    for (let i = 0; i < 8; i++) expect(run1(s, approve(addr(0x80 + i), T0 + 10n + BigInt(i))).ok).toBe(true)
    expect(run1(s, approve(addr(0x90), T0 + 100n)).code).toBe(REJECT.tooManyAgents)
    expect(run1(s, approve(addr(0x81), T0 + 100n)).ok).toBe(true) // renewing one already approved is fine
    // at T0 + 10 the agent valid until T0 + 10 has expired: room for one more, and it is dropped
    expect(run1(s, approve(addr(0x90), T0 + 100n), T0 + 10n).ok).toBe(true)
    expect(s.agents.get(A)?.has(addr(0x80))).toBe(false)
    expect(s.agents.get(A)?.size).toBe(8)
  })

  it("use the account's nonces: a nonce the account used is refused to its agent", () => {
    const s = stateFromGenesisFile()
    run1(s, approve(G, T0 + 60_000n))
    const nonce = fresh()
    expect(run1(s, orderTx(orderMsg(A, { price: 3_000_000_000_000n, nonce }))).ok).toBe(true)
    expect(run1(s, orderTx(orderMsg(A, { price: 3_000_000_000_000n, nonce }), G)).code).toBe(REJECT.nonceReused)
  })

  it('are a leaf that a rebuild from leaves restores with the same root', () => {
    const s = stateFromGenesisFile()
    run1(s, approve(G, T0 + 60_000n))
    const byB: VerifiedTx = {
      kind: 'approveAgent',
      message: { account: B, agent: addr(5), validUntil: T0 + 5_000n, nonce: fresh() },
      hash: uniqueHash(),
      signer: B,
    }
    expect(run1(s, byB).ok).toBe(true)
    expect(s.agents.size).toBe(2)
    const rebuilt = stateFromLeaves(allLeaves(s).map((w) => [w.key, w.value as Uint8Array] as const))
    expect(rebuilt.agents).toEqual(s.agents)
    expect(rootOf(rebuilt)).toBe(rootOf(s))
  })
})
