/**
 * The light run of `npm run fuzz:rpc` (scripts/rpc-fuzz.ts): 3,000 seeded random and mutated payloads against a
 * running sequencer over real HTTP (and every 10th over WebSocket). Every answer must be a JSON-RPC 2.0 result or
 * error object with the request's id (413 over the body limit, nothing for notifications), no payload may be
 * included in a block, the root must not move, and the node must stay healthy.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { PerpNode } from '../../node/index.ts'
import { fuzzPassed, printReport, runFuzz } from '../../scripts/rpc-fuzz.ts'
import { expected } from '../../scripts/rpc-fuzz-check.ts'
import { startSequencer, tempDir } from '../support/nodes.ts'

const LIMITS = { bodyLimit: 256 * 1024, maxBatch: 100 }

describe('the fuzzer’s oracle', () => {
  it('works out the answer a body calls for from the JSON-RPC rules', () => {
    expect(expected('{"jsonrpc":"2.0","id":7,"method":"x"}', LIMITS)).toEqual({ kind: 'single', id: 7 })
    expect(expected('{"jsonrpc":"2.0","method":"x"}', LIMITS)).toEqual({ kind: 'none' })
    // a malformed notification is answered, with id null
    expect(expected('{"jsonrpc":"1.0","method":"x"}', LIMITS)).toEqual({ kind: 'single', id: null })
    expect(expected('{"jsonrpc":"2.0","id":{},"method":"x"}', LIMITS)).toEqual({ kind: 'single', id: null })
    expect(expected('{"jsonrpc":', LIMITS)).toEqual({ kind: 'single', id: null, code: -32700 })
    expect(expected('[]', LIMITS)).toEqual({ kind: 'single', id: null, code: -32600 })
    expect(expected('[1,{"jsonrpc":"2.0","method":"x"},{"jsonrpc":"2.0","id":"a","method":"x"}]', LIMITS)).toEqual({
      kind: 'batch',
      ids: [null, 'a'],
    })
    expect(expected(`"${'x'.repeat(LIMITS.bodyLimit)}"`, LIMITS)).toEqual({ kind: 'tooLarge' })
  })
})

describe('RPC fuzz: 3,000 payloads against a running sequencer', () => {
  const dir = tempDir('rpc-fuzz')
  let node: PerpNode

  beforeAll(async () => {
    // every payload reaches the methods
    node = await startSequencer({ dataDir: dir.path, config: { rpcLimits: 'off' } })
  })
  afterAll(async () => {
    await node?.stop()
    dir.remove()
  })

  it('answers every payload correctly, includes none of them, and stays healthy', async () => {
    const report = await runFuzz({ url: node.rpcUrl, count: 3000, seed: 20261124, concurrency: 6, wsEvery: 10 })
    printReport(report)
    expect(report.problems).toEqual([])
    expect(report.sent).toBeGreaterThanOrEqual(2990)
    // every kind of mutation was sent
    expect(Object.keys(report.byMutation).sort()).toEqual(
      [
        'batch',
        'deep-nesting',
        'duplicate-keys',
        'envelope',
        'flipped-tx',
        'garbage',
        'oversized',
        'truncated',
        'valid',
        'wrong-param',
      ].sort(),
    )
    expect(report.includedTransactions).toBe(0)
    expect(report.blocks).toBeGreaterThan(0)
    if (report.fundingBlocks === 0) expect(report.rootAfter).toBe(report.rootBefore)
    expect(report.healthyAfter).toBe(true)
    expect(fuzzPassed(report)).toBe(true)
  }, 120_000)
})
