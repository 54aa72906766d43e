/**
 * @module Oracle step of a block: every OracleReport in the block is checked (a known signer, fresh at block
 * time, newer than that signer's last report, known markets, positive prices); then each market whose fresh
 * reports come from at least `quorum` distinct signers takes their median as its oracle price.
 * Median of an even count: floor((a + b) / 2) of the two middle prices.
 */
import type { Dirty } from './dirty.ts'
import { REJECT, reject } from './errors.ts'
import { PPM } from './fixedPoint.ts'
import type { Address, OracleReportMessage } from './messages.ts'
import type { BlockEnv, Market, State, TxEvent } from './types.ts'

/** Per market, the price each signer reported in this block (a signer's later report replaces its earlier). */
export type OracleTally = Map<number, Map<Address, bigint>>

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

export function tallyOracleReport(state: State, tally: OracleTally, report: OracleReportMessage, dirty: Dirty): void {
  state.global.oracleLastTimestamp.set(report.signer, report.timestamp)
  dirty.global = true
  report.markets.forEach((id, i) => {
    const bySigner = tally.get(id) ?? new Map<Address, bigint>()
    tally.set(id, bySigner)
    bySigner.set(report.signer, report.prices[i] as bigint)
  })
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
export function aggregateOracle(state: State, tally: OracleTally, env: BlockEnv, dirty: Dirty): TxEvent[] {
  const events: TxEvent[] = []
  for (const id of [...tally.keys()].sort((a, b) => a - b)) {
    const prices = [...(tally.get(id) as Map<Address, bigint>).values()]
    if (prices.length < state.oracle.quorum) continue
    const market = state.markets[id] as Market
    setOraclePrice(market, median(prices), env.time)
    dirty.markets.add(id)
    events.push({ type: 'oraclePrice', market: id, price: market.oraclePrice, reports: prices.length })
  }
  return events
}
