// Trade with the client SDK (perpd/client): decimal prices, typed errors, no hand-made signatures.
// Run against a devnet (`npm start`):
//   node docs/examples/sdk-order.ts [http://127.0.0.1:8545]
import { createClient, formatPrice, formatSize, PerpdError } from 'perpd/client'
import { privateKeyToAccount } from 'viem/accounts'

const url = process.argv[2] ?? 'http://127.0.0.1:8545'

// devnet account 6, funded with 1,000,000 USDC at genesis (a public test key: never use it with value)
const account = privateKeyToAccount('0x92db14e403b83dfe3df233f83dfa3a0d7096f21ca9b0d6d6b8d88b2b4ec1564e')
const client = createClient({ url, account })

// scales come from the node: prices, sizes, tick and lot are bigints in the market's integer units
const btc = await client.market('BTC-USD')
console.log(`BTC-USD tick ${formatPrice(btc, btc.tickSize)} lot ${formatSize(btc, btc.lotSize)}`)

// a decimal with more digits than the market's 8 price decimals is refused before anything is sent
try {
  await client.placeOrder({ market: 'BTC-USD', side: 'buy', price: '50000.123456789', size: '0.01' })
} catch (e) {
  if (!(e instanceof PerpdError)) throw e
  console.log(`refused before sending: ${e.reason}`)
}

// a post-only bid at $50,000 for 0.01 BTC: the SDK signs the Order with the node's EIP-712 domain and types
const { hash, clientId } = await client.placeOrder({
  market: 'BTC-USD',
  side: 'buy',
  price: '50000',
  size: '0.01',
  postOnly: true,
})
console.log('sent', hash)
const receipt = await client.waitFor(hash, { timeoutMs: 20_000, throwOnReject: true })
console.log(`${receipt.status} at height ${receipt.height}`)

const resting = (await client.account()).openOrders.find((o) => o.clientId === clientId)
if (resting !== undefined)
  console.log(`resting: buy ${formatSize(btc, resting.size)} at ${formatPrice(btc, resting.price)}`)

// cancel it by the clientId the SDK chose (the order's nonce unless you pass one)
const cancel = await client.cancel({ market: 'BTC-USD', clientId })
console.log('cancel', (await client.waitFor(cancel.hash, { timeoutMs: 20_000 })).status)
