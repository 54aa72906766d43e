/**
 * @module Engine replay on pre-verified transactions, the realistic mix: about 70% resting orders
 * placed near the oracle, 25% cancels of an account's own recent orders, 5% taking (IOC through the book), over
 * 1,000 funded accounts and two markets, in blocks of 1,000. Reference, in the same run: decoding the same
 * messages from their JSON wire form (the least work any node does per transaction).
 */
import { readFileSync } from 'node:fs'
import type { Address, State, VerifiedTx } from '../engine/index.ts'
import { applyBlock, decodeMessage, genesisState, parseGenesis, seededRandom } from '../engine/index.ts'
import { DEVNET_GENESIS_PATH } from '../node/index.ts'
import { toJson } from '../rpc/index.ts'
import type { Measurement, Row } from './harness.ts'
import { measure, row } from './harness.ts'

const BLOCK = 1000
const ACCOUNTS = 1000

export function benchGenesis(): State {
  const json = JSON.parse(readFileSync(DEVNET_GENESIS_PATH, 'utf8')) as Record<string, unknown>
  json.accounts = Array.from({ length: ACCOUNTS }, (_, i) => ({
    address: `0x${(i + 1).toString(16).padStart(40, '0')}`,
    subaccount: 0,
    collateral: '1000000000000',
  }))
  const rateLimits = json.rateLimits as Record<string, unknown>
  rateLimits.maxOrders = 1_000_000
  rateLimits.maxCancels = 1_000_000
  return genesisState(parseGenesis(json))
}

export class Mix {
  readonly #rand = seededRandom(7)
  readonly #recent: bigint[][] = Array.from({ length: ACCOUNTS }, () => [])
  #nonce = 0n

  block(state: State): VerifiedTx[] {
    const txs: VerifiedTx[] = []
    for (let k = 0; k < BLOCK; k++) {
      const i = Math.floor(this.#rand() * ACCOUNTS)
      const account = `0x${(i + 1).toString(16).padStart(40, '0')}` as Address
      const market = this.#rand() < 0.5 ? 0 : 1
      const m = state.markets[market] as NonNullable<State['markets'][0]>
      const nonce = ++this.#nonce
      const hash = new Uint8Array(32)
      const roll = this.#rand()
      const recent = this.#recent[i] as bigint[]
      if (roll < 0.25 && recent.length > 0) {
        const clientId = recent.splice(Math.floor(this.#rand() * recent.length), 1)[0] as bigint
        txs.push({
          kind: 'cancel',
          message: { account, subaccount: 0, market, clientId, nonce },
          hash,
          signer: account,
        })
        continue
      }
      const isBuy = this.#rand() < 0.5
      const taking = roll > 0.95
      const ticks = BigInt(1 + Math.floor(this.#rand() * 50)) * m.tickSize * 10n
      const price = taking
        ? isBuy
          ? m.oraclePrice * 2n
          : m.tickSize
        : isBuy
          ? m.oraclePrice - ticks
          : m.oraclePrice + ticks
      const onTick = (price / m.tickSize) * m.tickSize
      if (!taking) recent.push(nonce)
      txs.push({
        kind: 'order',
        message: {
          account,
          subaccount: 0,
          market,
          isBuy,
          price: onTick,
          size: m.lotSize * BigInt(1 + Math.floor(this.#rand() * 5)),
          timeInForce: taking ? 1 : 0,
          reduceOnly: false,
          postOnly: false,
          clientId: nonce,
          nonce,
          expiresAt: 0n,
        },
        hash,
        signer: account,
      })
    }
    return txs
  }
}

export function engineReplayRows(): Row[] {
  const state = benchGenesis()
  const mix = new Mix()
  let height = 0n
  // prepare blocks ahead so the measurement is applyBlock alone
  const blocks = Array.from({ length: 40 }, () => {
    const txs = mix.block(state)
    height += 1n
    applyBlock(state, { txs }, { time: 1_732_406_400_001n + height, height })
    return txs
  })
  // One cycle replays the 40 blocks from genesis, so every cycle sees the book grow the same way. The rate is
  // the median cycle's: this VM's speed drifts by ±20% within minutes, and a median over many cycles is not
  // moved by a slow stretch the way one long window is. The states the cycles start from are built before
  // timing (a 1,000-account genesis takes tens of ms).
  const CYCLES = 15
  const spares = Array.from({ length: CYCLES + 1 }, benchGenesis)
  const cycle = (state: State): number => {
    const start = performance.now()
    blocks.forEach((txs, i) => {
      const h = BigInt(i + 1)
      applyBlock(state, { txs }, { time: 1_732_406_400_001n + h, height: h })
    })
    return performance.now() - start
  }
  cycle(spares.pop() as State) // warm-up
  const times = spares.map(cycle).sort((a, b) => a - b)
  const perCycle = blocks.length * BLOCK
  const median = times[CYCLES >> 1] as number
  const engine: Measurement = {
    name: 'applyBlock (70/25/5 mix)',
    opsPerSec: (perCycle * 1000) / median,
    ops: perCycle * CYCLES,
    ms: times.reduce((a, b) => a + b, 0),
  }
  const rate = (ms: number): string => Math.round((perCycle * 1000) / ms).toLocaleString('en-US')
  const note = `median of ${CYCLES} replays of ${blocks.length} blocks; slowest ${rate(times[CYCLES - 1] as number)}/s, fastest ${rate(times[0] as number)}/s`
  const wire = (blocks[0] as VerifiedTx[]).map((tx) => ({ kind: tx.kind, message: toJson(tx.message) }))
  const decode = measure('decode JSON wire only', BLOCK, () => {
    for (const w of wire) decodeMessage(w.kind, w.message)
  })
  return [row('engine replay, tx/s (1 core)', engine, decode, { target: '≥ 100,000/s', note })]
}
