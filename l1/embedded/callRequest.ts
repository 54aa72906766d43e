/**
 * @module The call object of eth_call and eth_estimateGas, parsed: `from` (zero address if absent), `to`
 * (absent: a creation), `data` or `input`, `value`, `gas` and fee fields (wei per gas), `accessList`.
 */

import type { AccessList } from '@ethereumjs/tx'
import { invalidParams } from './rpcError.ts'
import type { Hex } from './rpcParams.ts'
import { parseAddress, parseData, parseHash, parseObject, parseQuantity } from './rpcParams.ts'

export interface CallRequest {
  from: Hex
  to: Hex | undefined
  data: Uint8Array
  /** wei */
  value: bigint
  /** gas units; undefined = as much as a transaction may have */
  gas: bigint | undefined
  /** wei per gas; a call pays nothing unless it says so */
  gasPrice: bigint | undefined
  maxFeePerGas: bigint | undefined
  maxPriorityFeePerGas: bigint | undefined
  accessList: AccessList | undefined
}

const ZERO_ADDRESS: Hex = '0x0000000000000000000000000000000000000000'

export function parseCallRequest(v: unknown): CallRequest {
  const o = parseObject(v, 'call')
  if (o.data !== undefined && o.input !== undefined && o.data !== o.input)
    throw invalidParams('call: data and input differ; send one of them')
  const data = o.input ?? o.data
  return {
    from: o.from === undefined || o.from === null ? ZERO_ADDRESS : parseAddress(o.from, 'call.from'),
    to: o.to === undefined || o.to === null ? undefined : parseAddress(o.to, 'call.to'),
    data: data === undefined || data === null ? new Uint8Array() : parseData(data, 'call.data'),
    value: optionalQuantity(o.value, 'call.value') ?? 0n,
    gas: optionalQuantity(o.gas, 'call.gas'),
    gasPrice: optionalQuantity(o.gasPrice, 'call.gasPrice'),
    maxFeePerGas: optionalQuantity(o.maxFeePerGas, 'call.maxFeePerGas'),
    maxPriorityFeePerGas: optionalQuantity(o.maxPriorityFeePerGas, 'call.maxPriorityFeePerGas'),
    accessList: parseAccessList(o.accessList),
  }
}

function optionalQuantity(v: unknown, name: string): bigint | undefined {
  return v === undefined || v === null ? undefined : parseQuantity(v, name)
}

function parseAccessList(v: unknown): AccessList | undefined {
  if (v === undefined || v === null) return undefined
  if (!Array.isArray(v)) throw invalidParams('call.accessList: expected an array')
  return v.map((item, i) => {
    const o = parseObject(item, `call.accessList[${i}]`)
    const keys = Array.isArray(o.storageKeys) ? o.storageKeys : []
    return {
      address: parseAddress(o.address, `call.accessList[${i}].address`),
      storageKeys: keys.map((k, j) => parseHash(k, `call.accessList[${i}].storageKeys[${j}]`)),
    }
  })
}
