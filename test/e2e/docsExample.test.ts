/**
 * The example the README and docs/rpc.md show, run as a user would run it, against a live sequencer.
 */
import { execFile } from 'node:child_process'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { PerpNode } from '../../node/index.ts'
import { startSequencer, tempDir } from '../support/nodes.ts'
import { feedOracle } from '../support/oracle.ts'

const run = promisify(execFile)

describe('docs/examples/place-order.ts', () => {
  const dir = tempDir('example')
  let node: PerpNode
  beforeAll(async () => {
    node = await startSequencer({ dataDir: dir.path })
    await feedOracle(node.rpcUrl)
  })
  afterAll(async () => {
    await node?.stop()
    dir.remove()
  })

  it('signs with viem, sends, and sees its order included and resting', async () => {
    const script = join(import.meta.dirname, '../../docs/examples/place-order.ts')
    const { stdout } = await run(process.execPath, [script, node.rpcUrl], { timeout: 20_000 })
    expect(stdout).toMatch(/^sent 0x[0-9a-f]{64}$/m)
    expect(stdout).toMatch(/^included at height \d+$/m)
    expect(stdout).toMatch(/^open orders: 1$/m)
  })
})
