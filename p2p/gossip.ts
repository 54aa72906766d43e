/**
 * @module Gossipsub configuration for a small permissioned-ish network (a devnet is 3 nodes: one sequencer,
 * two validators), topic names, and the size-then-application topic validators.
 */
import { createHash } from 'node:crypto'
import type { GossipsubOpts, Message, TopicValidatorFn } from '@libp2p/gossipsub'
import { gossipsub, StrictSign, TopicValidatorResult } from '@libp2p/gossipsub'
import { createTopicScoreParams } from '@libp2p/gossipsub/score'
import type { GossipVerdict } from './types.ts'

export function blocksTopic(chainId: number): string {
  return `/perpd/${chainId}/blocks/1`
}

export function txsTopic(chainId: number): string {
  return `/perpd/${chainId}/txs/1`
}

/** Bytes: gossipsub frames each RPC with it-length-prefixed, whose encoder refuses frames over 4 MiB. */
const GOSSIP_FRAME_LIMIT = 4 * 1024 * 1024
/** Bytes of protobuf/signature overhead allowed on top of the largest payload in an inbound RPC frame. */
const RPC_OVERHEAD = 64 * 1024

/** Message id = sha256(data): the same bytes published or forwarded by two peers are one message. */
export function messageIdOf(msg: Message): Uint8Array {
  return createHash('sha256').update(msg.data).digest()
}

/**
 * Peer scoring (gossipsub v1.1). Only the terms that mean something on a network of a few long-lived nodes:
 * - P₄, invalid messages per topic: weight −10 on the squared count (decaying to 10% in a minute), so three
 *   rejected messages put a peer below the graylist threshold;
 * - the application term: −(the peer's penalty points, penalties.ts), weight 1.
 * Thresholds: below −10 no gossip (IHAVE/IWANT) is exchanged with the peer, below −50 our publishes skip it,
 * below −80 everything it sends is ignored unread.
 */
export function scoreOptions(
  chainId: number,
  appScore: (peer: string) => number,
): Pick<GossipsubOpts, 'scoreParams' | 'scoreThresholds'> {
  const topic = createTopicScoreParams({
    topicWeight: 1,
    timeInMeshWeight: 0,
    timeInMeshQuantum: 1000,
    firstMessageDeliveriesWeight: 0,
    meshMessageDeliveriesWeight: 0,
    meshFailurePenaltyWeight: 0,
    invalidMessageDeliveriesWeight: -10,
    // per decay interval (1 s): 0.963^60 ≈ 0.1
    invalidMessageDeliveriesDecay: 0.963,
  })
  return {
    scoreParams: {
      topics: { [blocksTopic(chainId)]: topic, [txsTopic(chainId)]: topic },
      appSpecificScore: appScore,
      appSpecificWeight: 1,
      // loopback devnets put every node on one IP: no colocation penalty
      IPColocationFactorWeight: 0,
      decayInterval: 1000,
    },
    scoreThresholds: {
      gossipThreshold: -10,
      publishThreshold: -50,
      graylistThreshold: -80,
      acceptPXThreshold: 10,
      opportunisticGraftThreshold: 5,
    },
  }
}

export function gossipOptions(chainId: number, maxPayloadBytes: number): Partial<GossipsubOpts> {
  return {
    // Every message is signed by its author's peer key and the signature is checked before validation.
    globalSignaturePolicy: StrictSign,
    msgIdFn: messageIdOf,
    // Mesh degrees sized for 1–5 peers: graft everyone up to D=4 whenever fewer than Dlo=2 are in the mesh,
    // so a 3-node devnet becomes a full mesh after one heartbeat. Dout ≤ Dlo-1 and ≤ D/2 as the spec requires.
    D: 4,
    Dlo: 2,
    Dhi: 8,
    Dscore: 2,
    Dout: 1,
    Dlazy: 4,
    // ms. Mesh maintenance/gossip period; 700 ms so a new peer is grafted well under a block time.
    heartbeatInterval: 700,
    // Our own publishes go to every subscribed peer, mesh or not, so a block reaches a validator as soon as
    // its subscription is known (~identify round trip after connect) instead of after the next heartbeat.
    floodPublish: true,
    fallbackToFloodsub: true,
    // No peer subscribed → publish throws NoPeersSubscribedToTopic *before* marking the message as seen; the
    // wrapper swallows that so the same bytes can be published again once a peer shows up.
    allowPublishToZeroTopicPeers: false,
    // Re-publishing bytes that were already sent is a silent no-op (e.g. a re-broadcast of the head block).
    ignoreDuplicatePublishError: true,
    // Validate (and so call onBlock/onTransaction) one message at a time per peer stream, in arrival order:
    // block N+1 from a neighbour is never validated before block N from it finished.
    awaitRpcHandler: true,
    awaitRpcMessageHandler: true,
    // Bytes. Inbound RPC frames larger than this are dropped without protobuf decoding.
    maxInboundDataLength: Math.max(GOSSIP_FRAME_LIMIT, maxPayloadBytes) + RPC_OVERHEAD,
    // Only our two topics are tracked, whatever else remote peers subscribe to.
    allowedTopics: [blocksTopic(chainId), txsTopic(chainId)],
    // No peer exchange on prune: peers are known through bootstrap only.
    doPX: false,
  }
}

export { gossipsub }

/**
 * Builds a topic validator: size check first (no callback for oversize data), then the application's verdict.
 * Every rejection is also reported to `onReject` (the application penalty).
 */
export function topicValidator(
  maxBytes: number,
  handler: (bytes: Uint8Array, from: string) => GossipVerdict | Promise<GossipVerdict>,
  log: (msg: string) => void,
  kind: string,
  onReject: (peer: string) => void = () => {},
): TopicValidatorFn {
  return async (peer, msg) => {
    if (msg.data.length > maxBytes) {
      log(`gossip: rejecting ${kind} of ${msg.data.length} bytes from ${peer.toString()} (max ${maxBytes})`)
      onReject(peer.toString())
      return TopicValidatorResult.Reject
    }
    let verdict: GossipVerdict
    try {
      // Copy into a plain Uint8Array: msg.data is a Buffer view into the whole RPC frame.
      verdict = await handler(new Uint8Array(msg.data), peer.toString())
    } catch (err) {
      log(`gossip: ${kind} handler threw, ignoring message: ${(err as Error).message}`)
      return TopicValidatorResult.Ignore
    }
    switch (verdict) {
      case 'accept':
        return TopicValidatorResult.Accept
      case 'reject':
        onReject(peer.toString())
        return TopicValidatorResult.Reject
      default:
        return TopicValidatorResult.Ignore
    }
  }
}
