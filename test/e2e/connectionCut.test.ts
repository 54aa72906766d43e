/**
 * Real connection cuts under load, with real processes (`perpd start`): a sequencer and two validators on loopback,
 * each validator reaching the sequencer only through its own TCP proxy (test/support/tcpProxy.ts), while the test's
 * load (wallet-signed orders and oracle reports) runs against the sequencer. The validators know no other path:
 * they bootstrap through the proxy, the sequencer never dials, and block sync only uses open connections.
 * 1. one validator cut off (every connection reset, every redial refused) for a few seconds, then restored;
 * 2. the sequencer cut from both validators at once, then restored.
 * Each time: the cut is real (the validator stops advancing while the sequencer goes on), the validator catches
 * up and follows again (/health `following`), and every transaction acknowledged before the cut is still where it
 * was. At the end: one chain (the same root at every height on all three) and nothing acknowledged lost.
 *
 * No tight timing: every step waits for a condition with a generous deadline.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import type { CliNode } from '../support/cliNode.ts'
import { sleep, spawnCli, writeSequencerKeyFile } from '../support/cliNode.ts'
import { Load, rpcBatch } from '../support/load.ts'
import { freePort } from '../support/nodes.ts'
import { call, waitFor } from '../support/rpcClient.ts'
import type { TcpProxy } from '../support/tcpProxy.ts'
import { startTcpProxy } from '../support/tcpProxy.ts'

/** ms a cut lasts at least: the validators' bootstrap redials (after 1 s and 2 s) meet a closed door */
const CUT_MS = 3_500
/** blocks the sequencer must make during a cut, so the catch-up needs a range sync (more than a parent walk) */
const BLOCKS_DURING_CUT = 15n
/** ms: deadline for any one condition (a busy 2-core machine can be slow; a correct run is far inside it) */
const DEADLINE_MS = 30_000

const height = async (url: string): Promise<bigint> => BigInt(await call<string>(url, 'eth_blockNumber'))

