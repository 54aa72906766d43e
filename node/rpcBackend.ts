/**
 * @module The node's answers to the RPC (rpc/backend.ts): admission of transactions into the mempool and
 * read views over the chain.
 *
 * Admission, in order: kind known → message decodes (field named on error) → signature recovers (EIP-712
 * under this chain's domain; a message signed for another chain id recovers to another address and fails as
 * UNAUTHORIZED) → the engine's own checks against the current state (checkTransaction) → not already pending
 * (same hash, or the same account nonce) → mempool has room. A validator then forwards the transaction to
 * the sequencer over gossip.
 */

import type { Address, SignedTx, State } from '../engine/index.ts'
import {
  accountView,
  auctionsView,
  bookView,
  decodeBlock,
  decodeMessage,
  eip712Description,
  encodeSignedTx,
  insuranceFundView,
  isTxKind,
  MessageError,
  marketView,
  messageAccount,
  messageNonce,
  SYSTEM_KINDS,
  subaccountId,
  TxRejected,
} from '../engine/index.ts'
import type { BlockFeed, HealthReport, Json, RpcBackend } from '../rpc/index.ts'
import { appError, invalidParams, isAppErrorReason, toJson } from '../rpc/index.ts'
import {
  encodeProof,
  fromHex,
  proveLeafAt,
  subaccountKey,
  TreeUnavailableError,
  toHex,
  verifyProof,
  withdrawalKey,
} from '../state/index.ts'
import { createAdmissionSignatures } from './admissionSignatures.ts'
import type { Chain, CommittedBlock } from './chain.ts'
import { alarmHealth, currentAlarm } from './evidence.ts'
import type { Mempool } from './mempool.ts'
import { MempoolFull, NonceTaken } from './mempool.ts'
import { blockJson, RecentBlocks } from './recentBlocks.ts'
import type { SignaturePool } from './signaturePool.ts'
import { createSignaturePool } from './signaturePool.ts'
import { SignatureError } from './signatures.ts'
import type { VerifiedSignedTx } from './verify.ts'
import { verifySignedTx } from './verify.ts'

export interface BackendInit {
  chain: Chain
  mempool: Mempool
  role: 'sequencer' | 'validator'
  version: string
  now: () => number
  peers: () => number
  health: () => HealthReport
  /** validators forward admitted transactions to the sequencer */
  forward?: (bytes: Uint8Array) => Promise<void>
  /** the L1 view for perp_settlement (node/l1Link.ts), when the node is linked to L1 */
  settlement?: () => Promise<Json>
  log: (msg: string) => void
  /** recovers the signatures of transactions that arrive together (node/admissionSignatures.ts); omitted: inline */
  signatures?: SignaturePool
}

export interface NodeBackend extends RpcBackend {
  /** admission for a transaction that arrived by gossip (binary form) */
  admitSigned(signed: SignedTx): VerifiedSignedTx
}

type JsonObject = { [key: string]: Json }

/**
 * A committed block as the WebSocket subscriptions read it (rpc/backend.ts BlockFeed), built from the live state
 * right after the commit. Touched subaccounts are the block's dirty ones plus the owners of orders it placed or
 * changed (an order that rests changes its owner's view without touching the owner's leaf).
 */
export function blockFeed(state: State, c: CommittedBlock): BlockFeed {
  const h = c.block.header
  const { receipts, events, dirty } = c.result
  // the receipts in JSON form only for a reader of `transactions` (fills and liquidations subscriptions): a node
  // with only newHeads or orderBook subscribers skips ~1,000 receipts a block (~2% of a loaded sequencer's thread)
  let transactions: BlockFeed['transactions'] | undefined
  const receiptsWithEvents = (): BlockFeed['transactions'] => {
    const out: BlockFeed['transactions'] = []
    receipts.forEach((r, index) => {
      if (r.events.length > 0) out.push({ hash: toHex(r.hash), index, events: toJson(r.events) as JsonObject[] })
    })
    return out
  }
  const markets = new Set(dirty.markets)
  const touched = new Set(dirty.subaccounts)
  for (const [id, market] of dirty.orders) {
    markets.add(market)
    const order = state.orders.get(id)
    if (order !== undefined) touched.add(subaccountId(order.address, order.subaccount))
  }
  return {
    height: h.height.toString(),
    hash: toHex(c.hash),
    parentHash: toHex(h.parentHash),
    time: h.time.toString(),
    proposer: h.proposer,
    stateRoot: toHex(h.stateRoot),
    txRoot: toHex(h.txRoot),
    transactionCount: receipts.length,
    get transactions() {
      transactions ??= receiptsWithEvents()
      return transactions
    },
    events: events.map((e) =>
      toJson(e.type === 'auctionReset' ? { ...e, market: state.auctions.get(e.auctionId)?.market } : e),
    ) as JsonObject[],
    markets: [...markets].sort((a, b) => a - b),
    subaccounts: [...touched].map((id) => {
      const at = id.lastIndexOf(':')
      return { address: id.slice(0, at).toLowerCase(), subaccount: Number(id.slice(at + 1)) }
    }),
  }
}

