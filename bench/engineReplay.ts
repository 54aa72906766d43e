/**
 * @module Engine replay on pre-verified transactions: resting orders and crossing IOC takers applied through
 * applyBlock in blocks of 1,000, against the same orders only decoded from the JSON wire (the cheapest work
 * any node must do per order) as the reference.
 */
import { readFileSync } from 'node:fs'
import type { State, VerifiedTx } from '../engine/index.ts'
import { applyBlock, decodeMessage, genesisState, parseGenesis } from '../engine/index.ts'
import { DEVNET_GENESIS_PATH } from '../node/index.ts'
import type { Row } from './harness.ts'
import { measure, row } from './harness.ts'

const BLOCK = 1000

function makeBlock(state: State, start: number): VerifiedTx[] {
  const accounts = [...state.subaccounts.values()].map((s) => s.address)
  return Array.from({ length: BLOCK }, (_, k) => {
    const n = start + k
    const account = accounts[n % accounts.length] as `0x${string}`
    const isBuy = n % 2 === 0
    // makers rest around 60,000; every third order is an IOC that crosses
    const taker = n % 3 === 0
    const offset = BigInt((n % 20) + 1) * 10_000_000n
    const price = taker
      ? isBuy
        ? 6_100_000_000_000n
        : 5_900_000_000_000n
      : isBuy
        ? 6_000_000_000_000n - offset
        : 6_000_000_000_000n + offset
    return {
      kind: 'order',
      hash: new Uint8Array(32),
      signer: account,
      message: {
        account,
        subaccount: 0,
        market: 0,
        isBuy,
        price,
        size: 1000n,
        timeInForce: taker ? 1 : 0,
        reduceOnly: false,
        postOnly: false,
        clientId: BigInt(n),
        nonce: BigInt(n),
        expiresAt: 0n,
      },
    } as VerifiedTx
  })
}

export function engineReplayRows(): Row[] {
  const genesis = parseGenesis(JSON.parse(readFileSync(DEVNET_GENESIS_PATH, 'utf8')))
  let state = genesisState(genesis)
  let n = 0
  let height = 1n
  const engine = measure('applyBlock', BLOCK, () => {
    if (n > 200_000) {
      state = genesisState(genesis)
      n = 0
    }
    const txs = makeBlock(state, n)
    n += BLOCK
    applyBlock(state, { txs }, { time: 1_732_406_400_000n + height, height: height++ })
  })
  const wire = makeBlock(genesisState(genesis), 0).map((tx) =>
    JSON.parse(JSON.stringify(tx.message, (_k, v) => (typeof v === 'bigint' ? v.toString() : v))),
  )
  const decode = measure('decode JSON wire only', BLOCK, () => {
    for (const m of wire) decodeMessage('order', m)
  })
  return [row('engine replay, orders (1 core)', engine, decode, { target: '≥ 100,000/s (issue 9)' })]
}
