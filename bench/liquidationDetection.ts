/**
 * @module Liquidation detection at 1,000,000 subaccounts with positions: the per-block risk step
 * (findLiquidatable on the at-risk index, engine/atRisk.ts) against the full scan (scanLiquidatable), in the
 * same run, on the same state, checking that both return the same ids.
 *
 * Population (seeded): the devnet's two markets in a volatile regime — variance 1.6 × 10^7 (0.4% per oracle
 * update), so the volatility scale sits at its ×3 cap before and after a 1% move (tier 0: initial 15%,
 * maintenance 9%). 55% of accounts hold BTC only, 25% ETH only, 20% both (cross margin); each position long or
 * short at random, notional log-uniform from 500 to 500,000 USDC (1 in 1,000 accounts: 1M–8M, in higher tiers).
 * 98% of accounts run 1–6× leverage (notional / equity, uniform: within what the 15% initial margin allows), and
 * 15% of those hold 1–20 WETH on top; 2% are in distress, equity 1–3× their maintenance margin (they lost since
 * entry). A 1% single-update move from a calm market would instead raise the scale from ×1 to ×2.449 and make
 * every account above ~13.6× liquidatable at once (docs/risk-model.md, the caveat at the end).
 *
 * Two rows, each on a fresh population and index: five successive blocks each moving the oracle 1% down, on
 * BTC-USD alone, then on both markets, through setOraclePrice (volatility and the scale update as in a block).
 * The accounts found are closed out (positions sold at the oracle price) and reported through noteChanged, as
 * the liquidation step would leave them, before the next block. Figures are medians over the blocks. Before
 * timing: the same blocks run on a 20,000-account population (a running node has this code compiled), and a
 * scavenge before each timing keeps the scan's garbage out of the next measurement. The full benchmark runs these
 * rows in a process of their own (liquidationDetectionRowsInChild, bench/liquidationDetectionChild.ts).
 */
import { readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import type { AtRiskIndex } from '../engine/atRisk.ts'
import type { Address, Market, State, Subaccount } from '../engine/index.ts'
import {
  buildAtRiskIndex,
  equity,
  findLiquidatable,
  fundingDue,
  genesisState,
  maintenanceMargin,
  noteChanged,
  PPM,
  parseGenesis,
  scanLiquidatable,
  seededRandom,
} from '../engine/index.ts'
import { assetsMarginValue, positionValue } from '../engine/margin.ts'
import { setOraclePrice } from '../engine/oracle.ts'
import type { Measurement, Row } from './harness.ts'
import { row, runChildJson } from './harness.ts'

const ACCOUNTS = 1_000_000
const BLOCKS = 5
const VOLATILE_VARIANCE = 16_000_000n
const WETH_UNIT = 10n ** 18n

setFlagsFromString('--expose-gc')
/** A scavenge (young generation only): ~1 ms here, and no concurrent work left behind as a full GC leaves. */
const scavenge = (): void => (runInNewContext('gc') as (o: { type: string }) => void)({ type: 'minor' })

function devnet(): State {
  const path = join(dirname(fileURLToPath(import.meta.url)), '../genesis.json')
  return genesisState(parseGenesis(JSON.parse(readFileSync(path, 'utf8'))))
}

/** Size units for `usd` of notional at the market's oracle price. */
function sizeFor(m: Market, usd: number): bigint {
  return (BigInt(Math.round(usd * 1e6)) * m.quoteDivisor) / m.oraclePrice + 1n
}

export function populate(count: number, seed: number): State {
  const state = devnet()
  for (const m of state.markets) m.varianceEwma = VOLATILE_VARIANCE
  const rand = seededRandom(seed)
  // never written during the benchmark: shared by every account that has no orders or no assets
  const noOrders = new Set<bigint>()
  const noAssets = new Map<number, bigint>()
  for (let i = 0; i < count; i++) {
    const address = `0x${(i + 1).toString(16).padStart(40, '0')}` as Address
    const sub: Subaccount = {
      address,
      subaccount: 0,
      collateral: 0n,
      positions: new Map(),
      assets: noAssets,
      openOrders: noOrders,
    }
    const roll = rand()
    const markets = roll < 0.55 ? [0] : roll < 0.8 ? [1] : [0, 1]
    const whale = rand() < 0.001
    let total = 0
    for (const id of markets) {
      const m = state.markets[id] as Market
      const usd = whale ? 1e6 + rand() * 7e6 : 500 * 1000 ** rand()
      total += usd
      const size = sizeFor(m, usd)
      sub.positions.set(id, { size: rand() < 0.5 ? size : -size, cost: 0n, fundingIndex: m.fundingIndex })
    }
    const mm = maintenanceMargin(state, sub)
    let target: bigint
    if (rand() < 0.02)
      target = (mm * BigInt(Math.floor((1 + 2 * rand()) * 1e6))) / PPM // in distress
    else {
      target = BigInt(Math.round((total / (1 + rand() * 5)) * 1e6))
      if (target < (mm * 5n) / 3n) target = (mm * 5n) / 3n // a whale's higher tiers cap its leverage
      // WETH deposited on top of the margin (its haircut value adds to equity)
      if (rand() < 0.15)
        sub.assets = new Map([[1, BigInt(Math.floor((1 + rand() * 19) * 1e6)) * (WETH_UNIT / 1_000_000n)]])
      target += assetsMarginValue(state, sub)
    }
    sub.collateral = target - equity(state, sub) + 1n
    state.subaccounts.set(`${address}:0`, sub)
  }
  return state
}

/** What the liquidation step leaves: every position closed at the oracle price (funding settled). */
function closeOut(state: State, ids: string[]): void {
  for (const id of ids) {
    const sub = state.subaccounts.get(id) as Subaccount
    for (const [mid, p] of sub.positions) {
      const m = state.markets[mid] as Market
      sub.collateral += positionValue(m, p.size) + fundingDue(m, p)
    }
    sub.positions = new Map()
  }
}

interface Block {
  findMs: number
  scanMs: number
  found: number
  checked: number
}

function runBlock(state: State, index: AtRiskIndex, markets: number[], time: bigint): Block {
  for (const id of markets) {
    const m = state.markets[id] as Market
    setOraclePrice(m, (m.oraclePrice * 99n) / 100n, time)
  }
  state.priceEpoch += 1
  // each timing starts with an empty young generation: the full scan allocates ~10^8 bigints, and a scavenge of
  // its leftovers (up to 16 ms with this 1 GB heap) would otherwise land in whichever timing comes next
  scavenge()
  let start = performance.now()
  const found = findLiquidatable(index, state)
  const findMs = performance.now() - start
  scavenge()
  start = performance.now()
  const scanned = scanLiquidatable(state)
  const scanMs = performance.now() - start
  if (found.length !== scanned.length || found.some((id, i) => id !== scanned[i]))
    throw new Error(`findLiquidatable (${found.length}) differs from the full scan (${scanned.length})`)
  closeOut(state, found)
  noteChanged(index, state, found)
  return { findMs, scanMs, found: found.length, checked: index.lastChecked }
}

function median(xs: number[]): number {
  const s = xs.slice().sort((a, b) => a - b)
  return s[s.length >> 1] as number
}

function summarize(label: string, blocks: Block[], buildMs: number): Row {
  const find = median(blocks.map((b) => b.findMs))
  const scan = median(blocks.map((b) => b.scanMs))
  const ms = (name: string, value: number, all: number[]): Measurement => ({
    name,
    opsPerSec: value,
    ops: all.length,
    ms: all.reduce((a, b) => a + b, 0),
  })
  const each = blocks.map((b) => `${b.found}/${b.checked} in ${b.findMs.toFixed(2)} ms`).join(', ')
  return row(
    `liquidation detection, 1% move ${label}, 1M accounts (ms, lower is better)`,
    ms(
      'findLiquidatable',
      find,
      blocks.map((b) => b.findMs),
    ),
    ms(
      'full scan',
      scan,
      blocks.map((b) => b.scanMs),
    ),
    {
      unit: ' ms',
      target: '≤ 5 ms and ≤ 0.01 (≥ 100× faster)',
      note:
        `median of ${blocks.length} successive blocks, each 1% lower; ${(scan / find).toFixed(0)}× faster. ` +
        `Per block, liquidatable/checked exactly: ${each}. Index built in ${(buildMs / 1000).toFixed(1)} s ` +
        '(before timing).',
    },
  )
}

/** A running node has the per-block step compiled: run the same blocks on a small population first (untimed). */
function warmUp(): void {
  const state = populate(20_000, 3)
  const index = buildAtRiskIndex(state)
  const time = (state.markets[0] as Market).oracleTime
  for (let k = 0; k < 12; k++) runBlock(state, index, k % 3 === 2 ? [0, 1] : [k % 3], time + BigInt(k + 1) * 250n)
}

/** One row: a fresh population and index, then BLOCKS blocks each moving `markets` 1% down. */
function detectionRow(label: string, markets: number[]): Row {
  const state = populate(ACCOUNTS, 17)
  const start = performance.now()
  const index = buildAtRiskIndex(state)
  const buildMs = performance.now() - start
  if (findLiquidatable(index, state).length !== 0 || scanLiquidatable(state).length !== 0)
    throw new Error('the population must start healthy')
  const time = (state.markets[0] as Market).oracleTime
  const blocks = Array.from({ length: BLOCKS }, (_, k) => runBlock(state, index, markets, time + BigInt(k + 1) * 250n))
  return summarize(label, blocks, buildMs)
}

export function liquidationDetectionRows(): Row[] {
  warmUp()
  return [detectionRow('on BTC-USD', [0]), detectionRow('on both markets', [0, 1])]
}

/** The same rows measured in a fresh process (bench/liquidationDetectionChild.ts), as the full benchmark runs them. */
export function liquidationDetectionRowsInChild(): Row[] {
  return runChildJson<Row[]>('liquidationDetectionChild.ts')
}
