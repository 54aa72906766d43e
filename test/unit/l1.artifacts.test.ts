/**
 * The committed L1 artifacts are what the sources compile to: solc-js recompiles l1/contracts with the
 * recorded settings and the bytecode, runtime bytecode and ABI match l1/artifacts byte for byte; l1/abi.ts is
 * the artifacts' ABI; and the ABI the node side codes against has exactly the names and argument orders of
 * docs/settlement.md.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { AbiEvent, AbiFunction } from 'viem'
import { toFunctionSignature } from 'viem'
import { describe, expect, it } from 'vitest'
import { CONTRACTS_COMPILER, ROLLUP_ABI, ROLLUP_BYTECODE, TOKEN_ABI, TOKEN_BYTECODE } from '../../l1/index.ts'
import { abiModule, artifactJson, compileContracts, DEPLOYED_CONTRACTS } from '../../scripts/compile-contracts.ts'

const root = join(import.meta.dirname, '..', '..')
const committed = (name: string): string => readFileSync(join(root, 'l1', 'artifacts', `${name}.json`), 'utf8')

describe('l1 artifacts', () => {
  it('recompiling the sources with solc-js gives the committed artifacts byte for byte', () => {
    const { artifacts } = compileContracts()
    for (const name of DEPLOYED_CONTRACTS) {
      const a = artifacts[name]
      const file = JSON.parse(committed(name)) as typeof a
      expect(a.bytecode).toBe(file.bytecode)
      expect(a.deployedBytecode).toBe(file.deployedBytecode)
      expect(a.abi).toEqual(file.abi)
      expect(a.compiler).toEqual(file.compiler)
      expect(artifactJson(a)).toBe(committed(name))
    }
    expect(artifacts.PerpRollup.bytecode).toBe(ROLLUP_BYTECODE)
    expect(artifacts.MockUSDC.bytecode).toBe(TOKEN_BYTECODE)
    expect(CONTRACTS_COMPILER.version.startsWith('0.8.37+')).toBe(true)
    expect(CONTRACTS_COMPILER.settings).toMatchObject({ optimizer: { enabled: true }, evmVersion: 'cancun' })
    // l1/abi.ts holds the same ABIs (as generated, before formatting)
    expect(abiModule(artifacts)).toContain('export const ROLLUP_ABI')
    expect(ROLLUP_ABI).toEqual(artifacts.PerpRollup.abi)
    expect(TOKEN_ABI).toEqual(artifacts.MockUSDC.abi)
  })

  it('the rollup ABI has the functions and events the node codes against, with their argument orders', () => {
    const functions = ROLLUP_ABI.filter((x): x is AbiFunction & (typeof ROLLUP_ABI)[number] => x.type === 'function')
    const signatures = new Set(functions.map((f) => toFunctionSignature(f)))
    for (const s of [
      'token()',
      'sequencer()',
      'challengeWindow()',
      'escapeTimeout()',
      'depositCount()',
      'deposits(uint64)',
      'lastSettledHeight()',
      'lastSettledAt()',
      'roots(uint64)',
      'withdrawn(uint64)',
      'escapeMode()',
      'deposit(uint256,address)',
      'submitRoot(uint64,bytes32,bytes32)',
      'challengeRoot(uint64)',
      'finalizeWithdrawal(uint64,uint64,address,uint32,address,uint256,uint64,bytes)',
      'proveMarket(uint32,bytes,bytes)',
      'escapeClaim(address,uint32,bytes,bytes)',
      'reclaimDeposit(uint64,bytes,bytes)',
      'verifyStateProof(bytes32,bytes,bool,bytes,bytes)',
    ])
      expect(signatures.has(s), s).toBe(true)
    const outputs = (name: string): string[] =>
      (functions.find((f) => f.name === name)?.outputs ?? []).map((o) => `${o.type} ${o.name}`)
    expect(outputs('deposits')).toEqual(['address l2Account', 'uint256 amount', 'uint64 l1Time', 'uint64 l1Block'])
    expect(outputs('roots')).toEqual(['bytes32 blockHash', 'bytes32 stateRoot', 'uint64 settledAt', 'bool challenged'])
    const declared = (e: AbiEvent): string =>
      `${e.name}(${e.inputs.map((i) => `${i.type}${i.indexed === true ? ' indexed' : ''} ${i.name}`).join(', ')})`
    const events = new Set(
      ROLLUP_ABI.filter((x): x is AbiEvent & (typeof ROLLUP_ABI)[number] => x.type === 'event').map(declared),
    )
    for (const s of [
      'Deposited(uint64 indexed seq, address indexed from, address indexed l2Account, uint256 amount, uint64 l1Time)',
      'RootSubmitted(uint64 indexed height, bytes32 blockHash, bytes32 stateRoot, uint64 settledAt)',
      'RootChallenged(uint64 indexed height, address challenger)',
      'WithdrawalFinalized(uint64 indexed id, address indexed recipient, uint256 amount)',
      'EscapeClaimed(address indexed account, uint32 subaccount, uint256 amount)',
    ])
      expect(events.has(s), s).toBe(true)
    const ctor = ROLLUP_ABI.find((x) => x.type === 'constructor')
    expect(ctor?.inputs.map((i) => i.type)).toEqual(['address', 'address', 'uint64', 'uint64', 'address[]', 'bytes32'])
  })
})
