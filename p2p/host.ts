/**
 * @module createP2P: one libp2p host (TCP + Noise + Yamux + identify + gossipsub) wired to the block/tx
 * topics, the block-sync protocols (by range, and by hash when the node serves it) and the bootstrap redialer.
 */

import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import type { GossipSub } from '@libp2p/gossipsub'
import type { Identify } from '@libp2p/identify'
import { identify } from '@libp2p/identify'
import { peerIdFromString } from '@libp2p/peer-id'
import { tcp } from '@libp2p/tcp'
import { createLibp2p } from 'libp2p'
import {
  createSyncHandler,
  RateLimiter,
  requestBlocks,
  SYNC_RATE_LIMIT,
  SYNC_RATE_WINDOW_MS,
  syncProtocol,
} from './blockSync.ts'
import { createHashSyncHandler, requestBlocksByHash, syncByHashProtocol } from './blockSyncByHash.ts'
import { Bootstrapper } from './bootstrap.ts'
import { blocksTopic, gossipOptions, gossipsub, scoreOptions, topicValidator, txsTopic } from './gossip.ts'
import { loadPrivateKey } from './keys.ts'
import { BAN_MS, INVALID_MESSAGE_POINTS, PeerPenalties } from './penalties.ts'
import type { P2P, P2PInit } from './types.ts'

/** Max concurrent sync streams per connection and direction (libp2p default is 32 in / 64 out). */
const SYNC_MAX_STREAMS = 8

