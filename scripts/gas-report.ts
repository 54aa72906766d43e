/**
 * Gas of the L1 settlement (`npm run gas [-- --leaves N]`, default 100,000 state leaves). Builds an L2 state
 * with the engine (trades in both markets, an oracle move, a funding tick, a pending withdrawal), commits it
 * with N − (its own leaves) filler leaves (subaccount-shaped keys, 150-byte values: only the tree's depth
 * matters for the proofs), deploys the contracts on anvil (node_modules/.bin/anvil, its default hardfork) and
 * prints the gas each transaction used, from its receipt (21,000 base and calldata included), plus the
 * verifier alone: execution gas from @ethereumjs/evm and the proof's calldata (16 gas a non-zero byte, 4 a
 * zero byte). docs/settlement.md keeps a copy of the table.
 */
import type { Address, Hex } from 'viem'
import { encodeFunctionData } from 'viem'
import type { Address as EngineAddress, MessageOf, TxKind, VerifiedTx } from '../engine/index.ts'
import { allLeaves, applyBlock, genesisState, leafWrites, parseGenesis } from '../engine/index.ts'
import { ROLLUP_ABI, ROLLUP_DEPLOYED_BYTECODE, TOKEN_ABI } from '../l1/index.ts'
import type { LeafWrite } from '../state/index.ts'
import { encodeProof, marketKey, SparseMerkleTree, subaccountKey, toHex, withdrawalKey } from '../state/index.ts'
import { genesisJson } from '../test/unit/helpers/engineFixtures.ts'
import type { AnvilChain } from '../test/unit/helpers/l1Chain.ts'
import {
  calldataGas,
  deployForTest,
  rollupExecutionGas,
  rollupTx,
  startAnvil,
  testAccounts,
} from '../test/unit/helpers/l1Chain.ts'

const USDC = 1_000_000n
const leavesArg = process.argv.indexOf('--leaves')
const LEAVES = leavesArg > 0 ? Number(process.argv[leavesArg + 1]) : 100_000

const ACCOUNTS = testAccounts.map((a) => a.address.toLowerCase() as EngineAddress)
const [A, B, C] = ACCOUNTS as [EngineAddress, EngineAddress, EngineAddress]
const SIGNERS = (genesisJson().oracle as { signers: string[] }).signers.map((s) => s.toLowerCase() as EngineAddress)

let digest = 0
function tx<K extends TxKind>(kind: K, message: MessageOf[K], signer: EngineAddress): VerifiedTx {
  const hash = new Uint8Array(32)
  new DataView(hash.buffer).setUint32(28, ++digest)
  // a generic kind does not narrow the union: the pairing of kind and message is what the signature says
  return { kind, message, hash, signer } as unknown as VerifiedTx
}

const order = (account: EngineAddress, market: number, isBuy: boolean, price: bigint, size: bigint, tif: number) =>
  tx(
    'order',
    {
      account,
      subaccount: 0,
      market,
      isBuy,
      price,
      size,
      timeInForce: tif,
      reduceOnly: false,
      postOnly: false,
      clientId: BigInt(digest + 1),
      nonce: BigInt(digest + 1),
      expiresAt: 0n,
    },
    account,
  )

/** Deterministic filler bytes. */
function filler(n: number, length: number): Uint8Array {
  const out = new Uint8Array(length)
  let x = (n + 7) * 0x9e3779b1
  for (let i = 0; i < length; i++) {
    x = Math.imul(x ^ (x >>> 15), 0x2c1b3c6d) >>> 0
    out[i] = x & 0xff
  }
  return out
}

interface L2 {
  tree: SparseMerkleTree
  genesisRoot: Hex
  root: Hex
  leaf(key: Uint8Array): Uint8Array
  proof(key: Uint8Array): Hex
}

