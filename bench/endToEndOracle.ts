/**
 * @module The devnet oracle during the end-to-end benchmark: every 500 ms the three genesis oracle signers
 * (devnet keys 10–12) report the genesis prices at the current time, as one JSON-RPC batch, signed natively.
 * Without fresh reports the markets go stale after maxPriceAgeMs and only reducing orders are admitted.
 */
import { domainSeparator } from '../engine/index.ts'
import { addressOfPrivateKey, devnetKey, ORACLE_KEY_INDEXES } from '../node/index.ts'
import { batchBody, signWire } from './endToEndMix.ts'
import { rpc } from './endToEndNode.ts'

/** the devnet simulation's cadence (node/sim.ts) */
const EVERY_MS = 500

export interface OracleFeeder {
  /** resolves once the node's markets carry a report made after the feeder started */
  fresh: () => Promise<void>
  stop: () => void
}

export function feedOracle(url: string, chainId: number, prices: readonly bigint[]): OracleFeeder {
  const domainSep = domainSeparator(chainId)
  const signers = ORACLE_KEY_INDEXES.map((i) => {
    const key = devnetKey(i).privateKey
    return { key, address: addressOfPrivateKey(key) }
  })
  const markets = prices.map((_, i) => i)
  const startedAt = Date.now()
  let last = 0
  const send = (): void => {
    const timestamp = Math.max(Date.now(), last + 1) // each signer's reports must be newer than its last
    last = timestamp
    const reports = signers.map((s) =>
      signWire(
        domainSep,
        {
          kind: 'oracleReport',
          message: { signer: s.address, timestamp: BigInt(timestamp), markets, prices: [...prices] },
        },
        s.key,
      ),
    )
    fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: batchBody(reports) }).then(
      (res) => res.arrayBuffer(),
      () => {}, // the node is stopping
    )
  }
  send()
  const timer = setInterval(send, EVERY_MS)
  return {
    fresh: async () => {
      const deadline = Date.now() + 10_000
      for (;;) {
        const view = await rpc<{ oracleTime: string }[]>(url, 'perp_markets')
        if (view.every((m) => Number(m.oracleTime) >= startedAt)) return
        if (Date.now() > deadline) throw new Error('the oracle reports were not applied within 10 s')
        await new Promise((r) => setTimeout(r, 100))
      }
    },
    stop: () => clearInterval(timer),
  }
}
