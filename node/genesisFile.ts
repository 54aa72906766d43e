/**
 * @module Reading genesis.json from disk with errors an operator can act on.
 */
import { readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Genesis } from '../engine/index.ts'
import { GenesisError, parseGenesis } from '../engine/index.ts'

/** genesis.json at the repository root: the devnet. */
export const DEVNET_GENESIS_PATH = join(dirname(fileURLToPath(import.meta.url)), '..', 'genesis.json')

export function loadGenesis(path: string): Genesis {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (e) {
    throw new Error(`cannot read genesis file ${path}: ${(e as Error).message}`)
  }
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch (e) {
    throw new Error(`genesis file ${path} is not valid JSON: ${(e as Error).message}`)
  }
  try {
    return parseGenesis(json)
  } catch (e) {
    if (e instanceof GenesisError) throw new Error(`${path}: ${e.message}`)
    throw e
  }
}
