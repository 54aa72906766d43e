/**
 * @module Turns the configured 32 bytes into a libp2p private key (and peer id). Ed25519 by default because
 * any 32 bytes are a valid seed, so a devnet can derive keys from a counter or a hash; secp256k1 is available
 * for operators who want to reuse an existing key.
 */
import { generateKeyPair, generateKeyPairFromSeed, privateKeyFromRaw } from '@libp2p/crypto/keys'
import type { PrivateKey } from '@libp2p/interface'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import type { P2PKeyType } from './types.ts'

const KEY_BYTES = 32

export async function loadPrivateKey(
  bytes: Uint8Array | undefined,
  keyType: P2PKeyType = 'ed25519',
): Promise<PrivateKey> {
  if (bytes === undefined) return generateKeyPair('Ed25519')
  if (bytes.length !== KEY_BYTES) throw new RangeError(`p2p privateKey must be ${KEY_BYTES} bytes, got ${bytes.length}`)
  if (keyType === 'ed25519') return generateKeyPairFromSeed('Ed25519', bytes)
  // 32 raw bytes are parsed by length as a secp256k1 scalar; an invalid scalar throws here.
  return privateKeyFromRaw(bytes)
}

/** Peer id string a node started with this `privateKey` will have, e.g. to build bootstrap multiaddrs
 * (`/ip4/1.2.3.4/tcp/9000/p2p/<id>`) before the node is up. */
export async function peerIdFromKey(bytes: Uint8Array, keyType: P2PKeyType = 'ed25519'): Promise<string> {
  return peerIdFromPrivateKey(await loadPrivateKey(bytes, keyType)).toString()
}