function buildL2(): L2 {
  const state = genesisState(parseGenesis(genesisJson()))
  const values = new Map<string, Uint8Array>()
  const tree = SparseMerkleTree.empty()
  const commit = (height: bigint, writes: LeafWrite[]): void => {
    tree.commit(height, writes)
    for (const w of writes) if (w.value !== null) values.set(toHex(w.key), w.value)
  }
  const own = allLeaves(state)
  const fillers = Array.from({ length: Math.max(0, LEAVES - own.length) }, (_, i) => ({
    key: subaccountKey(filler(i, 20), 500),
    value: filler(1_000_000 + i, 150),
  }))
  commit(0n, [...own, ...fillers])
  const genesisRoot = toHex(tree.root)
  let time = BigInt(genesisJson().genesisTime as string) + 1_000n
  const block = (height: bigint, txs: VerifiedTx[], ms = 250n): void => {
    time += ms
    const r = applyBlock(state, { txs }, { time, height })
    const refused = r.receipts.find((x) => !x.ok)
    if (refused !== undefined) throw new Error(`L2 block ${height}: ${refused.kind} refused: ${refused.error}`)
    commit(height, leafWrites(state, r.dirty))
  }
  const btc = 6_000_000_000_000n
  const eth = 300_000_000_000n
  block(1n, [order(B, 0, false, btc, 300_000n, 0), order(A, 0, true, btc, 300_000n, 1)])
  block(2n, [order(C, 1, false, eth, 2_000_000n, 0), order(A, 1, true, eth, 2_000_000n, 1)])
  block(
    3n,
    SIGNERS.slice(0, 2).map((s) =>
      tx('oracleReport', { signer: s, timestamp: time + 250n, markets: [0], prices: [6_100_000_000_000n] }, s),
    ),
  )
  const withdraw = { account: A, subaccount: 0, recipient: A, amount: 1_000n * USDC, nonce: 99n }
  block(4n, [tx('withdraw', withdraw, A)], 3_600_000n) // an hour: funding ticks
  return {
    tree,
    genesisRoot,
    root: toHex(tree.root),
    leaf: (key) => values.get(toHex(key)) as Uint8Array,
    proof: (key) => toHex(encodeProof(tree.prove(key))),
  }
}

/** EIP-7623 calldata tokens: 1 per zero byte, 4 per non-zero byte. */
function calldataTokens(data: Hex): bigint {
  return calldataGas(data) / 4n
}

/** Execution gas of verifyStateProof alone, on @ethereumjs/evm (no intrinsic or calldata gas). */
async function verifierExecution(data: Hex): Promise<bigint> {
  const { gas, returnValue } = await rollupExecutionGas(data)
  if (BigInt(toHex(returnValue)) !== 1n) throw new Error('verifyStateProof refused a valid proof')
  return gas
}

interface Row {
  operation: string
  gas: bigint
  note: string
}

