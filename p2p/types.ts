/**
 * @module Public types of the p2p layer. The p2p layer treats blocks and transactions as opaque bytes: it
 * only enforces size limits, dedupes, gossips and serves them; decoding and validation belong to the caller
 * (onBlock / onTransaction / serveBlocks).
 */
import type { PeerPenalties } from './penalties.ts'

/** What the application decided about a gossiped message: accept → deliver and forward; ignore → drop
 * silently (e.g. stale/duplicate height); reject → drop, the message is invalid (e.g. bad signature). */
export type GossipVerdict = 'accept' | 'ignore' | 'reject'

/** How the 32-byte `privateKey` is interpreted. */
export type P2PKeyType = 'ed25519' | 'secp256k1'

export interface P2PInit {
  /** Topics and protocol ids are namespaced by chain id, so two chains never exchange messages. */
  chainId: number
  /**
   * 32 bytes for a stable peer id. By default it is an Ed25519 *seed* (any 32 random bytes work); with
   * `keyType: 'secp256k1'` it is a raw secp256k1 private key (must be a valid scalar). Omitted → a fresh
   * random Ed25519 key, so the peer id changes on every start.
   */
  privateKey?: Uint8Array
  /** Interpretation of `privateKey`; default 'ed25519'. */
  keyType?: P2PKeyType
  /** Multiaddrs to listen on, e.g. ['/ip4/127.0.0.1/tcp/0'] (port 0 → OS-assigned). */
  listen: string[]
  /** Multiaddrs ending in /p2p/<peerId>; dialed at start and redialed with backoff while disconnected. */
  bootstrap: string[]
  /** Bytes. Gossiped blocks and block-sync items larger than this are rejected before onBlock / return. */
  maxBlockBytes: number
  /** Bytes. Gossiped transactions larger than this are rejected before onTransaction. */
  maxTxBytes: number
  /**
   * Called once per distinct gossiped block (deduped by content hash) before it is forwarded. `from` is the
   * peer id of the neighbour that delivered it (not necessarily the author). Calls from one neighbour are
   * sequential (the next message from it waits for this promise), so keep it fast (< ~100 ms): queue
   * heavy work and answer from cheap checks. A throw counts as 'ignore'.
   */
  onBlock: (bytes: Uint8Array, from: string) => GossipVerdict | Promise<GossipVerdict>
  /** Same contract as onBlock, for gossiped transactions. */
  onTransaction: (bytes: Uint8Array, from: string) => GossipVerdict | Promise<GossipVerdict>
  /** Serves block sync: encoded blocks for heights [from, from+count), in order; fewer if the head is reached.
   * `count` is already capped at 256. */
  serveBlocks: (from: bigint, count: number) => Promise<Uint8Array[]>
  /**
   * Serves blocks by hash (p2p/blockSyncByHash.ts): for each 32-byte header hash, in order, the encoded block
   * held under it or null. `hashes` holds at most 64. Omitted → the by-hash protocol is not offered (peers
   * asking get a protocol negotiation failure and fall back to ranges).
   */
  serveBlocksByHash?: (hashes: Uint8Array[]) => Promise<(Uint8Array | null)[]>
  /** Optional diagnostics sink; the p2p layer never writes to the console itself. */
  log?: (msg: string) => void
  /** Application penalties per peer (penalties.ts); a fresh table by default (tests pass their own clock). */
  penalties?: PeerPenalties
}

export interface P2P {
  /** This node's peer id (base58 string, e.g. 12D3KooW...). */
  readonly peerId: string
  /** Listening addresses including the /p2p/<id> suffix, ready to hand to another node's `bootstrap`. */
  multiaddrs(): string[]
  /** Peer ids with at least one open connection. */
  peers(): string[]
  /** The peer's gossipsub score (P₄ invalid messages + application penalties; 0 for a clean peer). */
  peerScore(peer: string): number
  /** Whether the peer is banned for invalid messages (its connections refused both ways). */
  banned(peer: string): boolean
  /** Gossip a block. Resolves (does not throw) when no peer is subscribed yet or the same bytes were already
   * published; throws RangeError if bytes exceed maxBlockBytes (peers would reject it). */
  publishBlock(bytes: Uint8Array): Promise<void>
  /** Gossip a transaction; same rules as publishBlock with maxTxBytes. */
  publishTransaction(bytes: Uint8Array): Promise<void>
  /** Ask `peer` for blocks [from, from+count); count capped at 256. Rejects after 10 s, on an item larger than
   * maxBlockBytes, on more items than asked for, if the peer resets the stream (e.g. rate limit), or when no
   * connection to `peer` is open (sync never dials). */
  requestBlocks(peer: string, from: bigint, count: number): Promise<Uint8Array[]>
  /** Ask `peer` for the blocks with these 32-byte header hashes (at most 64): one entry per hash, in order, null
   * where the peer holds none. The bytes are unchecked: the caller verifies each hashes to what it asked for.
   * Rejects like requestBlocks, and when the peer does not offer the protocol. */
  requestBlocksByHash(peer: string, hashes: readonly Uint8Array[]): Promise<(Uint8Array | null)[]>
  /** Stops retries and closes all connections and listeners. Idempotent. */
  stop(): Promise<void>
}
