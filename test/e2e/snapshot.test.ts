/**
 * `perpd export` and `perpd import` (node/snapshot.ts): a sequencer runs under wallet-signed load; a copy of
 * its data directory is exported with the CLI at a height below its head (state rebuilt by replay from
 * genesis) and at its head; the bytes equal an export of the same height from the running node's store
 * (the format is canonical). The snapshot is imported with the CLI into a fresh directory, and a validator
 * started on it follows the running sequencer from H + 1 with the same blocks and roots. Bad snapshots
 * (corrupted, tampered leaves, another genesis) and a non-empty target are refused.
 */
import { cpSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import type { PerpNode } from '../../node/index.ts'
import { DEVNET_GENESIS_PATH, loadGenesis } from '../../node/index.ts'
import { decodeSnapshot, encodeSnapshot, exportSnapshot, importSnapshot } from '../../node/snapshot.ts'
import { bytesEqual, toHex } from '../../state/index.ts'
import { runCli } from '../support/cliNode.ts'
import { Load } from '../support/load.ts'
import { freePort, startSequencer, startValidator, tempDir } from '../support/nodes.ts'
import { call, waitFor } from '../support/rpcClient.ts'

const genesis = loadGenesis(DEVNET_GENESIS_PATH)
const quiet = (): void => {}

describe('export and import', () => {
  const seqDir = tempDir('snap-seq')
  const copyDir = tempDir('snap-copy')
  const freshDir = tempDir('snap-fresh')
  const files = tempDir('snap-files')
  const load = new Load(7)
  let sequencer: PerpNode | undefined
  let validator: PerpNode | undefined

  afterAll(async () => {
    await load.stop()
    await validator?.stop()
    await sequencer?.stop()
    for (const d of [seqDir, copyDir, freshDir, files]) d.remove()
  }, 60_000)

  // ≈ 6 s alone; the margin is for a machine busy with the rest of the suite (child processes, the crash loop)
  it('a validator started from a snapshot at H follows the chain from H + 1 with equal roots', {
    timeout: 120_000,
  }, async () => {
    const p2pPort = await freePort()
    const start = () => startSequencer({ dataDir: seqDir.path, p2pPort, blockTimeMs: 50, log: quiet })
    sequencer = await start()
    await load.attach(sequencer.rpcUrl)
    const first = sequencer
    await waitFor('load in blocks', async () =>
      load.acked.size >= 40 && first.chain.head.height >= 20n ? true : undefined,
    )

    // a copy of the data directory (stopped for the copy; LevelDB files are not copied live), then on it goes
    load.detach()
    await sequencer.stop()
    cpSync(seqDir.path, join(copyDir.path, 'chain'), { recursive: true })
    sequencer = await start()
    await load.attach(sequencer.rpcUrl)
    const seq = sequencer
    const copyHead = seq.chain.head.height
    const H = copyHead - 5n

    const below = join(files.path, 'below.snap')
    const atHead = join(files.path, 'head.snap')
    const e1 = await runCli(['export', '--data', copyDir.path, '--height', H.toString(), '--out', below])
    expect(e1.stderr).toBe('')
    expect(e1.stdout).toMatch(new RegExp(`^exported height ${H} \\(head ${copyHead}\\) .*replayed from genesis`))
    const e2 = await runCli(['export', '--data', copyDir.path, '--out', atHead])
    expect(e2.stdout).toMatch(new RegExp(`^exported height ${copyHead} .*from the stored head`))
    const v = await runCli(['verify', '--data', copyDir.path])
    expect(v.stdout).toMatch(new RegExp(`^ok: ${copyHead} blocks`))

    // canonical: the same height from the running sequencer's own store gives the same bytes
    const bytes = readFileSync(below)
    const live = await exportSnapshot(seq.chain.store, genesis, H)
    expect(live.replayed).toBe(true)
    expect(bytesEqual(live.bytes, bytes)).toBe(true)
    const headSnap = decodeSnapshot(readFileSync(atHead))
    expect(bytesEqual((await exportSnapshot(seq.chain.store, genesis, copyHead)).bytes, readFileSync(atHead))).toBe(
      true,
    )
    expect(headSnap.height).toBe(copyHead)
    const snap = decodeSnapshot(bytes)
    const atH = await call<{ stateRoot: string }>(seq.rpcUrl, 'perp_block', [H.toString()])
    expect(toHex(snap.stateRoot)).toBe(atH.stateRoot)
    expect(snap.leaves.length).toBeGreaterThan(20) // subaccounts, resting orders, nonce windows, markets

    // refused: a corrupted file, leaves that do not hash to the signed root, another genesis
    const corrupted = Uint8Array.from(bytes)
    corrupted[200] = (corrupted[200] as number) ^ 1
    await expect(importSnapshot(join(files.path, 'x1'), genesis, corrupted)).rejects.toThrow(/checksum/)
    const [key, value] = snap.leaves[snap.leaves.length - 1] as [Uint8Array, Uint8Array]
    const changed = Uint8Array.from(value)
    changed[changed.length - 1] = (changed[changed.length - 1] as number) ^ 1
    const tampered = encodeSnapshot({ ...snap, leaves: [...snap.leaves.slice(0, -1), [key, changed]] })
    await expect(importSnapshot(join(files.path, 'x2'), genesis, tampered)).rejects.toThrow(/not to the state root/)
    await expect(
      importSnapshot(join(files.path, 'x3'), { ...genesis, chainId: genesis.chainId + 1 }, bytes),
    ).rejects.toThrow(/not of this genesis/)

    const i1 = await runCli(['import', '--data', freshDir.path, '--in', below])
    expect(i1.stdout).toMatch(new RegExp(`^imported height ${H} root ${toHex(snap.stateRoot)}`))
    const i2 = await runCli(['import', '--data', freshDir.path, '--in', below])
    expect(i2.code).toBe(2)
    expect(i2.stderr).toMatch(/not empty/)

    // a validator on the imported directory continues at H + 1, from the running sequencer
    validator = await startValidator({
      dataDir: join(freshDir.path, 'chain'),
      blockTimeMs: 50,
      bootstrap: seq.p2p.multiaddrs(),
      log: quiet,
    })
    const val = validator
    expect(val.chain.head.height).toBe(H)
    expect(toHex(val.chain.head.stateRoot)).toBe(toHex(snap.stateRoot))
    expect(await call(val.rpcUrl, 'perp_block', [(H - 1n).toString()])).toBeNull() // history starts at H
    const target = seq.chain.head.height + 10n
    await waitFor('the validator follows', async () => (val.chain.head.height >= target ? true : undefined), 20_000)
    expect(val.mismatch).toBeUndefined()
    for (let h = H; h <= target; h++) {
      const ours = await val.chain.store.block(h)
      const theirs = await seq.chain.store.block(h)
      expect(ours !== undefined && theirs !== undefined && bytesEqual(ours, theirs), `block ${h}`).toBe(true)
    }
    const seqAt = await call<{ stateRoot: string }>(seq.rpcUrl, 'perp_block', [target.toString()])
    const valAt = await call<{ stateRoot: string }>(val.rpcUrl, 'perp_block', [target.toString()])
    expect(valAt.stateRoot).toBe(seqAt.stateRoot)
    // transactions acknowledged by the sequencer after H are on the validator too
    const later = [...load.acked].filter(([, a]) => a.height > H && a.height <= target).map(([hash]) => hash)
    expect(later.length).toBeGreaterThan(0)
    expect(await load.check(val.rpcUrl, later)).toEqual([])

    // an imported store has no state below its base: export there is refused, at its head it works
    await expect(exportSnapshot(val.chain.store, genesis, H - 1n)).rejects.toThrow(/imported at height/)
    const again = await exportSnapshot(val.chain.store, genesis)
    expect(again.replayed).toBe(false)
    expect(again.snapshot.height).toBeGreaterThanOrEqual(target)
  })
})