export async function createP2P(init: P2PInit): Promise<P2P> {
  const log = init.log ?? ((): void => {})
  for (const [name, v] of [
    ['maxBlockBytes', init.maxBlockBytes],
    ['maxTxBytes', init.maxTxBytes],
  ] as const) {
    if (!Number.isSafeInteger(v) || v <= 0) throw new RangeError(`p2p ${name} must be a positive integer, got ${v}`)
  }
  const blocks = blocksTopic(init.chainId)
  const txs = txsTopic(init.chainId)
  const protocol = syncProtocol(init.chainId)
  const byHashProtocol = syncByHashProtocol(init.chainId)

  const penalties = init.penalties ?? new PeerPenalties()
  const banned = (peerId: { toString(): string }): boolean => penalties.banned(peerId.toString())
  const libp2p = await createLibp2p<{ identify: Identify; pubsub: GossipSub }>({
    privateKey: await loadPrivateKey(init.privateKey, init.keyType),
    addresses: { listen: init.listen },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    // a banned peer (penalties.ts) can neither be dialed nor connect to us until its ban ends
    connectionGater: {
      denyDialPeer: banned,
      denyInboundEncryptedConnection: banned,
      denyOutboundEncryptedConnection: banned,
    },
    services: {
      identify: identify(),
      pubsub: gossipsub({
        ...gossipOptions(init.chainId, Math.max(init.maxBlockBytes, init.maxTxBytes)),
        ...scoreOptions(init.chainId, (peer) => penalties.score(peer)),
      }),
    },
    start: false,
  })

  const pubsub = libp2p.services.pubsub
  let bootstrapper: Bootstrapper
  try {
    // Parses the bootstrap list first: a malformed address is a config error and fails start.
    bootstrapper = new Bootstrapper(libp2p, init.bootstrap, log)
    const penalize = (peer: string): void => {
      if (!penalties.add(peer, INVALID_MESSAGE_POINTS)) return
      log(`p2p: banning ${peer} for ${BAN_MS / 60_000} min: too many invalid messages`)
      void libp2p.hangUp(peerIdFromString(peer)).catch(() => {})
    }
    pubsub.topicValidators.set(blocks, topicValidator(init.maxBlockBytes, init.onBlock, log, 'block', penalize))
    pubsub.topicValidators.set(txs, topicValidator(init.maxTxBytes, init.onTransaction, log, 'tx', penalize))

    // one request budget per peer for both sync protocols
    const limiter = new RateLimiter(SYNC_RATE_LIMIT, SYNC_RATE_WINDOW_MS)
    const streamLimits = { maxInboundStreams: SYNC_MAX_STREAMS, maxOutboundStreams: SYNC_MAX_STREAMS }
    const serve = createSyncHandler({ maxBlockBytes: init.maxBlockBytes, serveBlocks: init.serveBlocks, log, limiter })
    await libp2p.handle(protocol, (stream, connection) => serve(stream, connection.remotePeer.toString()), streamLimits)
    if (init.serveBlocksByHash !== undefined) {
      const serveByHash = createHashSyncHandler({
        maxBlockBytes: init.maxBlockBytes,
        serveBlocksByHash: init.serveBlocksByHash,
        log,
        limiter,
      })
      await libp2p.handle(
        byHashProtocol,
        (stream, connection) => serveByHash(stream, connection.remotePeer.toString()),
        streamLimits,
      )
    }

    await libp2p.start() // throws e.g. if a listen address is in use
    // Everyone subscribes to both topics: validators need blocks, the sequencer needs txs, and every node
    // relays both so the network stays connected whatever the roles.
    pubsub.subscribe(blocks)
    pubsub.subscribe(txs)
  } catch (err) {
    await Promise.resolve(libp2p.stop()).catch(() => {})
    throw err
  }
  bootstrapper.start()

  const publish = async (topic: string, bytes: Uint8Array, max: number, kind: string): Promise<void> => {
    if (bytes.length > max) throw new RangeError(`p2p: ${kind} of ${bytes.length} bytes exceeds max ${max}`)
    try {
      await pubsub.publish(topic, bytes)
    } catch (err) {
      // Not an error for the caller: the message is simply not sent (and may be published again later).
      if ((err as Error).message === 'PublishError.NoPeersSubscribedToTopic') {
        log(`gossip: no peer subscribed to ${topic} yet, ${kind} not sent`)
        return
      }
      throw err
    }
  }

  let stopping: Promise<void> | undefined
  return {
    peerId: libp2p.peerId.toString(),
    multiaddrs: () => libp2p.getMultiaddrs().map((m) => m.toString()),
    peers: () => libp2p.getPeers().map((p) => p.toString()),
    // the runtime GossipSub has getScore; the exported service interface does not declare it
    peerScore: (peer) => (pubsub as unknown as { getScore(peer: string): number }).getScore(peer),
    banned: (peer) => penalties.banned(peer),
    publishBlock: (bytes) => publish(blocks, bytes, init.maxBlockBytes, 'block'),
    publishTransaction: (bytes) => publish(txs, bytes, init.maxTxBytes, 'tx'),
    requestBlocks: (peer, from, count) =>
      requestBlocks({ libp2p, protocol, maxBlockBytes: init.maxBlockBytes }, peer, from, count),
    requestBlocksByHash: (peer, hashes) =>
      requestBlocksByHash({ libp2p, protocol: byHashProtocol, maxBlockBytes: init.maxBlockBytes }, peer, hashes),
    stop: () => {
      stopping ??= (async () => {
        bootstrapper.stop()
        const heartbeat = lingeringHeartbeat(pubsub)
        await libp2p.stop()
        clearLingeringTimers(libp2p, heartbeat)
      })()
      return stopping
    },
  }
}

/**
 * Two one-shot library timers outlive libp2p.stop() and would keep the process alive ~1 s after stop():
 * gossipsub v17's pending heartbeat (GossipSub.stop replaces `status` without clearing
 * `status.heartbeatTimeout`) and the address manager's 1 s debounce re-armed by 'transport:close'. Both are
 * private fields, so this is best-effort: if a library upgrade renames them, nothing breaks, exit is just late.
 * The gossipsub status object is captured before stop because every reschedule writes into the object that
 * is current, and stop() swaps in a new one.
 */
interface MaybeTimerHolder {
  heartbeatTimeout?: ReturnType<typeof setTimeout>
}

function lingeringHeartbeat(pubsub: GossipSub): MaybeTimerHolder | undefined {
  return (pubsub as unknown as { status?: MaybeTimerHolder }).status
}

function clearLingeringTimers(libp2p: unknown, heartbeat: MaybeTimerHolder | undefined): void {
  if (heartbeat?.heartbeatTimeout !== undefined) clearTimeout(heartbeat.heartbeatTimeout)
  const debounced = (
    libp2p as { components?: { addressManager?: { _updatePeerStoreAddresses?: { stop?: () => void } } } }
  ).components?.addressManager?._updatePeerStoreAddresses
  if (typeof debounced?.stop === 'function') debounced.stop()
}
