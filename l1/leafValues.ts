/**
 * @module The leaf values the rollup contract reads, encoded and decoded here from the bytes alone (the codec of
 * state/codec.ts: big-endian fixed-width integers, i256 = sign byte ‖ u256 magnitude, u32-counted lists), as
 * l1/contracts/Leaves.sol reads them. Independent of engine/leaves.ts on purpose: the tests compare the two.
 *
 * - withdrawal (key 0x06 ‖ id u64): id u64 ‖ account 20 ‖ subaccount u32 ‖ recipient 20 ‖ amount u256 ‖ height u64
 * - subaccount (key 0x03 ‖ address 20 ‖ subaccount u32): collateral i256 ‖ u32 n ‖ n × (market u32 ‖ size i256 ‖
 *   cost i256 ‖ fundingIndex i256) ‖ u32 m ‖ m × (asset u32 ‖ amount u256)
 * - market (key 0x02 ‖ id u32): the fields of engine/leaves.ts encodeMarket; only id, oraclePrice, fundingIndex
 *   and quoteDivisor are kept
 * - bridge (key 0x08): nextDepositSeq u64 ‖ totalDeposited u256; absent until the first deposit
 */
import type { Address } from 'viem'
import { fromHex, Reader, Writer } from '../state/index.ts'

export interface WithdrawalLeaf {
  id: bigint
  account: Address
  subaccount: number
  recipient: Address
  /** USDC units */
  amount: bigint
  /** L2 height of the block that took it */
  height: bigint
}

/** The withdrawal leaf value, byte for byte as the engine commits it (92 bytes). */
export function withdrawalLeafValue(w: WithdrawalLeaf): Uint8Array {
  return new Writer(92)
    .u64(w.id)
    .fixed(fromHex(w.account), 20)
    .u32(w.subaccount)
    .fixed(fromHex(w.recipient), 20)
    .u256(w.amount)
    .u64(w.height)
    .finish()
}

export interface MarketPricing {
  market: number
  /** price units: 10^-priceDecimals USD per whole base unit */
  oraclePrice: bigint
  /** Σ rate × oraclePrice, PPM × price units */
  fundingIndex: bigint
  /** size × price / quoteDivisor = USDC units */
  quoteDivisor: bigint
}

const U256 = 32
const U64 = 8

/** The pricing fields of a market leaf; throws on a value that is not exactly one market encoding. */
export function marketPricing(value: Uint8Array): MarketPricing {
  const r = new Reader(value)
  const market = r.u32()
  r.bytes() // symbol
  r.fixed(2 + 7 * U256) // price and size decimals; tick, lot, min / max order, max notional, max position, OI cap
  r.fixed(r.u32() * 3 * U256) // margin tiers: floor, initial, maintenance
  r.fixed(7 * U256) // open-interest scaling (3) and volatility (4) parameters
  r.i256() // maker fee
  r.fixed(U256 + U64 + 3 * U256 + 1) // taker fee, funding interval, rate cap, interest, impact notional, status
  const oraclePrice = r.u256()
  r.fixed(U64 + 3 * U256) // oracle time, long / short open interest, variance
  r.fixed(r.u32() * (20 + U256 + U64)) // oracle quotes: signer, price, timestamp
  r.fixed(U256 + U64) // pending oracle price and its time
  const fundingIndex = r.i256()
  r.u64() // funding period start
  r.i256() // premium now
  r.u64() // premium since
  r.i256() // premium accumulated
  r.i256() // last funding rate
  r.i256() // funding balance
  r.u256() // last trade price
  const quoteDivisor = r.u256()
  r.end()
  return { market, oraclePrice, fundingIndex, quoteDivisor }
}

export interface SubaccountPosition {
  market: number
  /** signed size units (negative = short) */
  size: bigint
  /** signed USDC units paid for the open size (display only: never part of equity) */
  cost: bigint
  /** the market's funding index at the position's last settlement */
  fundingIndex: bigint
}

export interface SubaccountHoldings {
  /** USDC units, signed */
  collateral: bigint
  positions: SubaccountPosition[]
  /** non-USD collateral by asset id, in the asset's units */
  assets: { asset: number; amount: bigint }[]
}

export function subaccountHoldings(value: Uint8Array): SubaccountHoldings {
  const r = new Reader(value)
  const collateral = r.i256()
  const positions = Array.from({ length: r.u32() }, () => ({
    market: r.u32(),
    size: r.i256(),
    cost: r.i256(),
    fundingIndex: r.i256(),
  }))
  const assets = Array.from({ length: r.u32() }, () => ({ asset: r.u32(), amount: r.u256() }))
  r.end()
  return { collateral, positions, assets }
}

/** The bridge leaf's next deposit sequence number; 0 when the leaf is absent (null). */
export function bridgeNextDepositSeq(value: Uint8Array | null): bigint {
  if (value === null) return 0n
  const r = new Reader(value)
  const next = r.u64()
  r.u256()
  r.end()
  return next
}
