/**
 * @module The other two consumers of the matching benchmark's stream: nodejs-order-book (the reference, JS
 * numbers in ticks and lots) and perpd's full engine path (applyBlock on verified transactions, with margin,
 * settlement and every index), each with its trades in the stream's terms for the agreement check.
 *
 * nodejs-order-book is given every order with its account and self-trade prevention EXPIRE_MAKER, which is
 * perpd's rule (a taker cancels its own resting orders it meets); its market orders walk the whole book, so
 * perpd's side sends them as IOC orders with a limit beyond any resting price (the same fills).
 */
import type { IProcessOrder, LimitOrderOptions, MarketOrderOptions } from 'nodejs-order-book'
import { OrderBook, SelfTradePreventionMode, Side } from 'nodejs-order-book'
import type { VerifiedTx } from '../engine/index.ts'
import { applyBlock } from '../engine/index.ts'
import type { StreamOp, Trade } from './matchingStream.ts'
import { accountAddress, LOT, MID_TICKS, TICK } from './matchingStream.ts'

export type ReferenceOp =
  | { kind: 'limit'; options: LimitOrderOptions }
  | { kind: 'market'; options: MarketOrderOptions }
  | { kind: 'cancel'; id: string }

export function toReferenceOp(op: StreamOp): ReferenceOp {
  if (op.kind === 'cancel') return { kind: 'cancel', id: String(op.target) }
  const common = {
    side: op.isBuy ? Side.BUY : Side.SELL,
    size: op.lots,
    accountId: String(op.account),
    stpMode: SelfTradePreventionMode.EXPIRE_MAKER,
  }
  if (op.kind === 'market') return { kind: 'market', options: common }
  return { kind: 'limit', options: { ...common, id: String(op.seq), price: op.ticks } }
}

/** Runs the stream on a fresh nodejs-order-book; with `trades`, collects them. */
export function runReference(ops: readonly ReferenceOp[], trades?: Trade[]): OrderBook {
  const ob = new OrderBook()
  ops.forEach((op, seq) => {
    let res: IProcessOrder | undefined
    if (op.kind === 'cancel') ob.cancel(op.id)
    else if (op.kind === 'limit') res = ob.limit(op.options)
    else res = ob.market(op.options)
    if (res?.err != null) throw new Error(`nodejs-order-book refused op ${seq}: ${res.err.message}`)
    if (trades !== undefined && res !== undefined) trades.push(...referenceTrades(seq, res))
  })
  return ob
}

/**
 * nodejs-order-book's response: `done` holds the makers filled whole (at their remaining size) and, when the
 * taker filled whole, the taker itself; `partial` is the maker filled in part (by partialQuantityProcessed),
 * or the taker when its remainder rested or was cancelled (IOC).
 */
function referenceTrades(seq: number, res: IProcessOrder): Trade[] {
  const self = String(seq)
  const out: Trade[] = []
  for (const o of res.done) if (o.id !== self && 'price' in o) out.push([seq, Number(o.id), o.price, o.size])
  const p = res.partial
  if (p !== null && p.id !== self && res.partialQuantityProcessed > 0)
    out.push([seq, Number(p.id), p.price, res.partialQuantityProcessed])
  return out
}

export const BLOCK_TXS = 1000
const START_TIME = 1_732_406_400_001n

/** The stream as blocks of verified transactions for accounts 0x…01, 0x…02, … (subaccount 0, market 0). */
export function toBlocks(ops: readonly StreamOp[]): VerifiedTx[][] {
  const hash = new Uint8Array(32)
  const blocks: VerifiedTx[][] = []
  for (let i = 0; i < ops.length; i += BLOCK_TXS)
    blocks.push(
      ops.slice(i, i + BLOCK_TXS).map((op): VerifiedTx => {
        const account = accountAddress(op.account)
        const nonce = BigInt(op.seq + 1)
        if (op.kind === 'cancel')
          return {
            kind: 'cancel',
            message: { account, subaccount: 0, market: 0, clientId: BigInt(op.target), nonce },
            hash,
            signer: account,
          }
        const price = op.kind === 'limit' ? BigInt(op.ticks) * TICK : op.isBuy ? BigInt(MID_TICKS * 2) * TICK : TICK
        const message = {
          account,
          subaccount: 0,
          market: 0,
          isBuy: op.isBuy,
          price,
          size: BigInt(op.lots) * LOT,
          timeInForce: op.kind === 'limit' ? 0 : 1,
          reduceOnly: false,
          postOnly: false,
          clientId: BigInt(op.seq),
          nonce,
          expiresAt: 0n,
        }
        return { kind: 'order', message, hash, signer: account }
      }),
    )
  return blocks
}

/** Applies the blocks to `state`; with `trades`, collects them (maker ids mapped back to the placing op). */
export function runEngine(
  state: Parameters<typeof applyBlock>[0],
  blocks: readonly VerifiedTx[][],
  trades?: Trade[],
): { rejected: number } {
  const seqOf = new Map<bigint, number>()
  let rejected = 0
  blocks.forEach((txs, b) => {
    const height = BigInt(b + 1)
    const { receipts } = applyBlock(state, { txs }, { time: START_TIME + height, height })
    if (trades === undefined) return
    receipts.forEach((r, i) => {
      const seq = b * BLOCK_TXS + i
      if (!r.ok) rejected++
      for (const e of r.events) {
        if (e.type === 'orderPlaced') seqOf.set(e.orderId, seq)
        else if (e.type === 'fill')
          trades.push([seq, seqOf.get(e.makerOrderId) as number, Number(e.price / TICK), Number(e.size / LOT)])
      }
    })
  })
  return { rejected }
}
