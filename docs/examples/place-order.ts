// Sign and send an order with nothing but viem and fetch. Run against a devnet:
//   node docs/examples/place-order.ts [http://127.0.0.1:8545]
import { privateKeyToAccount } from 'viem/accounts'

const url = process.argv[2] ?? 'http://127.0.0.1:8545'

async function rpc(method: string, params: unknown[] = []) {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
  })
  const { result, error } = await res.json()
  if (error) throw new Error(`${error.code} ${error.message}`)
  return result
}

// devnet account 5, funded with 1,000,000 USDC at genesis (a public test key: never use it with value)
const account = privateKeyToAccount('0x8b3a350cf5c34c9194ca85829a2df0ec3153be0318b5e2d3348e872092edffba')

// the node publishes the EIP-712 domain and types; a wallet signs exactly these
const { eip712 } = await rpc('perp_chainInfo')
const { EIP712Domain, ...types } = eip712.types

const message = {
  account: account.address,
  subaccount: 0,
  market: 0, // BTC-USD
  isBuy: true,
  price: 5_500_000_000_000n, // $55,000: BTC-USD prices have 8 decimals
  size: 10_000n, // 0.01 BTC: sizes have 6 decimals
  timeInForce: 0, // GTC
  reduceOnly: false,
  postOnly: true,
  clientId: 1n,
  nonce: BigInt(Date.now()), // any unused uint64
  expiresAt: 0n,
}
const signature = await account.signTypedData({ domain: eip712.domain, types, primaryType: 'Order', message })

// on the wire, integers are decimal strings
const wire = JSON.parse(JSON.stringify(message, (_, v) => (typeof v === 'bigint' ? v.toString() : v)))
const { hash } = await rpc('perp_sendTransaction', [{ kind: 'order', message: wire, signature }])
console.log('sent', hash)

for (let i = 0; i < 40; i++) {
  const tx = await rpc('perp_transaction', [hash])
  if (tx?.status === 'included' || tx?.status === 'rejected') {
    console.log(tx.status, 'at height', tx.height)
    console.log('open orders:', (await rpc('perp_account', [account.address, 0])).openOrders.length)
    break
  }
  await new Promise((r) => setTimeout(r, 250))
}
