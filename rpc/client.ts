/**
 * @module perpd/client — the TypeScript SDK for perpd's JSON-RPC: `createClient({ url, account })` gives typed
 * reads and one-call signed writes (placeOrder, marketOrder, cancel, cancelAll, withdraw, transfer,
 * approveAgent, bid) taking decimal strings in the market's own scales, plus `waitFor(hash)` and WebSocket
 * `subscribe(topic, params, { onData })`.
 *
 * - Signing: any viem Account — a LocalAccount signs itself, a JSON-RPC account signs through the `walletClient`
 *   passed with it. The EIP-712 domain and types are the node's (perp_chainInfo().eip712, fetched once), so the
 *   client works for any chain id.
 * - Agents: a client whose `account` is an agent key and whose `owner` is the account it trades for signs
 *   messages for `owner` (orders and cancels; the owner first calls approveAgent).
 * - Values: reads return integers as bigint in chain units (clientTypes.ts); writes take decimal strings and
 *   refuse, before any transaction is sent, a decimal with more digits than its scale, a price off tick, or a
 *   size off lot. Errors are PerpdError subclasses mirroring the node's error table (clientErrors.ts).
 *
 * Imports only viem and rpc/ files without node dependencies, so a browser bundle does not pull in the node.
 */
import type { Account, WalletClient } from 'viem'
import type { ApproveAgentParameters, BidParameters, TransferParameters, WithdrawParameters } from './clientFunds.ts'
import { buildApproveAgent, buildBid, buildTransfer, buildWithdraw } from './clientFunds.ts'
import { createMarketDirectory } from './clientMarkets.ts'
import { nextNonce } from './clientNonces.ts'
import type {
  CancelAllParameters,
  CancelParameters,
  MarketOrderParameters,
  PlaceOrderParameters,
} from './clientOrders.ts'
import { buildCancel, buildCancelAll, buildMarketOrder, buildPlaceOrder } from './clientOrders.ts'
import type { ReadActions } from './clientReads.ts'
import { createReadActions } from './clientReads.ts'
import { createSigner } from './clientSigning.ts'
import type { SubscribeOptions, Subscription, Topic, Topics } from './clientSubscriptions.ts'
import { createSubscriptions } from './clientSubscriptions.ts'
import type { FetchFn } from './clientTransport.ts'
import { createTransport, DEFAULT_TIMEOUT_MS } from './clientTransport.ts'
import type { UnsignedTx, WriteContext } from './clientTx.ts'
import { address as checkAddress, uint32 } from './clientTx.ts'
import type { Address, Eip712Description, FinalReceipt, Hex } from './clientTypes.ts'
import type { WaitForOptions } from './clientWait.ts'
import { waitForReceipt } from './clientWait.ts'

export interface ClientOptions {
  /** the node's JSON-RPC URL, e.g. http://127.0.0.1:8545 */
  url: string
  /** the signing key: any viem Account */
  account: Account
  /** needed when `account` is a JSON-RPC account (the wallet signs) */
  walletClient?: WalletClient | undefined
  /** the account to act for when `account` is its approved agent; default `account.address` */
  owner?: string | undefined
  /** the subaccount writes and reads default to; default 0 */
  subaccount?: number | undefined
  /** defaults to globalThis.fetch */
  fetch?: FetchFn | undefined
  /** per JSON-RPC call, ms; default 10,000 */
  timeoutMs?: number | undefined
}

/** What a write returns: the transaction hash (its EIP-712 digest) and the nonce it used. */
export interface WriteResult {
  hash: Hex
  nonce: bigint
}

export interface OrderResult extends WriteResult {
  /** the order's clientId (the nonce unless you chose one): cancel by it */
  clientId: bigint
}

export interface PerpdClient extends ReadActions {
  readonly url: string
  /** the account messages act for (lowercase) */
  readonly address: Address
  /** the key that signs (the owner itself, or its agent) */
  readonly signer: Address
  placeOrder(p: PlaceOrderParameters): Promise<OrderResult>
  marketOrder(p: MarketOrderParameters): Promise<OrderResult>
  cancel(p: CancelParameters): Promise<WriteResult>
  cancelAll(p: CancelAllParameters): Promise<WriteResult>
  withdraw(p: WithdrawParameters): Promise<WriteResult>
  transfer(p: TransferParameters): Promise<WriteResult>
  approveAgent(p: ApproveAgentParameters): Promise<WriteResult>
  bid(p: BidParameters): Promise<WriteResult>
  /** polls until the transaction is included or rejected */
  waitFor(hash: Hex, opts?: WaitForOptions): Promise<FinalReceipt>
  /** the node's EIP-712 domain and types (fetched once) */
  eip712(): Promise<Eip712Description>
  /** any JSON-RPC method, raw: the result as the wire has it, failures as typed errors */
  request<T = unknown>(method: string, params?: readonly unknown[]): Promise<T>
  /** perp_subscribe over the node's WebSocket (/ws): `onData` gets each notification, converted like reads */
  subscribe<T extends Topic>(topic: T, params: Topics[T]['params'], opts: SubscribeOptions<T>): Promise<Subscription>
  /** closes the client's WebSocket, if one is open (every subscription ends); HTTP needs no closing */
  close(): Promise<void>
}

