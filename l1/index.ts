/**
 * @module l1: perpd's settlement on an Ethereum L1. The PerpRollup contract (l1/contracts, compiled into
 * l1/artifacts by `npm run compile:contracts`) with its ABIs and bytecode, its deployment, the leaf values it
 * rebuilds, and the escape valuation in TypeScript. docs/settlement.md describes the contract.
 */
export { ROLLUP_ABI, TOKEN_ABI } from './abi.ts'
export type { ContractArtifact } from './artifacts.ts'
export {
  CONTRACTS_COMPILER,
  ROLLUP_BYTECODE,
  ROLLUP_DEPLOYED_BYTECODE,
  TOKEN_BYTECODE,
  TOKEN_DEPLOYED_BYTECODE,
} from './artifacts.ts'
export type { RollupDeployment, RollupParams } from './deploy.ts'
export { DeploymentError, deployRollup } from './deploy.ts'
export type { DepositWatcher, DepositWatcherInit, L1Deposit } from './depositWatcher.ts'
export { createDepositWatcher } from './depositWatcher.ts'
export type { EmbeddedL1, EmbeddedL1Options } from './embedded/embeddedL1.ts'
export { DEFAULT_BLOCK_TIME_MS, startEmbeddedL1 } from './embedded/embeddedL1.ts'
export type { MarketSource } from './escapeValue.ts'
export { escapeEquity, escapeValue } from './escapeValue.ts'
export type { MarketPricing, SubaccountHoldings, SubaccountPosition, WithdrawalLeaf } from './leafValues.ts'
export { bridgeNextDepositSeq, marketPricing, subaccountHoldings, withdrawalLeafValue } from './leafValues.ts'
export type { SettledRoot, Settler, SettlerInit } from './settler.ts'
export { createSettler } from './settler.ts'