async function measure(chain: AnvilChain, l2: L2): Promise<Row[]> {
  const rows: Row[] = []
  const aAddress = testAccounts[0]?.address as Address
  const { rollup, token } = await deployForTest(chain, {
    genesisStateRoot: l2.genesisRoot,
    challengeWindowSec: 100n,
    escapeTimeoutSec: 1_000n,
    backing: 10_000_000n * USDC,
    mint: [{ address: aAddress, amount: 10_000n * USDC }],
  })
  const wallet = chain.wallet(0)
  const approve = await wallet.writeContract({
    address: token,
    abi: TOKEN_ABI,
    functionName: 'approve',
    args: [rollup, 2n ** 256n - 1n],
    account: wallet.account ?? null,
    chain: wallet.chain,
  })
  await chain.publicClient.waitForTransactionReceipt({ hash: approve })
  const dep = await rollupTx(chain, rollup, 0, 'deposit', [100n * USDC, aAddress])
  rows.push({ operation: 'deposit', gas: dep.gasUsed, note: 'first deposit of the account: new slots, transferFrom' })
  await rollupTx(chain, rollup, 0, 'deposit', [1n * USDC, aAddress])
  const submit = await rollupTx(chain, rollup, 1, 'submitRoot', [4n, `0x${'44'.repeat(32)}`, l2.root])
  rows.push({ operation: 'submitRoot', gas: submit.gasUsed, note: 'a new height: three new slots, the head updated' })
  await chain.advance(100n)
  const wProof = l2.proof(withdrawalKey(1n))
  const fin = await rollupTx(chain, rollup, 4, 'finalizeWithdrawal', [
    4n,
    1n,
    aAddress,
    0,
    aAddress,
    1_000n * USDC,
    4n,
    wProof,
  ])
  rows.push({
    operation: 'finalizeWithdrawal',
    gas: fin.gasUsed,
    note: `proof ${(wProof.length - 2) / 2} bytes; recipient already holds the token`,
  })
  await chain.advance(1_001n)
  const mArgs = (id: number) => [id, toHex(l2.leaf(marketKey(id))), l2.proof(marketKey(id))] as const
  const pm = await rollupTx(chain, rollup, 5, 'proveMarket', mArgs(0))
  rows.push({ operation: 'proveMarket', gas: pm.gasUsed, note: `market leaf ${l2.leaf(marketKey(0)).length} bytes` })
  await rollupTx(chain, rollup, 5, 'proveMarket', mArgs(1))
  const key = subaccountKey(Buffer.from(A.slice(2), 'hex'), 0)
  const claim = await rollupTx(chain, rollup, 5, 'escapeClaim', [aAddress, 0, toHex(l2.leaf(key)), l2.proof(key)])
  rows.push({
    operation: 'escapeClaim',
    gas: claim.gasUsed,
    note: `2 positions, leaf ${l2.leaf(key).length} bytes, proof ${(l2.proof(key).length - 2) / 2} bytes`,
  })
  const reclaim = await rollupTx(chain, rollup, 5, 'reclaimDeposit', [1n, '0x', l2.proof(Uint8Array.of(0x08))])
  rows.push({ operation: 'reclaimDeposit', gas: reclaim.gasUsed, note: 'bridge leaf absent: non-membership proof' })
  return rows
}

async function verifierRows(chain: AnvilChain, l2: L2): Promise<Row[]> {
  const rows: Row[] = []
  const cases: [string, Uint8Array, Uint8Array | null][] = [
    ['member (withdrawal leaf, 92 bytes)', withdrawalKey(1n), l2.leaf(withdrawalKey(1n))],
    ['absent', withdrawalKey(77n), null],
  ]
  for (const [name, key, value] of cases) {
    const proof = l2.proof(key)
    const data = encodeFunctionData({
      abi: ROLLUP_ABI,
      functionName: 'verifyStateProof',
      args: [l2.root, toHex(key), value !== null, toHex(value ?? new Uint8Array()), proof],
    })
    const execution = await verifierExecution(data)
    const calldata = calldataGas(data)
    const tokens = calldataTokens(data)
    const verifier = `0x${'42'.repeat(20)}` as const
    const call = await chain.publicClient.estimateGas({
      to: verifier,
      data,
      stateOverride: [{ address: verifier, code: ROLLUP_DEPLOYED_BYTECODE }],
    })
    const bytes = (proof.length - 2) / 2
    rows.push(
      { operation: `verify ${name}: execution`, gas: execution, note: `@ethereumjs/evm; proof ${bytes} bytes` },
      {
        operation: `verify ${name}: execution + calldata`,
        gas: execution + calldata,
        note: `the 50,000 budget; calldata ${(data.length - 2) / 2} bytes = ${calldata.toLocaleString('en-US')} gas`,
      },
      {
        operation: `verify ${name}: as a transaction`,
        gas: call,
        note: `eth_estimateGas: 21,000 + max(calldata + execution, EIP-7623 floor 10 × ${tokens} tokens)`,
      },
    )
  }
  return rows
}

const started = performance.now()
const l2 = buildL2()
const chain = await startAnvil()
try {
  const rows = [...(await measure(chain, l2)), ...(await verifierRows(chain, l2))]
  const version = await chain.publicClient.request({ method: 'web3_clientVersion' } as never)
  console.log(`L1 gas, ${LEAVES.toLocaleString('en-US')} state leaves, ${version}`)
  console.log('| operation | gas | note |\n| --- | ---: | --- |')
  for (const r of rows) console.log(`| ${r.operation} | ${r.gas.toLocaleString('en-US')} | ${r.note} |`)
  console.log(`(${Math.round(performance.now() - started)} ms)`)
} finally {
  await chain.stop()
}
