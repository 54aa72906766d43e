/**
 * @module eth_feeHistory: base fees, gas used ratios and (on request) priority-fee percentiles of recent blocks.
 * Percentiles weigh each transaction's effective tip by the gas it used, as geth does.
 */

import type { ChainStore, MinedBlock } from './chainStore.ts'
import { invalidParams } from './rpcError.ts'
import type { BlockRef } from './rpcParams.ts'
import { quantity } from './rpcParams.ts'

/** blocks per query, as geth's limit */
export const MAX_FEE_HISTORY_BLOCKS = 1024n

export function feeHistory(store: ChainStore, count: bigint, newest: BlockRef, percentiles: number[] | undefined) {
  if (count < 1n) throw invalidParams('blockCount: must be at least 1')
  const last = store.resolve(newest)
  const n = count > MAX_FEE_HISTORY_BLOCKS ? MAX_FEE_HISTORY_BLOCKS : count
  const oldest = last.number + 1n > n ? last.number + 1n - n : 0n
  const blocks: MinedBlock[] = []
  for (let i = oldest; i <= last.number; i++) {
    const mined = store.byNumber(i)
    if (mined !== undefined) blocks.push(mined)
  }
  const baseFees = blocks.map((b) => quantity(b.block.header.baseFeePerGas ?? 0n))
  baseFees.push(quantity(last.block.header.calcNextBaseFee()))
  return {
    oldestBlock: quantity(oldest),
    baseFeePerGas: baseFees,
    // a ratio for display, so a float is what clients expect here
    gasUsedRatio: blocks.map((b) => Number(b.block.header.gasUsed) / Number(b.block.header.gasLimit)),
    ...(percentiles === undefined ? {} : { reward: blocks.map((b) => rewards(b, percentiles)) }),
  }
}

export function parsePercentiles(v: unknown): number[] | undefined {
  if (v === undefined || v === null) return undefined
  if (!Array.isArray(v) || v.some((p, i) => typeof p !== 'number' || p < 0 || p > 100 || (i > 0 && p < v[i - 1])))
    throw invalidParams('rewardPercentiles: expected ascending numbers from 0 to 100')
  return v as number[]
}

function rewards(mined: MinedBlock, percentiles: number[]): string[] {
  const baseFee = mined.block.header.baseFeePerGas ?? 0n
  const tips = mined.receipts
    .map((r) => ({ tip: r.effectiveGasPrice - baseFee, gas: r.gasUsed }))
    .sort((a, b) => (a.tip < b.tip ? -1 : a.tip > b.tip ? 1 : 0))
  if (tips.length === 0) return percentiles.map(() => '0x0')
  const total = tips.reduce((s, t) => s + t.gas, 0n)
  return percentiles.map((p) => {
    // gas units up to the percentile; p kept to two decimals (p·100 / 10^4), rounded down
    const threshold = (total * BigInt(Math.round(p * 100))) / 10_000n
    let cumulative = 0n
    for (const t of tips) {
      cumulative += t.gas
      if (cumulative >= threshold) return quantity(t.tip)
    }
    return quantity(tips.at(-1)?.tip ?? 0n)
  })
}
