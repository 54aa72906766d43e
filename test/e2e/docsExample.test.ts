/**
 * The examples the README and docs/rpc.md show, run as a user would run them, against a live sequencer.
 */
import { execFile } from 'node:child_process'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { PerpNode } from '../../node/index.ts'
import { startSequencer, tempDir } from '../support/nodes.ts'
import { feedOracle } from '../support/oracle.ts'

const run = promisify(execFile)

describe('docs/examples', () => {
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

  it('place-order.ts: signs with viem, sends, and sees its order included and resting', async () => {
    const script = join(import.meta.dirname, '../../docs/examples/place-order.ts')
    const { stdout } = await run(process.execPath, [script, node.rpcUrl], { timeout: 20_000 })
    expect(stdout).toMatch(/^sent 0x[0-9a-f]{64}$/m)
    expect(stdout).toMatch(/^included at height \d+$/m)
    expect(stdout).toMatch(/^open orders: 1$/m)
  })

  it('docs/examples/sdk-order.ts: the SDK refuses a too-precise price, places, shows and cancels an order', async () => {
    const script = join(import.meta.dirname, '../../docs/examples/sdk-order.ts')
    const { stdout } = await run(process.execPath, [script, node.rpcUrl], { timeout: 30_000 })
    // BTC-USD on the devnet: tick 10^7 price units at 8 decimals = 0.1, lot 1,000 size units at 6 decimals = 0.001
    expect(stdout).toMatch(/^BTC-USD tick 0\.1 lot 0\.001$/m)
    expect(stdout).toMatch(/^refused before sending: TOO_MANY_DECIMALS$/m)
    expect(stdout).toMatch(/^sent 0x[0-9a-f]{64}$/m)
    expect(stdout).toMatch(/^included at height \d+$/m)
    expect(stdout).toMatch(/^resting: buy 0\.01 at 50000$/m)
    expect(stdout).toMatch(/^cancel included$/m)
  })
})
