/**
 * @module Oracle step of a block. Every OracleReport in the block is checked (a known signer, fresh at block
 * time, newer than that signer's last report, known markets, positive prices) and becomes that signer's latest
 * quote for each market it names (kept in the market's state). Then each market that received a quote in this
 * block takes the median of its quotes still fresh at block time (timestamp ≥ time − maxReportAgeMs), one per
 * signer, if they come from at least `quorum` signers; reports of one round may land in different blocks.
 * Median of an even count: floor((a + b) / 2) of the two middle prices. The deviation guard may hold it.
 */
import type { Dirty } from './dirty.ts'
import { REJECT, reject } from './errors.ts'
import { PPM } from './fixedPoint.ts'
import type { Address, OracleReportMessage } from './messages.ts'
import type { BlockEnv, Market, State, TxEvent } from './types.ts'

/** Markets that received a quote in this block. */
export type OracleTally = Set<number>

export function checkOracleReport(state: State, signer: Address, report: OracleReportMessage, env: BlockEnv): void {
  const cfg = state.oracle
  if (signer !== report.signer) reject(REJECT.unauthorized, 'an oracle report must be signed by its signer')
  if (!cfg.signers.includes(signer)) reject(REJECT.unknownOracleSigner, `${signer} is not an oracle signer`)
  if (report.timestamp + cfg.maxReportAgeMs < env.time)
    reject(REJECT.staleOracleReport, `report at ${report.timestamp} is older than ${cfg.maxReportAgeMs} ms`)
  if (report.timestamp > env.time + cfg.maxFutureDriftMs)
    reject(REJECT.staleOracleReport, `report at ${report.timestamp} is ahead of block time ${env.time}`)
  const last = state.global.oracleLastTimestamp.get(signer) ?? 0n
  if (report.timestamp <= last)
    reject(REJECT.staleOracleReport, `report at ${report.timestamp} is not newer than this signer's last (${last})`)
  const seen = new Set<number>()
  report.markets.forEach((id, i) => {
    if (state.markets[id] === undefined) reject(REJECT.unknownMarket, `unknown market ${id}`)
    if (seen.has(id)) reject(REJECT.invalidMessage, `market ${id} appears twice`)
    seen.add(id)
    if ((report.prices[i] as bigint) <= 0n) reject(REJECT.invalidPrice, `price for market ${id} must be positive`)
  })
}

/** Records an accepted report: each named market keeps this signer's latest quote (signers in address order). */
export function tallyOracleReport(state: State, tally: OracleTally, report: OracleReportMessage, dirty: Dirty): void {
  state.global.oracleLastTimestamp.set(report.signer, report.timestamp)
  dirty.global = true
  report.markets.forEach((id, i) => {
    const market = state.markets[id] as Market
    const quote = { signer: report.signer, price: report.prices[i] as bigint, timestamp: report.timestamp }
    const at = market.quotes.findIndex((q) => q.signer >= report.signer)
    if (at === -1) market.quotes.push(quote)
    else if (market.quotes[at]?.signer === report.signer) market.quotes[at] = quote
    else market.quotes.splice(at, 0, quote)
    tally.add(id)
    dirty.markets.add(id)
  })
}

function within(price: bigint, reference: bigint, bandPpm: bigint): boolean {
  const d = price > reference ? price - reference : reference - price
  return d * PPM <= bandPpm * reference
}

/**
 * Deviation guard: a median within maxPriceJumpPpm of the current price applies at once. One further away is
 * held as pending; it applies when a later block's median lands within the band of the pending price (the
 * move is confirmed by a second round of reports), and otherwise the later median becomes the new pending.
 */
function confirmsOrWithinBand(state: State, market: Market, price: bigint, time: bigint): boolean {
  const band = state.oracle.maxPriceJumpPpm
  if (within(price, market.oraclePrice, band)) return true
  const pending = market.pendingOraclePrice
  return pending !== 0n && market.pendingOracleTime < time && within(price, pending, band)
}

/**
 * Applies a new oracle price and folds its return into the market's volatility estimate:
 * return r = (new − old) × PPM / old (toward zero), varianceEwma' = floor((λ × var + (PPM − λ) × r²) / PPM).
 */
export function setOraclePrice(market: Market, price: bigint, time: bigint): void {
  const r = ((price - market.oraclePrice) * PPM) / market.oraclePrice
  market.varianceEwma = (market.volatilityDecay * market.varianceEwma + (PPM - market.volatilityDecay) * r * r) / PPM
  market.oraclePrice = price
  market.oracleTime = time
}

export function median(values: bigint[]): bigint {
  const sorted = [...values].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
  const mid = sorted.length >> 1
  if (sorted.length % 2 === 1) return sorted[mid] as bigint
  return ((sorted[mid - 1] as bigint) + (sorted[mid] as bigint)) / 2n
}

/** Sets each market's oracle price from the tally where the quorum is met. Returns the price events. */
/** Sets each market's oracle price from its fresh quotes where the quorum is met. Returns the price events. */
export function aggregateOracle(state: State, tally: OracleTally, env: BlockEnv, dirty: Dirty): TxEvent[] {
  const events: TxEvent[] = []
  for (const id of [...tally].sort((a, b) => a - b)) {
    const market = state.markets[id] as Market
    const prices = market.quotes
      .filter((q) => q.timestamp + state.oracle.maxReportAgeMs >= env.time)
      .map((q) => q.price)
    if (prices.length < state.oracle.quorum) continue
    const price = median(prices)
    dirty.markets.add(id)
    if (confirmsOrWithinBand(state, market, price, env.time)) {
      setOraclePrice(market, price, env.time)
      state.priceEpoch += 1
      market.pendingOraclePrice = 0n
      market.pendingOracleTime = 0n
      events.push({ type: 'oraclePrice', market: id, price, reports: prices.length })
    } else {
      market.pendingOraclePrice = price
      market.pendingOracleTime = env.time
      events.push({ type: 'oraclePending', market: id, price })
    }
  }
  return events
}