describe('connection cuts under load', () => {
  const root = mkdtempSync(join(tmpdir(), 'perpd-cut-'))
  const running = new Set<CliNode>()
  const proxies: TcpProxy[] = []
  afterAll(async () => {
    for (const n of running) n.kill('SIGKILL')
    await Promise.all([...running].map((n) => n.exited))
    await Promise.all(proxies.map((p) => p.close()))
    rmSync(root, { recursive: true, force: true })
  })

  function spawn(args: string[]): CliNode {
    const n = spawnCli(args)
    running.add(n)
    void n.exited.then(() => running.delete(n))
    return n
  }

  it('validators cut off catch up and follow again: one chain, nothing acknowledged lost', async () => {
    const keyFile = writeSequencerKeyFile(join(root, 'sequencer.key'))
    const [seqRpc, seqP2p, v1Rpc, v2Rpc] = [await freePort(), await freePort(), await freePort(), await freePort()]
    const sequencer = spawn([
      ...['start', '--role', 'sequencer', '--data', join(root, 'seq'), '--key-file', keyFile],
      ...['--rpc', `127.0.0.1:${seqRpc}`, '--p2p', `/ip4/127.0.0.1/tcp/${seqP2p}`, '--block-time', '100'],
    ])
    const seq = await sequencer.ready
    const seqPeerId = seq.p2p.split('/p2p/')[1] as string
    const links = [await startTcpProxy(seqP2p), await startTcpProxy(seqP2p)]
    proxies.push(...links)
    const validators = links.map((link, i) =>
      spawn([
        ...['start', '--role', 'validator', '--data', join(root, `v${i + 1}`), '--rpc'],
        ...[`127.0.0.1:${i === 0 ? v1Rpc : v2Rpc}`, '--block-time', '100'],
        ...['--bootstrap', `/ip4/127.0.0.1/tcp/${link.port}/p2p/${seqPeerId}`],
      ]),
    )
    const urls = (await Promise.all(validators.map((v) => v.ready))).map((r) => r.rpcUrl)
    const tails = (): string => validators.map((v, i) => `--- v${i + 1}\n${v.tail()}`).join('\n')

    const load = new Load(20261125)
    await load.attach(seq.rpcUrl)

    /** Waits until the validator at `url` holds the sequencer's head of now and reports `following`. */
    async function following(url: string): Promise<void> {
      const target = await height(seq.rpcUrl)
      await waitFor(
        `${url} at ${target} and following`,
        async () => {
          if ((await height(url)) < target) return undefined
          const h = (await (await fetch(`${url}/health`)).json()) as { status: string }
          return h.status === 'following' ? true : undefined
        },
        DEADLINE_MS,
      ).catch((e: unknown) => {
        throw new Error(`${String(e)}\n${tails()}`)
      })
    }

    /**
     * Cuts `cut` (indexes into links / urls), checks the cut is real, restores, checks the catch-up and that what
     * was acknowledged before the cut is still there. Returns ms from restore to following again.
     */
    async function cutAndRestore(cut: number[]): Promise<number> {
      const ackedBefore = [...load.acked.keys()]
      const resetsBefore = cut.map((i) => (links[i] as TcpProxy).reset)
      for (const i of cut) (links[i] as TcpProxy).cut()
      const cutAt = Date.now()
      // imports already queued at the cut finish; after that a cut-off validator cannot advance: its height holds
      // still for a whole second (a validator that still received blocks would move every 100 ms)
      const stalled = await Promise.all(
        cut.map((i) =>
          waitFor(
            `v${i + 1} to stall`,
            async () => {
              const before = await height(urls[i] as string)
              await sleep(1_000)
              return (await height(urls[i] as string)) === before ? before : undefined
            },
            DEADLINE_MS,
          ),
        ),
      )
      await waitFor(
        `${BLOCKS_DURING_CUT} blocks during the cut`,
        async () => ((await height(seq.rpcUrl)) >= (stalled[0] as bigint) + BLOCKS_DURING_CUT ? true : undefined),
        DEADLINE_MS,
      )
      await sleep(Math.max(0, CUT_MS - (Date.now() - cutAt)))
      const during = await Promise.all(cut.map((i) => height(urls[i] as string)))
      expect(during).toEqual(stalled)
      // the open connection was reset, and at least one redial was refused
      cut.forEach((i, k) => {
        expect((links[i] as TcpProxy).reset).toBeGreaterThanOrEqual((resetsBefore[k] as number) + 2)
      })

      for (const i of cut) (links[i] as TcpProxy).restore()
      const restoredAt = Date.now()
      await Promise.all(cut.map((i) => following(urls[i] as string)))
      const catchUpMs = Date.now() - restoredAt
      for (const url of [seq.rpcUrl, ...cut.map((i) => urls[i] as string)])
        expect(await load.check(url, ackedBefore)).toEqual([])
      return catchUpMs
    }

    // warm-up: both validators follow the loaded chain
    await waitFor('height 10', async () => ((await height(seq.rpcUrl)) >= 10n ? true : undefined), DEADLINE_MS)
    for (const url of urls) await following(url)

    const oneCut = await cutAndRestore([0])
    // the other validator was never cut: it kept following all along
    await following(urls[1] as string)
    const allCut = await cutAndRestore([0, 1])
    await load.stop()

    // one chain: the same root at every height on all three
    const head = await height(seq.rpcUrl)
    for (const url of urls)
      await waitFor(`${url} at ${head}`, async () => ((await height(url)) >= head ? true : undefined), DEADLINE_MS)
    const rootsOf = async (url: string): Promise<string[]> => {
      const out: string[] = []
      for (let from = 1n; from <= head; from += 100n) {
        const calls = []
        for (let h = from; h < from + 100n && h <= head; h++) calls.push({ method: 'perp_block', params: [String(h)] })
        for (const a of await rpcBatch(url, calls)) out.push((a.result as { stateRoot: string }).stateRoot)
      }
      return out
    }
    const seqRoots = await rootsOf(seq.rpcUrl)
    expect(seqRoots).toHaveLength(Number(head))
    for (const url of urls) expect(await rootsOf(url)).toEqual(seqRoots)

    // nothing acknowledged lost, on any of the three
    expect(load.acked.size).toBeGreaterThan(50)
    const acked = [...load.acked.keys()]
    for (const url of [seq.rpcUrl, ...urls]) expect(await load.check(url, acked)).toEqual([])
    console.log(
      `connection cuts: ${head} heights; one validator cut → following again ${oneCut} ms after restore; ` +
        `both cut → ${allCut} ms; ${load.stats()}`,
    )
  }, 90_000)
})
