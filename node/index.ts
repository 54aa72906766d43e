/**
 * @module node: the composition root. Starts a node (store, chain, p2p, sequencer or validator, RPC), the
 * devnet, and the CLI. The only folder that wires the others together.
 */

export type { CommittedBlock } from './chain.ts'
export { Chain, genesisBlock } from './chain.ts'
export { ChainStore } from './chainStore.ts'
export type { Devnet, DevnetOptions } from './devnet.ts'
export { startDevnet } from './devnet.ts'
export { DEVNET_MNEMONIC, devnetKey, devnetKeys, ORACLE_KEY_INDEXES, SEQUENCER_KEY_INDEX } from './devnetKeys.ts'
export { DEVNET_GENESIS_PATH, loadGenesis } from './genesisFile.ts'
export type { L1Link, L1Options } from './l1Link.ts'
export { DEFAULT_INCLUSION_WINDOW_MS, DEFAULT_SETTLE_EVERY, MAX_DEPOSITS_PER_BLOCK } from './l1Link.ts'
export type { EmbeddedSettlement } from './l1Setup.ts'
export { devnetRollupParams, startEmbeddedSettlement } from './l1Setup.ts'
export { Mempool, MempoolFull, NonceTaken } from './mempool.ts'
export type { NodeConfig, PerpNode } from './node.ts'
export { startNode, VERSION } from './node.ts'
export { RECENT_BLOCKS } from './recentBlocks.ts'
export { createRpcBackend } from './rpcBackend.ts'
export { addressOfPrivateKey, recoverSigner, SignatureError, signDigest } from './signatures.ts'
