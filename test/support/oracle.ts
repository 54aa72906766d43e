/**
 * Acting as the devnet oracle in tests: two of the three oracle keys (quorum 2) sign a report at the current
 * time; the helper waits until the sequencer has applied it. Without fresh prices a market is stale and the
 * engine accepts only orders that reduce a position.
 */
import { privateKeyToAccount } from 'viem/accounts'
import { devnetKey, ORACLE_KEY_INDEXES } from '../../node/index.ts'
import { toHex } from '../../state/index.ts'
import { call, waitFor } from './rpcClient.ts'
import type { Eip712Info } from './signing.ts'
import { signTx } from './signing.ts'

/** The devnet's genesis prices: BTC-USD $60,000 and ETH-USD $3,000, 8 price decimals. */
export const GENESIS_PRICES = ['6000000000000', '300000000000'] as const

let lastTimestamp = 0

export async function feedOracle(url: string, prices: readonly string[] = GENESIS_PRICES): Promise<void> {
  const { eip712 } = await call<{ eip712: Eip712Info }>(url, 'perp_chainInfo')
  const timestamp = Math.max(Date.now(), lastTimestamp + 1)
  lastTimestamp = timestamp
  const signers = ORACLE_KEY_INDEXES.slice(0, 2).map((i) => privateKeyToAccount(toHex(devnetKey(i).privateKey)))
  for (const signer of signers) {
    const report = await signTx(signer, eip712, 'oracleReport', {
      signer: signer.address,
      timestamp: String(timestamp),
      markets: prices.map((_, i) => String(i)),
      prices: [...prices],
    })
    await call(url, 'perp_sendTransaction', [report])
  }
  await waitFor('oracle prices applied', async () => {
    const markets = await call<{ oracleTime: string }[]>(url, 'perp_markets')
    return markets.every((m) => BigInt(m.oracleTime) >= BigInt(timestamp)) ? true : undefined
  })
}
