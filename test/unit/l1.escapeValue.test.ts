/**
 * The escape valuation (l1/escapeValue.ts, from leaf bytes) on random engine states from the property model:
 * (b) it equals the engine's own equity (accountView) less the haircut value of non-USD collateral, floored at 0,
 * for every subaccount; (a) on anvil, with the random state's root as the rollup's settled root and escape
 * mode reached, escapeClaim pays every subaccount exactly that value (and refuses those worth nothing), and a
 * deposit made before any was credited (no bridge leaf yet) comes back by a non-membership proof.
 * States: PERPD_L1_ESCAPE_STATES (default 12) checked against the engine, PERPD_L1_ESCAPE_CHAIN_STATES (default 2)
 * of them also on chain; seeds from 1000 upward.
 */
import type { Address, Hex } from 'viem'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Address as EngineAddress } from '../../engine/index.ts'
import { accountView } from '../../engine/index.ts'
import { escapeEquity, escapeValue, marketPricing, ROLLUP_ABI, TOKEN_ABI } from '../../l1/index.ts'
import { bridgeKey, KEY_PREFIX, marketKey, toHex } from '../../state/index.ts'
import type { AnvilChain } from './helpers/l1Chain.ts'
import { deployForTest, rollupTx, startAnvil, testAccounts, tokenBalance } from './helpers/l1Chain.ts'
import type { CommittedChain } from './helpers/l1State.ts'
import { randomCommittedChain } from './helpers/l1State.ts'

const STATES = Number(process.env.PERPD_L1_ESCAPE_STATES ?? 12)
const CHAIN_STATES = Math.min(STATES, Number(process.env.PERPD_L1_ESCAPE_CHAIN_STATES ?? 2))
const ESCAPE_TIMEOUT = 1_000n

interface SubaccountLeaf {
  key: Uint8Array
  address: EngineAddress
  subaccount: number
  value: Uint8Array
}

function subaccountLeaves(l2: CommittedChain): SubaccountLeaf[] {
  return l2.leavesWithPrefix(KEY_PREFIX.subaccount).map(([key, value]) => ({
    key,
    address: toHex(key.subarray(1, 21)) as EngineAddress,
    subaccount: new DataView(key.buffer, key.byteOffset).getUint32(21),
    value,
  }))
}

function marketLeaves(l2: CommittedChain): Map<number, Uint8Array> {
  return new Map(l2.state.markets.map((m) => [m.id, l2.leaf(marketKey(m.id)) as Uint8Array]))
}

let states: CommittedChain[]

beforeAll(() => {
  states = Array.from({ length: STATES }, (_, i) => randomCommittedChain(1000 + i))
})

describe('escape valuation against the engine', () => {
  it('equals the engine’s equity less non-USD collateral, floored at 0, for every subaccount of random states', () => {
    const seen = { subaccounts: 0, positions: 0, unsettledFunding: 0, withAssets: 0, worthless: 0 }
    for (const l2 of states) {
      const markets = marketLeaves(l2)
      for (const s of subaccountLeaves(l2)) {
        const view = accountView(l2.state, s.address, s.subaccount)
        const assetsInEquity = view.assets.reduce((sum, a) => sum + a.marginValue, 0n)
        const expected = view.equity - assetsInEquity
        expect(escapeEquity(s.value, markets), `${s.address}:${s.subaccount}`).toBe(expected)
        expect(escapeValue(s.value, markets)).toBe(expected > 0n ? expected : 0n)
        seen.subaccounts++
        seen.positions += view.positions.length
        seen.unsettledFunding += view.positions.filter((p) => p.unsettledFunding !== 0n).length
        if (assetsInEquity > 0n) seen.withAssets++
        if (expected <= 0n) seen.worthless++
      }
    }
    // the random states reach the terms that matter: positions, funding not yet settled, non-USD collateral
    expect(seen.positions).toBeGreaterThan(0)
    expect(seen.unsettledFunding).toBeGreaterThan(0)
    expect(seen.withAssets).toBeGreaterThan(0)
    expect(seen.subaccounts).toBeGreaterThan(STATES * 6)
  })
})

describe('escape claims on chain', () => {
  let chain: AnvilChain
  const DEPOSITOR = testAccounts[5]?.address as Address

  async function approveAndDeposit(rollup: Address, token: Address, amount: bigint): Promise<void> {
    const wallet = chain.wallet(5)
    const hash = await wallet.writeContract({
      address: token,
      abi: TOKEN_ABI,
      functionName: 'approve',
      args: [rollup, amount],
      account: wallet.account ?? null,
      chain: wallet.chain,
    })
    await chain.publicClient.waitForTransactionReceipt({ hash })
    await rollupTx(chain, rollup, 5, 'deposit', [amount, DEPOSITOR])
  }

  beforeAll(async () => {
    chain = await startAnvil()
  })

  afterAll(async () => {
    await chain?.stop()
  })

  it('pay every subaccount of random states exactly the reference valuation, once', async () => {
    let paid = 0
    for (const l2 of states.slice(0, CHAIN_STATES)) {
      const { rollup, token } = await deployForTest(chain, {
        genesisStateRoot: l2.root,
        escapeTimeoutSec: ESCAPE_TIMEOUT,
        backing: 100_000_000n * 1_000_000n,
        mint: [{ address: DEPOSITOR, amount: 5n }],
      })
      // a deposit the state never credited (the model makes none: its bridge leaf is absent)
      await approveAndDeposit(rollup, token, 5n)
      await chain.advance(ESCAPE_TIMEOUT + 1n)
      const before = await tokenBalance(chain, token, DEPOSITOR)
      await rollupTx(chain, rollup, 5, 'reclaimDeposit', [0n, '0x', l2.proof(bridgeKey())])
      expect(await tokenBalance(chain, token, DEPOSITOR)).toBe(before + 5n)
      const markets = marketLeaves(l2)
      for (const [id, leaf] of markets) {
        await rollupTx(chain, rollup, 5, 'proveMarket', [id, toHex(leaf), l2.proof(marketKey(id))])
        const onChain = await chain.publicClient.readContract({
          address: rollup,
          abi: ROLLUP_ABI,
          functionName: 'marketPricing',
          args: [id],
        })
        const p = marketPricing(leaf)
        expect(onChain).toEqual([p.oraclePrice, p.fundingIndex, p.quoteDivisor, true])
      }
      for (const s of subaccountLeaves(l2)) {
        const args = [s.address as Address, s.subaccount, toHex(s.value), l2.proof(s.key) as Hex] as const
        const value = escapeValue(s.value, markets)
        if (s.address === '0x0000000000000000000000000000000000000000') {
          await expect(rollupTx(chain, rollup, 5, 'escapeClaim', args)).rejects.toThrow(/ZeroAddress/)
          continue
        }
        if (value === 0n) {
          await expect(rollupTx(chain, rollup, 5, 'escapeClaim', args)).rejects.toThrow(/NothingToClaim/)
          continue
        }
        const before = await tokenBalance(chain, token, s.address as Address)
        await rollupTx(chain, rollup, 5, 'escapeClaim', args)
        expect(await tokenBalance(chain, token, s.address as Address)).toBe(before + value)
        await expect(rollupTx(chain, rollup, 5, 'escapeClaim', args)).rejects.toThrow(/AlreadyClaimed/)
        paid++
      }
    }
    expect(paid).toBeGreaterThan(CHAIN_STATES * 4)
  })
})
