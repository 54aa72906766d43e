/**
 * Chaos under load, with real processes (`perpd start`): a sequencer and two validators on loopback while the
 * test's load (wallet-signed orders and oracle reports) runs against the sequencer. A seeded schedule SIGKILLs and
 * restarts a validator, freezes the other (SIGSTOP for 2 s: to its peers, a cut connection) and SIGKILLs and
 * restarts the sequencer. Afterwards:
 * - no fork: both validators hold, at every height, the sequencer's state root;
 * - liveness: the chain moved on after the last restart and the validators caught up;
 * - nothing acknowledged is lost: every transaction the sequencer reported included (or rejected) in a committed
 *   block is still there, at the same height and index, on the sequencer and on both validators.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import type { CliNode } from '../support/cliNode.ts'
import { spawnCli, writeSequencerKeyFile } from '../support/cliNode.ts'
import { Load, rpcBatch } from '../support/load.ts'
import { freePort } from '../support/nodes.ts'
import { call, waitFor } from '../support/rpcClient.ts'

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

describe('chaos: kills, a freeze and a sequencer restart under load', () => {
  const root = mkdtempSync(join(tmpdir(), 'perpd-chaos-'))
  const running = new Set<CliNode>()
  afterAll(async () => {
    for (const n of running) n.kill('SIGKILL')
    await Promise.all([...running].map((n) => n.exited))
    rmSync(root, { recursive: true, force: true })
  })

  function spawn(args: string[]): CliNode {
    const n = spawnCli(args)
    running.add(n)
    void n.exited.then(() => running.delete(n))
    return n
  }

  it('keeps one chain, comes back, and loses nothing acknowledged', async () => {
    const keyFile = writeSequencerKeyFile(join(root, 'sequencer.key'))
    const [seqRpc, seqP2p, v1Rpc, v2Rpc] = [await freePort(), await freePort(), await freePort(), await freePort()]
    const seqP2pAddr = `/ip4/127.0.0.1/tcp/${seqP2p}`
    const sequencerArgs = [
      'start',
      '--role',
      'sequencer',
      '--data',
      join(root, 'seq'),
      '--key-file',
      keyFile,
      '--rpc',
      `127.0.0.1:${seqRpc}`,
      '--p2p',
      seqP2pAddr,
      '--block-time',
      '100',
    ]
    // a stable peer id for the sequencer (node.key), so the validators' bootstrap address stays valid across its
    // restart, as an operator sets it up with `perpd init`
    const init = spawn(['init', '--data', join(root, 'seq')])
    expect((await init.exited).code).toBe(0)
    let sequencer = spawn(sequencerArgs)
    const seqReady = await sequencer.ready
    const validatorArgs = (name: string, rpc: number): string[] => [
      'start',
      '--role',
      'validator',
      '--data',
      join(root, name),
      '--rpc',
      `127.0.0.1:${rpc}`,
      '--bootstrap',
      seqReady.p2p,
      '--block-time',
      '100',
    ]
    let v1 = spawn(validatorArgs('v1', v1Rpc))
    const v2 = spawn(validatorArgs('v2', v2Rpc))
    await Promise.all([v1.ready, v2.ready])

    const load = new Load(20261124)
    await load.attach(seqReady.rpcUrl)
    await sleep(2_000)

    // 1. a validator killed and restarted
    v1.kill('SIGKILL')
    await v1.exited
    await sleep(1_000)
    v1 = spawn(validatorArgs('v1', v1Rpc))
    await v1.ready
    await sleep(1_000)

    // 2. the other validator frozen: its peers see a connection that answers nothing
    v2.kill('SIGSTOP')
    await sleep(2_000)
    v2.kill('SIGCONT')
    await sleep(1_000)

    // 3. the sequencer killed mid-load and restarted on the same data and ports
    load.detach()
    sequencer.kill('SIGKILL')
    await sequencer.exited
    sequencer = spawn(sequencerArgs)
    const again = await sequencer.ready
    expect(again.height).toBeGreaterThanOrEqual(load.durable.height)
    await load.attach(again.rpcUrl)
    await sleep(2_000)
    await load.stop()

    // liveness: the chain moves on after the restart, and both validators reach its head
    const head = BigInt(await call<string>(again.rpcUrl, 'eth_blockNumber'))
    expect(head).toBeGreaterThan(again.height)
    const urls = [`http://127.0.0.1:${v1Rpc}`, `http://127.0.0.1:${v2Rpc}`]
    for (const url of urls)
      await waitFor(
        `validator ${url} at ${head}`,
        async () => (BigInt(await call<string>(url, 'eth_blockNumber')) >= head ? true : undefined),
        30_000,
      )

    // no fork: the same root at every height on all three
    const heights = Array.from({ length: Number(head) }, (_, i) => ({ method: 'perp_block', params: [String(i + 1)] }))
    const rootsOf = async (url: string): Promise<string[]> => {
      const out: string[] = []
      for (let i = 0; i < heights.length; i += 100) {
        const answers = await rpcBatch(url, heights.slice(i, i + 100))
        for (const a of answers) out.push((a.result as { stateRoot: string }).stateRoot)
      }
      return out
    }
    const seqRoots = await rootsOf(again.rpcUrl)
    for (const url of urls) expect(await rootsOf(url)).toEqual(seqRoots)

    // nothing acknowledged lost, on any of the three
    expect(load.acked.size).toBeGreaterThan(50)
    const acked = [...load.acked.keys()]
    for (const url of [again.rpcUrl, ...urls]) expect(await load.check(url, acked)).toEqual([])
  }, 120_000)
})
