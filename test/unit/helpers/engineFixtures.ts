/**
 * Shared builders for the engine unit tests: genesis states, verified transactions (no signatures: the engine
 * takes the recovered signer as data), block application and leaf / root snapshots.
 *
 * Scales (see engine/fixedPoint.ts): collateral in USDC units (1e-6 USD); market 0 BTC-USD has priceDecimals 8,
 * sizeDecimals 6, so quoteDivisor = 10^(8+6-6) = 1e8 and quote = size * price / 1e8.
 */
import { readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type {
  Address,
  BlockResult,
  MessageOf,
  OrderMessage,
  Receipt,
  State,
  Subaccount,
  VerifiedTx,
} from '../../../engine/index.ts'
import { allLeaves, applyBlock, genesisState, parseGenesis, subaccountId } from '../../../engine/index.ts'
import { KEY_PREFIX, MerkleState, toHex } from '../../../state/index.ts'

const here = dirname(fileURLToPath(import.meta.url))

/** genesis.json as JSON (decimal strings), parsed fresh on every call so tests cannot share objects. */
export function genesisJson(): Record<string, unknown> {
  return JSON.parse(readFileSync(join(here, '../../../genesis.json'), 'utf8')) as Record<string, unknown>
}

/** genesis.json's genesisTime, ms */
export const GENESIS_TIME = 1_732_406_400_000n
/** A block time comfortably after genesis. */
export const T0 = GENESIS_TIME + 1_000n

/** genesis.json accounts[0..9], lowercase (each with 1_000_000 USDC = 1e12 units) */
export const ACCOUNTS: readonly Address[] = [
  '0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266',
  '0x70997970c51812dc3a010c7d01b50e0d17dc79c8',
  '0x3c44cdddb6a900fa2b585dd299e03d12fa4293bc',
  '0x90f79bf6eb2c4f870365e785982e1f101e93b906',
  '0x15d34aaf54267db7d7c367839aaf71a00a2c6a65',
  '0x9965507d1a55bcc2695c58ba16fb37d819b0a4dc',
  '0x976ea74026e726554db657fa54763abd0c3a0aa9',
  '0x14dc79964da2c08b23698b3d3cc7ca32193d9955',
  '0x23618e81e3f5cdf7f54c3d65f7fbc0abf5b21e8f',
  '0xa0ee7a142d267c1f36714e4a8f75612f20a79720',
]
export const GENESIS_COLLATERAL = 1_000_000_000_000n

/** genesis.json oracle.signers, lowercase; quorum 2, maxReportAgeMs 10000, maxFutureDriftMs 2000 */
export const SIGNERS: readonly Address[] = [
  '0xbcd4042de499d14e55001ccbb24a551f3b954096',
  '0x71be63f3384f5fb98995898a86b02fb2426c5788',
  '0xfabb0ac9d68b0b445fb7357272ff202c5651694a',
]

/** BTC-USD prices in price units (1e-8 USD) */
export const BTC_60000 = 6_000_000_000_000n
/** ETH-USD initial price, 3000 USD */
export const ETH_3000 = 300_000_000_000n

/** A synthetic lowercase address: the byte `n` repeated 20 times. */
export function addr(n: number): Address {
  return `0x${n.toString(16).padStart(2, '0').repeat(20)}` as Address
}

export function stateFromGenesisFile(): State {
  return genesisState(parseGenesis(genesisJson()))
}

/**
 * genesis.json with its accounts replaced (markets and oracle kept), so margin numbers can be small.
 * `collateral` is in USDC units.
 */
export function stateWithAccounts(
  accounts: readonly { address: Address; collateral: bigint; subaccount?: number }[],
): State {
  const json = genesisJson()
  json.accounts = accounts.map((a) => ({
    address: a.address,
    subaccount: a.subaccount ?? 0,
    collateral: a.collateral.toString(),
  }))
  return genesisState(parseGenesis(json))
}

let hashCounter = 0
/** 32 unique bytes (a counter), standing in for the EIP-712 digest. */
export function uniqueHash(): Uint8Array {
  hashCounter += 1
  const out = new Uint8Array(32)
  new DataView(out.buffer).setUint32(28, hashCounter)
  out[0] = 0xaa
  return out
}

let autoCounter = 1_000_000n
/** A fresh nonce / clientId, unique across the test process. */
export function fresh(): bigint {
  autoCounter += 1n
  return autoCounter
}

export function orderMsg(account: Address, fields: Partial<OrderMessage> = {}): OrderMessage {
  return {
    account,
    subaccount: 0,
    market: 0,
    isBuy: true,
    price: BTC_60000,
    size: 1000n,
    timeInForce: 0,
    reduceOnly: false,
    postOnly: false,
    clientId: fresh(),
    nonce: fresh(),
    expiresAt: 0n,
    ...fields,
  }
}

export function orderTx(message: OrderMessage, signer: Address = message.account): VerifiedTx {
  return { kind: 'order', message, hash: uniqueHash(), signer }
}

export function cancelTx(
  account: Address,
  clientId: bigint,
  fields: Partial<MessageOf['cancel']> = {},
  signer: Address = account,
): VerifiedTx {
  return {
    kind: 'cancel',
    message: { account, subaccount: 0, market: 0, clientId, nonce: fresh(), ...fields },
    hash: uniqueHash(),
    signer,
  }
}

export function cancelAllTx(account: Address, market: number, nonce: bigint = fresh()): VerifiedTx {
  return { kind: 'cancelAll', message: { account, subaccount: 0, market, nonce }, hash: uniqueHash(), signer: account }
}

export function oracleTx(
  signer: Address,
  timestamp: bigint,
  markets: readonly number[],
  prices: readonly bigint[],
  txSigner: Address = signer,
): VerifiedTx {
  return { kind: 'oracleReport', message: { signer, timestamp, markets, prices }, hash: uniqueHash(), signer: txSigner }
}

let heightCounter = 0n
/** Applies one block at `time`. */
export function run(state: State, txs: readonly VerifiedTx[], time: bigint = T0): BlockResult {
  heightCounter += 1n
  return applyBlock(state, { txs }, { time, height: heightCounter })
}

/** Applies one transaction and returns its receipt. */
export function run1(state: State, tx: VerifiedTx, time: bigint = T0): Receipt {
  return run(state, [tx], time).receipts[0] as Receipt
}

export function subOf(state: State, address: Address, subaccount = 0): Subaccount {
  const s = state.subaccounts.get(subaccountId(address, subaccount))
  if (s === undefined) throw new Error(`no subaccount ${address}:${subaccount}`)
  return s
}

/** Every committed leaf as hex key → hex value (deleted / empty leaves left out). */
export function leafMap(state: State, exceptPrefix?: number): Map<string, string> {
  const out = new Map<string, string>()
  for (const { key, value } of allLeaves(state)) {
    if (value === null) continue
    if (exceptPrefix !== undefined && key[0] === exceptPrefix) continue
    out.set(toHex(key), toHex(value))
  }
  return out
}

/** Leaves except the nonce windows (a rejected transaction still consumes its nonce). */
export function leavesWithoutNonces(state: State): Map<string, string> {
  return leafMap(state, KEY_PREFIX.nonces)
}

/** The state root computed from scratch over allLeaves. */
export function rootOf(state: State): string {
  const m = new MerkleState()
  m.apply(allLeaves(state))
  return toHex(m.root())
}

/** JSON with bigints and byte arrays made printable, for comparing receipts. */
export function printable(v: unknown): string {
  return JSON.stringify(v, (_k, x: unknown) =>
    typeof x === 'bigint' ? `${x}n` : x instanceof Uint8Array ? toHex(x) : x,
  )
}

/**
 * Pins every market's volatility scale to ×1 (floor = cap = PPM), for tests of formulas that a large oracle move
 * would otherwise also scale; the scaling itself is tested in engine.risk.test.ts.
 */
export function withoutVolatilityScaling<S extends State>(state: S): S {
  for (const m of state.markets) {
    m.volatilityScaleFloor = 1_000_000n
    m.volatilityScaleCap = 1_000_000n
  }
  return state
}
