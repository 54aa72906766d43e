/**
 * The Solidity verifier (l1/contracts/StateProof.sol, through PerpRollup.verifyStateProof on anvil) accepts the
 * proofs state/ produces for member keys, absent keys whose path ends in an empty subtree and absent keys whose
 * path ends at another leaf, and refuses every fuzzed tampering: a flipped bit of the root, the key, the value
 * or the proof bytes, a truncated or extended proof, a member proof used as absence and the reverse.
 * Runs: PERPD_L1_FUZZ_RUNS (default 300) tamperings with seed PERPD_L1_FUZZ_SEED (default 424242).
 */
import fc from 'fast-check'
import type { Address, Hex } from 'viem'
import { encodeFunctionData } from 'viem'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ROLLUP_ABI } from '../../l1/index.ts'
import { decodeProof, encodeProof, SparseMerkleTree, subaccountKey, toHex, verifyProof } from '../../state/index.ts'
import type { AnvilChain } from './helpers/l1Chain.ts'
import { calldataGas, deployForTest, rollupExecutionGas, startAnvil } from './helpers/l1Chain.ts'

const runs = Number(process.env.PERPD_L1_FUZZ_RUNS ?? 300)
const seed = Number(process.env.PERPD_L1_FUZZ_SEED ?? 424242)

/** Deterministic bytes from a counter (the tree's contents need no randomness, only variety). */
function bytesOf(n: number, length: number): Uint8Array {
  const out = new Uint8Array(length)
  let x = (n + 1) * 0x9e3779b1
  for (let i = 0; i < length; i++) {
    x = (x ^ (x >>> 15)) * 0x2c1b3c6d
    x = (x ^ (x >>> 12)) >>> 0
    out[i] = x & 0xff
  }
  return out
}

/** A tree of 2,000 subaccount-shaped leaves (25-byte keys, 150-byte values), depth ~11–20. */
function buildTree(): { tree: SparseMerkleTree; keys: Uint8Array[]; values: Uint8Array[] } {
  const keys = Array.from({ length: 2000 }, (_, i) => subaccountKey(bytesOf(i, 20), i % 3))
  const values = keys.map((_, i) => bytesOf(10_000 + i, 150))
  const tree = SparseMerkleTree.empty()
  tree.commit(
    1n,
    keys.map((key, i) => ({ key, value: values[i] as Uint8Array })),
  )
  return { tree, keys, values }
}

interface Case {
  name: string
  key: Uint8Array
  value: Uint8Array | null
  proof: Uint8Array
}

function flipBit(b: Uint8Array, bit: number): Uint8Array {
  const c = b.slice()
  c[bit >> 3] = (c[bit >> 3] as number) ^ (0x80 >> (bit & 7))
  return c
}

let chain: AnvilChain
let rollup: Address
let root: Uint8Array
let cases: Case[]

beforeAll(async () => {
  const { tree, keys, values } = buildTree()
  root = tree.root
  cases = [0, 1, 2, 3].map((i) => ({
    name: `member ${i}`,
    key: keys[i * 97] as Uint8Array,
    value: values[i * 97] as Uint8Array,
    proof: encodeProof(tree.prove(keys[i * 97] as Uint8Array)),
  }))
  const absent = { empty: 0, other: 0 }
  for (let i = 0; absent.empty < 2 || absent.other < 2; i++) {
    const key = subaccountKey(bytesOf(50_000 + i, 20), 0)
    const p = tree.prove(key)
    if (p.kind === 'member' || absent[p.kind] >= 2) continue
    absent[p.kind]++
    cases.push({ name: `absent (${p.kind}) ${absent[p.kind]}`, key, value: null, proof: encodeProof(p) })
  }
  chain = await startAnvil()
  rollup = (await deployForTest(chain, { genesisStateRoot: toHex(root) })).rollup
})

afterAll(async () => {
  await chain?.stop()
})

function onChain(r: Uint8Array, key: Uint8Array, value: Uint8Array | null, proof: Uint8Array): Promise<boolean> {
  return chain.publicClient.readContract({
    address: rollup,
    abi: ROLLUP_ABI,
    functionName: 'verifyStateProof',
    args: [toHex(r), toHex(key), value !== null, toHex(value ?? new Uint8Array()), toHex(proof) as Hex],
  })
}

