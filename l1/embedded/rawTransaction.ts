/**
 * @module Decoding eth_sendRawTransaction's bytes into a signed transaction for this chain: legacy (with or
 * without EIP-155), EIP-2930 and EIP-1559 typed transactions, and EIP-7702 set-code ones. Blob transactions
 * (EIP-4844) are refused: this node keeps no blob sidecars.
 */

import type { Common } from '@ethereumjs/common'
import type { TypedTransaction } from '@ethereumjs/tx'
import { createTxFromRLP } from '@ethereumjs/tx'
import { invalidParams, rejected } from './rpcError.ts'

const ACCEPTED_TYPES = new Set([0, 1, 2, 4])

export function decodeRawTransaction(raw: Uint8Array, common: Common): TypedTransaction {
  let tx: TypedTransaction
  try {
    tx = createTxFromRLP(raw, { common })
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e)
    if (/chain ?id/i.test(message)) throw rejected(`invalid chain id: ${message}`)
    throw invalidParams(`invalid raw transaction: ${message}`)
  }
  if (!ACCEPTED_TYPES.has(tx.type)) throw rejected(`transaction type ${tx.type} is not accepted by this node`)
  if (!tx.isSigned()) throw rejected('transaction is not signed')
  try {
    tx.getSenderAddress()
  } catch (e) {
    throw rejected(`invalid signature: ${e instanceof Error ? e.message : String(e)}`)
  }
  return tx
}
