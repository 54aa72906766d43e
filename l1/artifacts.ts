/**
 * @module The committed compiler output of the L1 contracts (l1/artifacts/*.json, written by
 * `npm run compile:contracts`): creation bytecode for deploying and runtime bytecode for checking a deployment.
 * Read once at import; no compiler is needed at run time.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Hex } from 'viem'

/** The fields of an artifact file that the node uses. */
export interface ContractArtifact {
  contractName: string
  bytecode: Hex
  deployedBytecode: Hex
  compiler: { name: string; version: string; settings: Record<string, unknown> }
}

export function loadArtifact(name: 'PerpRollup' | 'MockUSDC'): ContractArtifact {
  const text = readFileSync(join(import.meta.dirname, 'artifacts', `${name}.json`), 'utf8')
  const a = JSON.parse(text) as ContractArtifact
  if (!/^0x([0-9a-f]{2})+$/.test(a.bytecode) || !/^0x([0-9a-f]{2})+$/.test(a.deployedBytecode))
    throw new Error(`l1/artifacts/${name}.json holds no bytecode: run npm run compile:contracts`)
  return a
}

const rollup = loadArtifact('PerpRollup')
const token = loadArtifact('MockUSDC')

/** PerpRollup creation code (constructor arguments are appended by the deployer). */
export const ROLLUP_BYTECODE: Hex = rollup.bytecode
export const ROLLUP_DEPLOYED_BYTECODE: Hex = rollup.deployedBytecode
/** MockUSDC creation code (no constructor arguments). */
export const TOKEN_BYTECODE: Hex = token.bytecode
export const TOKEN_DEPLOYED_BYTECODE: Hex = token.deployedBytecode
/** solc version and settings the artifacts were built with. */
export const CONTRACTS_COMPILER = rollup.compiler
