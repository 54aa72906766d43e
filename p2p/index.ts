/**
 * @module Peer-to-peer layer of perpd: gossip of blocks and transactions (gossipsub, signed, deduped by
 * content hash), a block-sync request/response protocol, and bootstrap dialing. Bytes are opaque here; the
 * node decides what is valid through the callbacks in P2PInit.
 */

export { MAX_SYNC_BLOCKS, SYNC_RATE_LIMIT, SYNC_TIMEOUT_MS, syncProtocol } from './blockSync.ts'
export { MAX_HASHES_PER_REQUEST, syncByHashProtocol } from './blockSyncByHash.ts'
export { blocksTopic, txsTopic } from './gossip.ts'
export { createP2P } from './host.ts'
export { peerIdFromKey } from './keys.ts'
export { BAN_MS, BAN_POINTS, HALF_LIFE_MS, INVALID_MESSAGE_POINTS, PeerPenalties } from './penalties.ts'
export type { GossipVerdict, P2P, P2PInit, P2PKeyType } from './types.ts'