export function createRpcBackend(init: BackendInit): NodeBackend {
  const { chain, mempool } = init
  const blockListeners = new Set<(feed: BlockFeed) => void>()
  const recent = new RecentBlocks()
  chain.onCommitted((c) => recent.add(c))
  chain.onCommitted((c) => {
    if (blockListeners.size === 0) return
    // a subscriber's failure must never fail the commit that called us (the block is already on disk)
    try {
      const feed = blockFeed(chain.state, c)
      for (const listener of [...blockListeners]) {
        try {
          listener(feed)
        } catch (e) {
          init.log(`block listener failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`)
        }
      }
    } catch (e) {
      init.log(`block feed failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`)
    }
  })

  const signatures = createAdmissionSignatures(init.signatures ?? createSignaturePool({ workers: 0 }), chain.domainSep)

  function signatureRefused(e: unknown): unknown {
    return e instanceof SignatureError ? appError('INVALID_SIGNATURE', e.message, 'signature') : e
  }

  function admit(signed: SignedTx): VerifiedSignedTx {
    let verified: VerifiedSignedTx
    try {
      verified = verifySignedTx(chain.domainSep, signed)
    } catch (e) {
      throw signatureRefused(e)
    }
    admitVerified(verified)
    return verified
  }

  /** Admission after the signature: state checks, then the mempool. Returns the hash as hex (made once). */
  function admitVerified(verified: VerifiedSignedTx): string {
    const hash = toHex(verified.tx.hash)
    if (mempool.has(hash)) throw appError('ALREADY_KNOWN', `transaction ${hash} is already pending`)
    const account = messageAccount(verified.tx)
    try {
      const time = BigInt(Math.max(init.now(), Number(chain.head.time) + 1))
      chain.checkTransaction(verified.tx, time)
    } catch (e) {
      if (e instanceof TxRejected) {
        const reason = e.code === 'UNAUTHORIZED' && verified.tx.signer !== account ? 'UNAUTHORIZED' : e.code
        const hint = reason === 'UNAUTHORIZED' ? ' (signed by another key, or for another chain id?)' : ''
        throw appError(isAppErrorReason(reason) ? reason : 'INVALID_MESSAGE', `${e.message}${hint}`)
      }
      throw e
    }
    try {
      mempool.add(verified, init.now(), hash)
    } catch (e) {
      if (e instanceof NonceTaken) throw appError('NONCE_REUSED', e.message, 'nonce')
      if (e instanceof MempoolFull)
        throw appError('MEMPOOL_FULL', `mempool full: ${e.message}; retry once blocks have drained it`)
      throw e
    }
    return hash
  }

  /** After the signature: admission, then the hand-off to the sequencer when this node forwards. */
  function admitRecovered(recovered: VerifiedSignedTx, signed: SignedTx): { hash: string } {
    // no wait for Chain.settled(): between a block's execution and the end of its commit the live state is that
    // block's, the one the next block builds on, so admission checks against it (docs/architecture.md)
    const hash = admitVerified(recovered)
    if (init.forward !== undefined) {
      init.forward(encodeSignedTx(signed)).catch((e: unknown) => init.log(`forwarding failed: ${String(e)}`))
    }
    return { hash }
  }

  function transactionJson(hash: string): Json | undefined {
    return mempool.has(hash) ? { hash, status: 'pending' } : undefined
  }

  /** A state proof of `key` at a kept height (member or absent), checked against its root before it is served. */
  async function proveKey(key: Uint8Array, tag: bigint | 'latest'): Promise<Json> {
    // a commit that prunes the height while it is read is retried, and then refused below
    for (let attempt = 0; attempt < 3; attempt++) {
      const { oldest, newest } = chain.provableHeights()
      const height = tag === 'latest' ? newest : tag
      if (height > newest) throw invalidParams(`height: ${height} is past the head (${newest})`, 'height')
      if (height < oldest)
        throw invalidParams(
          `height: ${height} is outside the kept state: proofs are served for heights ${oldest} to ${newest} ` +
            `(the last ${chain.keepHeights}, --keep-heights; older state is pruned)`,
          'height',
        )
      const r = await proveLeafAt((k) => chain.store.treeRecord(k), height, key).catch((e: unknown) => {
        if (e instanceof TreeUnavailableError) return undefined // pruned by a commit meanwhile: look again
        throw e
      })
      if (r === undefined) continue
      if (!verifyProof(r.root, key, r.value, r.proof))
        throw new Error(`state proof at height ${height} fails its check`)
      return toJson({
        height,
        stateRoot: r.root,
        key,
        value: r.value,
        proof: encodeProof(r.proof),
        kind: r.proof.kind,
      })
    }
    throw appError('NODE_NOT_READY', 'the chain advanced while proving; try again')
  }

  return {
    chainId: chain.genesis.chainId,
    clientVersion: `perpd/${init.version}`,
    admitSigned: admit,
    prefetch: (requests) => signatures.prefetch(requests),

    sendTransaction(kind, message, signature) {
      if (!isTxKind(kind))
        throw appError('UNSUPPORTED_KIND', `unknown transaction kind ${String(kind).slice(0, 32)}`, 'kind')
      if (SYSTEM_KINDS.has(kind))
        throw appError('UNSUPPORTED_KIND', `${kind} transactions come from L1 through the sequencer`, 'kind')
      // recovered ahead when it came in a batch (node/admissionSignatures.ts)
      const ahead = signatures.take(kind, message, signature)
      let signed: SignedTx
      if (ahead !== undefined) signed = ahead.signed
      else
        try {
          signed = { ...decodeMessage(kind, message), signature: fromHex(signature) } as SignedTx
        } catch (e) {
          if (e instanceof MessageError) throw appError('INVALID_MESSAGE', e.message, e.field)
          throw e
        }
      let pending: VerifiedSignedTx | Promise<VerifiedSignedTx>
      try {
        pending = ahead !== undefined ? signatures.settle(ahead) : signatures.verify(signed)
      } catch (e) {
        throw signatureRefused(e)
      }
      // most calls of a batch find their signer recovered already: answered without a promise of their own
      if (!(pending instanceof Promise)) return admitRecovered(pending, signed)
      return pending.then(
        (recovered) => admitRecovered(recovered, signed),
        (e: unknown) => {
          throw signatureRefused(e)
        },
      )
    },

    chainInfo() {
      const head = chain.head
      return toJson({
        chainId: chain.genesis.chainId,
        genesisHash: chain.genesisHash,
        height: head.height,
        stateRoot: head.stateRoot,
        blockTimeMs: chain.genesis.blockTimeMs,
        role: init.role,
        peers: init.peers(),
        sequencer: chain.genesis.sequencer,
        eip712: eip712Description(chain.genesis.chainId),
        // null, or the latest fraud evidence (node/evidence.ts): the node has stopped following
        alarm: currentAlarm(chain.store),
      })
    },

    markets() {
      return toJson(chain.state.markets.map((m) => marketView(chain.state, m.id, chain.head.time)))
    },

    auctions(market) {
      if (market !== undefined && chain.state.markets[market] === undefined)
        throw appError('UNKNOWN_MARKET', `unknown market ${market}`, 'market')
      return toJson({ height: chain.head.height, auctions: auctionsView(chain.state, chain.head.time, market) })
    },

    insuranceFund() {
      return toJson({ ...insuranceFundView(chain.state), height: chain.head.height })
    },

    orderBook(market, depth) {
      if (chain.state.markets[market] === undefined)
        throw appError('UNKNOWN_MARKET', `unknown market ${market}`, 'market')
      return toJson({ ...bookView(chain.state, market, depth, chain.head.time), height: chain.head.height })
    },

    account(address, subaccount) {
      const view = accountView(chain.state, address as Address, subaccount)
      return toJson({ ...view, height: chain.head.height })
    },

    async transaction(hash) {
      const loc = await chain.store.txLocation(fromHex(hash))
      if (loc === undefined) return transactionJson(hash) ?? null
      const receipts = (await chain.store.receipts(loc.height)) as Record<string, Json>[] | undefined
      const r = receipts?.[loc.index]
      if (r === undefined) return null
      const out: Record<string, Json> = {
        hash,
        status: r.ok === true ? 'included' : 'rejected',
        height: loc.height.toString(),
        index: loc.index,
        kind: r.kind ?? null,
        events: r.events ?? [],
      }
      if (r.ok !== true) out.error = { reason: r.code ?? null, message: r.error ?? null }
      return out
    },

    async block(tag) {
      const height = tag === 'latest' ? chain.head.height : tag
      const headHash = height === chain.head.height ? chain.head.hash : undefined
      const kept = recent.parts(height)
      if (kept !== undefined) return blockJson(kept, headHash)
      const bytes = await chain.store.block(height)
      if (bytes === undefined) return null
      const block = decodeBlock(bytes)
      const receipts = (await chain.store.receipts(height)) as { hash: string }[] | undefined
      const parts = {
        header: toJson(block.header) as Record<string, Json>,
        signature: toHex(block.signature),
        transactions: (receipts ?? []).map((r) => r.hash),
        events: (await chain.store.blockEvents(height)) as Json,
      }
      return blockJson(parts, headHash)
    },

    proof: (address, subaccount, tag) => proveKey(subaccountKey(fromHex(address), subaccount), tag),
    withdrawalProof: (id, tag) => proveKey(withdrawalKey(id), tag),
    stateProof: (key, tag) => proveKey(fromHex(key), tag),
    async settlement() {
      if (init.settlement === undefined)
        throw appError('NODE_NOT_READY', 'this node is not linked to an L1 (start it with --l1)')
      return init.settlement()
    },
    blockNumber: () => chain.head.height,
    settled: () => chain.settled(),
    onBlock(listener) {
      blockListeners.add(listener)
      return () => blockListeners.delete(listener)
    },
    health: () => {
      // a stored alarm outranks whatever the role reports (it survives restarts and stops the follower)
      const alarm = currentAlarm(chain.store)
      return alarm === null ? init.health() : alarmHealth(alarm, chain.head.height)
    },
  }
}