export function createClient(opts: ClientOptions): PerpdClient {
  const transport = createTransport({ url: opts.url, fetch: opts.fetch, timeoutMs: opts.timeoutMs })
  const signer = createSigner(opts.account, opts.walletClient)
  const signerAddress = opts.account.address.toLowerCase() as Address
  const owner = opts.owner === undefined ? signerAddress : checkAddress(opts.owner, 'owner')
  const subaccount = uint32(opts.subaccount ?? 0, 'subaccount')
  const directory = createMarketDirectory(() => reads.markets())
  const reads = createReadActions({ transport, directory, owner, subaccount })
  const subscriptions = createSubscriptions({
    url: opts.url,
    timeoutMs: opts.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    directory,
    owner,
    subaccount,
  })

  let eip712: Promise<Eip712Description> | undefined
  const loadEip712 = (): Promise<Eip712Description> => {
    eip712 ??= reads.chainInfo().then(
      (info) => info.eip712,
      (e: unknown) => {
        eip712 = undefined // a failed read is retried by the next write
        throw e
      },
    )
    return eip712
  }

  const ctx: WriteContext = {
    owner,
    isAgent: owner !== signerAddress,
    subaccount,
    directory,
    nonce: (explicit) => explicit ?? nextNonce(),
    reads: {
      orderBook: (market, depth) => reads.orderBook(market, depth),
      auctions: () => reads.auctions(),
      async markPrice(market) {
        const m = (await reads.markets()).find((x) => x.id === market)
        return m?.markPrice ?? 0n
      },
    },
  }

  async function send<E extends object>(tx: UnsignedTx<E>): Promise<{ hash: Hex } & UnsignedTx<E>['extra']> {
    const signed = await signer.sign(await loadEip712(), tx.kind, tx.message)
    const { hash } = await transport.request<{ hash: Hex }>('perp_sendTransaction', [signed])
    return { hash, ...tx.extra }
  }

  return {
    ...reads,
    url: opts.url,
    address: owner,
    signer: signerAddress,
    placeOrder: async (p) => send(await buildPlaceOrder(ctx, p)),
    marketOrder: async (p) => send(await buildMarketOrder(ctx, p)),
    cancel: async (p) => send(await buildCancel(ctx, p)),
    cancelAll: async (p) => send(await buildCancelAll(ctx, p)),
    withdraw: async (p) => send(buildWithdraw(ctx, p)),
    transfer: async (p) => send(buildTransfer(ctx, p)),
    approveAgent: async (p) => send(buildApproveAgent(ctx, p)),
    bid: async (p) => send(await buildBid(ctx, p)),
    waitFor: (hash, waitOpts) => waitForReceipt((h) => reads.transaction(h), hash, waitOpts),
    eip712: loadEip712,
    request: (method, params) => transport.request(method, params),
    subscribe: (topic, params, subscribeOpts) => subscriptions.subscribe(topic, params, subscribeOpts),
    close: () => subscriptions.close(),
  }
}

export * from './clientAppErrors.ts'
export type { MarketScale } from './clientDecimals.ts'
export {
  COLLATERAL_DECIMALS,
  formatAmount,
  formatPrice,
  formatSize,
  formatUnits,
  parseAmount,
  parsePrice,
  parseSize,
  parseUnits,
} from './clientDecimals.ts'
export type {
  AppErrorOptions,
  AppErrorOrigin,
  ClientErrorReason,
  PerpdErrorOptions,
  PerpdErrorReason,
  ProtocolErrorClass,
  ProtocolErrorReason,
  TransportErrorReason,
} from './clientErrors.ts'
export {
  AppError,
  HttpRequestError,
  InternalError,
  InvalidDecimalError,
  InvalidParamsError,
  InvalidRequestError,
  InvalidResponseError,
  MethodNotFoundError,
  ParseError,
  PerpdError,
  ProtocolError,
  SignerError,
  TimeoutError,
  TooManyDecimalsError,
  UnknownRpcError,
} from './clientErrors.ts'
export type {
  ApproveAgentParameters,
  BidParameters,
  TransferParameters,
  WithdrawParameters,
} from './clientFunds.ts'
export type { MarketRef } from './clientMarkets.ts'
export { nextNonce } from './clientNonces.ts'
export type {
  CancelAllParameters,
  CancelParameters,
  MarketOrderParameters,
  PlaceOrderParameters,
  Side,
  TimeInForce,
} from './clientOrders.ts'
export type { ReadActions } from './clientReads.ts'
export type { SignedTransaction } from './clientSigning.ts'
export type { NewHead, SubscribeOptions, Subscription, Topic, Topics } from './clientSubscriptions.ts'
export type { FetchFn } from './clientTransport.ts'
export type { SubaccountOptions, TxOptions } from './clientTx.ts'
export type {
  AccountState,
  Address,
  Auction,
  Auctions,
  Block,
  BookLevel,
  ChainEvent,
  ChainInfo,
  Eip712Description,
  FinalReceipt,
  Hex,
  InsuranceFund,
  MarginTier,
  Market,
  OpenOrder,
  OrderBook,
  Position,
  Proof,
  Receipt,
} from './clientTypes.ts'
export type { WaitForOptions } from './clientWait.ts'
export { receiptError } from './clientWait.ts'
export type { AppErrorReason } from './errors.ts'
export { APP_ERRORS, PROTOCOL_ERRORS } from './errors.ts'
