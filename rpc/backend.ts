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

/**
 * One committed block as the WebSocket subscriptions need it (rpc/subscriptionHub.ts), already in JSON form.
 * The node builds it from the committed block and its result.
 */
export interface BlockFeed {
  /** decimal */
  height: string
  /** 0x-hex, 32 bytes */
  hash: string
  parentHash: string
  /** block time, ms (decimal) */
  time: string
  proposer: string
  stateRoot: string
  txRoot: string
  transactionCount: number
  /** the block's transactions whose receipts hold events, in block order (`index` = position in the block); may be
   * built on first read */
  transactions: { hash: string; index: number; events: { [key: string]: Json }[] }[]
  /**
   * block-level events, as perp_block(height).events; an auctionReset also carries its auction's `market` when
   * the auction is still live after the block
   */
  events: { [key: string]: Json }[]
  /** markets whose book may have changed in this block (orders placed, filled, cancelled or expired) */
  markets: number[]
  /** subaccounts the block changed: collateral, positions, assets or resting orders (address lower-case) */
  subaccounts: { address: string; subaccount: number }[]
}

export interface RpcBackend {
  chainId: number
  clientVersion: string
  /** a value when the answer is ready at once (its signature recovered ahead), else a promise */
  sendTransaction(kind: string, message: unknown, signature: string): { hash: string } | Promise<{ hash: string }>
  /** optional: requests of a batch about to run one by one, so work they share starts together (signatures) */
  prefetch?(requests: readonly unknown[]): void
  chainInfo(): Json
  markets(): Json
  orderBook(market: number, depth: number): Json
  account(address: string, subaccount: number): Json
  transaction(hash: string): Promise<Json>
  block(height: bigint | 'latest'): Promise<Json>
  proof(address: string, subaccount: number, height: bigint | 'latest'): Promise<Json>
  /** proof of the pending-withdrawal leaf `id` (what the L1 contract's finalizeWithdrawal takes) */
  withdrawalProof(id: bigint, height: bigint | 'latest'): Promise<Json>
  /** proof of any state key (0x-hex, docs/state-tree.md key layouts): markets and the bridge leaf for the escape hatch */
  stateProof(key: string, height: bigint | 'latest'): Promise<Json>
  /** the L1 side: last settled root, escape mode, deposits, withdrawals and their L1 status */
  settlement(): Promise<Json>
  /** live liquidation auctions (of one market), priced at the head's block time */
  auctions(market: number | undefined): Json
  insuranceFund(): Json
  blockNumber(): bigint
  /**
   * Resolves when the node's live state is its committed head's (not a block executed and still being written), so
   * a read labelled with the head's height shows that height. Dispatch awaits it before every method.
   */
  settled(): Promise<void>
  health(): HealthReport
  /**
   * Calls `listener` with each block committed from now on, synchronously after the commit and before the next
   * block executes, so the backend's reads made inside the listener show exactly that block's height. A listener
   * that throws is logged and does not disturb the chain. Returns the function that removes the listener.
   */
  onBlock(listener: (feed: BlockFeed) => void): () => void
}