/** The TypeScript verifier on the same bytes (a proof that does not decode is refused). */
function offChain(r: Uint8Array, key: Uint8Array, value: Uint8Array | null, proof: Uint8Array): boolean {
  try {
    return verifyProof(r, key, value, decodeProof(proof))
  } catch {
    return false
  }
}

describe('the Solidity state proof verifier', () => {
  it('accepts member, absent-empty and absent-other proofs produced by state/', async () => {
    expect(cases.map((c) => c.name)).toEqual([
      'member 0',
      'member 1',
      'member 2',
      'member 3',
      ...cases.slice(4).map((c) => c.name),
    ])
    expect(new Set(cases.slice(4).map((c) => decodeProof(c.proof).kind))).toEqual(new Set(['empty', 'other']))
    for (const c of cases) {
      expect(offChain(root, c.key, c.value, c.proof), c.name).toBe(true)
      expect(await onChain(root, c.key, c.value, c.proof), c.name).toBe(true)
    }
  })

  it('verifies within the 50,000-gas budget: execution (on @ethereumjs/evm) plus the call’s calldata', async () => {
    for (const c of cases) {
      const data = encodeFunctionData({
        abi: ROLLUP_ABI,
        functionName: 'verifyStateProof',
        args: [toHex(root), toHex(c.key), c.value !== null, toHex(c.value ?? new Uint8Array()), toHex(c.proof)],
      })
      const { gas, returnValue } = await rollupExecutionGas(data)
      expect(BigInt(toHex(returnValue)), c.name).toBe(1n)
      // ~11 levels here: about 300 gas a level, so this bound also holds at 1M leaves (~21 levels)
      expect(gas + calldataGas(data), c.name).toBeLessThan(50_000n)
      expect(gas, c.name).toBeLessThan(10_000n)
    }
  })

  it('refuses a member proof as absence, an absence proof with a value, and a proof against the empty root', async () => {
    for (const c of cases) {
      const claimed = c.value === null ? Uint8Array.of(1, 2, 3) : null
      expect(await onChain(root, c.key, claimed, c.proof), c.name).toBe(false)
      expect(await onChain(new Uint8Array(32), c.key, c.value, c.proof), c.name).toBe(false)
    }
  })

  it('refuses every fuzzed tampering of root, key, value or proof bytes, and truncated or extended proofs', async () => {
    type Tamper =
      | { t: 'root'; bit: number }
      | { t: 'key'; bit: number }
      | { t: 'value'; bit: number }
      | { t: 'proof'; bit: number }
      | { t: 'truncate'; bytes: number }
      | { t: 'extend'; extra: Uint8Array }
    const tamper: fc.Arbitrary<Tamper> = fc.oneof(
      fc.record({ t: fc.constant('root' as const), bit: fc.nat(255) }),
      fc.record({ t: fc.constant('key' as const), bit: fc.nat(25 * 8 - 1) }),
      fc.record({ t: fc.constant('value' as const), bit: fc.nat(150 * 8 - 1) }),
      fc.record({ t: fc.constant('proof' as const), bit: fc.nat(100_000) }),
      fc.record({ t: fc.constant('truncate' as const), bytes: fc.integer({ min: 1, max: 700 }) }),
      fc.record({ t: fc.constant('extend' as const), extra: fc.uint8Array({ minLength: 1, maxLength: 64 }) }),
    )
    let checked = 0
    await fc.assert(
      fc.asyncProperty(fc.nat(cases.length - 1), tamper, async (which, how) => {
        const c = cases[which] as Case
        let { key, value, proof } = c
        let r = root
        if (how.t === 'root') r = flipBit(root, how.bit)
        else if (how.t === 'key') key = flipBit(key, how.bit)
        else if (how.t === 'value') value = value === null ? Uint8Array.of(how.bit & 0xff) : flipBit(value, how.bit)
        else if (how.t === 'proof') proof = flipBit(proof, how.bit % (proof.length * 8))
        else if (how.t === 'truncate') proof = proof.subarray(0, Math.max(0, proof.length - how.bytes))
        else proof = Uint8Array.from([...proof, ...how.extra])
        checked++
        expect(offChain(r, key, value, proof)).toBe(false)
        expect(await onChain(r, key, value, proof)).toBe(false)
      }),
      { numRuns: runs, seed },
    )
    expect(checked).toBe(runs)
  })
})
