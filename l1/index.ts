/**
 * @module l1: the settlement side of perpd — the rollup contract (Solidity, compiled artifacts and ABIs), the
 * deposit watcher and the settler that the node runs against it, and the embedded L1 on @ethereumjs/vm.
 */
export { ROLLUP_ABI, TOKEN_ABI } from './abi.ts'
export type { DepositWatcher, DepositWatcherInit, L1Deposit } from './depositWatcher.ts'
export { createDepositWatcher } from './depositWatcher.ts'
export type { SettledRoot, Settler, SettlerInit } from './settler.ts'
export { createSettler } from './settler.ts'
