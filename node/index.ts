/**
 * @module node: the composition root. Starts a node (store, chain, p2p, sequencer or validator, RPC), the
 * devnet, and the CLI. The only folder that wires the others together.
 */

export type { CommittedBlock } from './chain.ts'
export { Chain } from './chain.ts'
export { ChainStore } from './chainStore.ts'
export type { Devnet, DevnetOptions } from './devnet.ts'
export { startDevnet } from './devnet.ts'
export { DEVNET_MNEMONIC, devnetKey, devnetKeys, ORACLE_KEY_INDEXES, SEQUENCER_KEY_INDEX } from './devnetKeys.ts'
export { DEVNET_GENESIS_PATH, loadGenesis } from './genesisFile.ts'
export { Mempool, MempoolFull } from './mempool.ts'
export type { NodeConfig, PerpNode } from './node.ts'
export { startNode, VERSION } from './node.ts'
export { addressOfPrivateKey, recoverSigner, SignatureError, signDigest } from './signatures.ts'
