/**
 * @module What the RPC needs from a node. node/ implements it; the RPC never reaches into node internals.
 * Results are already in JSON form (rpc/json.ts); failures are RpcError.
 */
import type { Json } from './json.ts'

export interface HealthReport {
  ok: boolean
  /** machine-readable status, e.g. 'producing', 'following', 'syncing', 'stalled', 'root-mismatch', 'equivocation' */
  status: string
  height: string
  detail?: string
}

export interface RpcBackend {
  chainId: number
  clientVersion: string
  sendTransaction(kind: string, message: unknown, signature: string): Promise<{ hash: string }>
  chainInfo(): Json
  markets(): Json
  orderBook(market: number, depth: number): Json
  account(address: string, subaccount: number): Json
  transaction(hash: string): Promise<Json>
  block(height: bigint | 'latest'): Promise<Json>
  proof(address: string, subaccount: number, height: bigint | 'latest'): Promise<Json>
  /** live liquidation auctions (of one market), priced at the head's block time */
  auctions(market: number | undefined): Json
  insuranceFund(): Json
  blockNumber(): bigint
  health(): HealthReport
}
