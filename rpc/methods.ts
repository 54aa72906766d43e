/**
 * @module The JSON-RPC methods: name → handler over the backend. Each reads its positional params with
 * rpc/params.ts, so a wrong type is a -32602 naming the parameter.
 */
import type { RpcBackend } from './backend.ts'
import { invalidParams } from './errors.ts'
import type { Json } from './json.ts'
import { address, blockTag, hash32, object, paramList, uint } from './params.ts'

export type MethodHandler = (params: unknown, backend: RpcBackend) => Json | Promise<Json>

const MAX_DEPTH = 500

/** A method that takes no params (an empty array or none). */
function noParams(read: (b: RpcBackend) => Json): MethodHandler {
  return (params, b) => {
    paramList(params, 0)
    return read(b)
  }
}

export const METHODS: Readonly<Record<string, MethodHandler>> = {
  perp_sendTransaction: async (params, b) => {
    const [p] = paramList(params, 1)
    const tx = object(p, 'params[0]')
    if (typeof tx.kind !== 'string') throw invalidParams('kind must be a string', 'kind')
    if (typeof tx.signature !== 'string' || !/^0x[0-9a-fA-F]{130}$/.test(tx.signature))
      throw invalidParams('signature must be 65 bytes of 0x-hex (r‖s‖v)', 'signature')
    return b.sendTransaction(tx.kind, tx.message, tx.signature)
  },
  perp_chainInfo: noParams((b) => b.chainInfo()),
  perp_markets: noParams((b) => b.markets()),
  perp_orderBook: (params, b) => {
    const [market, depth] = paramList(params, 2)
    return b.orderBook(uint(market, 'market', 2 ** 32 - 1), uint(depth, 'depth', MAX_DEPTH, 20))
  },
  perp_account: (params, b) => {
    const [addr, sub] = paramList(params, 2)
    return b.account(address(addr, 'address'), uint(sub, 'subaccount', 2 ** 32 - 1, 0))
  },
  perp_transaction: (params, b) => {
    const [hash] = paramList(params, 1)
    return b.transaction(hash32(hash, 'hash'))
  },
  perp_block: (params, b) => {
    const [tag] = paramList(params, 1)
    return b.block(blockTag(tag, 'height'))
  },
  perp_proof: (params, b) => {
    const [addr, sub, tag] = paramList(params, 3)
    return b.proof(address(addr, 'address'), uint(sub, 'subaccount', 2 ** 32 - 1, 0), blockTag(tag, 'height'))
  },
  perp_auctions: (params, b) => {
    const [market] = paramList(params, 1)
    return b.auctions(market === undefined ? undefined : uint(market, 'market', 2 ** 32 - 1))
  },
  perp_insuranceFund: noParams((b) => b.insuranceFund()),
  eth_chainId: noParams((b) => `0x${b.chainId.toString(16)}`),
  net_version: noParams((b) => String(b.chainId)),
  web3_clientVersion: noParams((b) => b.clientVersion),
  eth_blockNumber: noParams((b) => `0x${b.blockNumber().toString(16)}`),
}
