/**
 * Signing perpd transactions the way a wallet does: viem's signTypedData with the domain and types the node
 * publishes in perp_chainInfo, then the JSON wire form (decimal strings).
 */
import type { LocalAccount } from 'viem'
import { call, waitFor } from './rpcClient.ts'

export interface Eip712Info {
  domain: { name: string; version: string; chainId: number }
  types: Record<string, { name: string; type: string }[]>
  primaryTypes: Record<string, string>
}

export type WireMessage = Record<string, string | number | boolean | string[] | number[]>

/**
 * A limit order's wire message: a 0.001 BTC-USD buy at 59,000 on subaccount 0, good till canceled, clientId =
 * nonce; `over` replaces any field.
 */
export function orderMessage(account: string, nonce: number, over: Partial<WireMessage> = {}): WireMessage {
  return {
    account,
    subaccount: '0',
    market: '0',
    isBuy: true,
    price: '5900000000000',
    size: '1000',
    timeInForce: 0,
    reduceOnly: false,
    postOnly: false,
    clientId: String(nonce),
    nonce: String(nonce),
    expiresAt: '0',
    ...over,
  }
}

/** Signs `message` (wire form: integers as decimal strings) and returns the perp_sendTransaction param. */
export async function signTx(account: LocalAccount, eip712: Eip712Info, kind: string, message: WireMessage) {
  const primaryType = eip712.primaryTypes[kind] as string
  const { EIP712Domain: _, ...types } = eip712.types
  const fields = types[primaryType] ?? []
  const typed: Record<string, unknown> = {}
  for (const f of fields) {
    const v = message[f.name]
    typed[f.name] =
      f.type.startsWith('uint') && !f.type.endsWith('[]')
        ? BigInt(v as string)
        : Array.isArray(v)
          ? v.map((x) => BigInt(x))
          : v
  }
  const signature = await account.signTypedData({ domain: eip712.domain, types, primaryType, message: typed } as never)
  return { kind, message, signature }
}

/** Signs and sends a transaction, then waits for its perp_transaction record to say included or rejected. */
export async function sendAndWait<T extends { status: string }>(
  url: string,
  account: LocalAccount,
  eip712: Eip712Info,
  kind: string,
  message: WireMessage,
): Promise<T> {
  const tx = await signTx(account, eip712, kind, message)
  const { hash } = await call<{ hash: string }>(url, 'perp_sendTransaction', [tx])
  return waitFor(`${kind} included`, async () => {
    const t = await call<T | null>(url, 'perp_transaction', [hash])
    return t?.status === 'included' || t?.status === 'rejected' ? t : undefined
  })
}
