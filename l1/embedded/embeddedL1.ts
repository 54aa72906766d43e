/**
 * @module `startEmbeddedL1`: an in-process Ethereum node on @ethereumjs/vm, spoken to through viem. It offers
 * an EIP-1193 `request` (for viem's `custom()` transport in the same process) and, when given a host, the same
 * methods over HTTP (for `http()` from other processes). Transactions are mined as they arrive; every
 * `blockTimeMs` an empty block is mined so L1 time advances. With `dataDir` the chain is journaled and a
 * restart resumes it.
 */

import type { FastifyInstance } from 'fastify'
import type { EIP1193RequestFn } from 'viem'
import type { FundedAccount } from './blockProducer.ts'
import { DEFAULT_CHAIN_ID } from './chainParams.ts'
import { EmbeddedChain } from './embeddedChain.ts'
import { createEthRequest } from './ethRpc.ts'
import { buildEthHttpServer } from './httpServer.ts'
import { invalidParams } from './rpcError.ts'

export interface EmbeddedL1Options {
  /** default 31337 */
  chainId?: number
  /** interval mining in ms (empty blocks so time advances); 0 = a block only per transaction. default 1000 */
  blockTimeMs?: number
  /** accounts funded with ETH at start (wei) */
  fund: FundedAccount[]
  /** serve HTTP eth JSON-RPC on this host:port (port 0 = free port); omit host to not listen */
  host?: string
  port?: number
  /** directory to persist the L1 chain (journal); omitted = in memory only */
  dataDir?: string
  log?: (msg: string) => void
}

export interface EmbeddedL1 {
  readonly chainId: number
  /** http://127.0.0.1:<port> when listening */
  readonly url: string | undefined
  /** EIP-1193 `request({ method, params })`, typed as viem's own EIP-1193 function so it fits wherever viem
   * takes a provider; `params` must be an array (anything else is -32602) */
  readonly request: EIP1193RequestFn
  /** L1 time of the latest block, seconds */
  now(): bigint
  blockNumber(): bigint
  /** moves the clock forward and mines one block (like anvil's evm_increaseTime + evm_mine); the block is
   * stamped exactly `seconds` after the latest one */
  increaseTime(seconds: number): Promise<void>
  mine(): Promise<void>
  stop(): Promise<void>
}

export const DEFAULT_BLOCK_TIME_MS = 1000

export async function startEmbeddedL1(o: EmbeddedL1Options): Promise<EmbeddedL1> {
  const chainId = o.chainId ?? DEFAULT_CHAIN_ID
  const blockTimeMs = o.blockTimeMs ?? DEFAULT_BLOCK_TIME_MS
  if (!Number.isSafeInteger(blockTimeMs) || blockTimeMs < 0) throw new Error('blockTimeMs: expected an integer ≥ 0')
  const log = o.log ?? (() => {})
  const chain = await EmbeddedChain.open({ chainId, fund: o.fund, dataDir: o.dataDir, log })
  const request = createEthRequest(chain, log)

  let server: FastifyInstance | undefined
  let url: string | undefined
  if (o.host !== undefined) {
    server = buildEthHttpServer(request)
    try {
      await server.listen({ host: o.host, port: o.port ?? 0 })
    } catch (e) {
      await chain.close()
      throw e
    }
    const address = server.server.address()
    const port = typeof address === 'object' && address !== null ? address.port : o.port
    url = `http://${o.host.includes(':') ? `[${o.host}]` : o.host}:${port}`
    log(`l1: embedded L1 (chain ${chainId}) serving JSON-RPC on ${url}`)
  }
  const timer = blockTimeMs > 0 ? setInterval(() => chain.mineInterval(), blockTimeMs) : undefined
  // the clock alone must not keep a process alive; whoever uses the node does
  timer?.unref()

  let stopped = false
  return {
    chainId,
    url,
    // the same function; viem's type is generic in the method's result, which a table of methods cannot name
    request: request as EIP1193RequestFn,
    now: () => chain.store.head().timestamp,
    blockNumber: () => chain.store.head().number,
    increaseTime: async (seconds) => {
      if (!Number.isSafeInteger(seconds) || seconds < 0) throw invalidParams('seconds: expected an integer ≥ 0')
      await chain.mine({ after: BigInt(seconds) })
    },
    mine: async () => {
      await chain.mine()
    },
    stop: async () => {
      if (stopped) return
      stopped = true
      if (timer !== undefined) clearInterval(timer)
      await server?.close()
      await chain.close()
    },
  }
}
