/**
 * @module node: the composition root. Starts a node (store, chain, p2p, sequencer or validator, RPC), the
 * devnet, and the CLI. The only folder that wires the others together.
 */
export { Chain } from './chain.ts'
export type { CommittedBlock } from './chain.ts'
export { ChainStore } from './chainStore.ts'
export { startDevnet } from './devnet.ts'
export type { Devnet, DevnetOptions } from './devnet.ts'
export { DEVNET_MNEMONIC, ORACLE_KEY_INDEXES, SEQUENCER_KEY_INDEX, devnetKey, devnetKeys } from './devnetKeys.ts'
export { DEVNET_GENESIS_PATH, loadGenesis } from './genesisFile.ts'
export { VERSION, startNode } from './node.ts'
export type { NodeConfig, PerpNode } from './node.ts'
export { SignatureError, addressOfPrivateKey, recoverSigner, signDigest } from './signatures.ts'
