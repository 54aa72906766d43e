/**
 * @module The signature pool answers what recoverSigner answers on the main thread, item by item and in order,
 * for honest and hostile inputs alike; it stops cleanly and still answers (inline) once stopped.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import fc from 'fast-check'
import { afterAll, describe, expect, it } from 'vitest'
import type { RecoveryItem, RecoveryResult } from '../../node/signaturePool.ts'
import { createSignaturePool } from '../../node/signaturePool.ts'
import { addressOfPrivateKey, recoverSigner, SignatureError, signDigest } from '../../node/signatures.ts'
import { fromHex, keccak256 } from '../../state/index.ts'

const here = dirname(fileURLToPath(import.meta.url))
const vectors = JSON.parse(readFileSync(join(here, '../vectors/eip712.json'), 'utf8'))
const N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n

/** the main thread's answer: an address, or the message of the SignatureError it throws */
function mainThread(item: RecoveryItem): string {
  try {
    return recoverSigner(item.digest, item.signature)
  } catch (e) {
    return `error: ${(e as Error).message}`
  }
}

function shown(r: RecoveryResult): string {
  return r instanceof SignatureError ? `error: ${r.message}` : r
}

function withS(sig: Uint8Array, s: bigint): Uint8Array {
  const out = sig.slice()
  for (let i = 63; i >= 32; i--) {
    out[i] = Number(s & 0xffn)
    s >>= 8n
  }
  return out
}

const key = keccak256(new TextEncoder().encode('pool test key'))
const signer = addressOfPrivateKey(key)
const digests = Array.from({ length: 40 }, (_, i) => keccak256(Uint8Array.of(i, 7)))
const honest: RecoveryItem[] = digests.map((digest) => ({ digest, signature: signDigest(key, digest) }))

/** every rule of recoverSigner broken once, next to honest items */
function hostile(): RecoveryItem[] {
  const d = digests[0] as Uint8Array
  const sig = (honest[0] as RecoveryItem).signature
  let s = 0n
  for (let i = 32; i < 64; i++) s = (s << 8n) | BigInt(sig[i] as number)
  const v = (x: number): Uint8Array => {
    const out = sig.slice()
    out[64] = x
    return out
  }
  return [
    { digest: d, signature: new Uint8Array(0) },
    { digest: d, signature: sig.subarray(0, 64) },
    { digest: d, signature: Uint8Array.of(...sig, 0) },
    { digest: d, signature: v(0) },
    { digest: d, signature: v(1) },
    { digest: d, signature: v(28) },
    { digest: d, signature: v(2) },
    { digest: d, signature: v(29) },
    { digest: d, signature: v(255) },
    { digest: d, signature: withS(sig, N - s) }, // the high-s twin of a valid signature
    { digest: d, signature: withS(sig, 0n) },
    { digest: d, signature: withS(sig, N) },
    { digest: d, signature: new Uint8Array(65) },
    { digest: d, signature: new Uint8Array(65).fill(0xff) },
    { digest: new Uint8Array(31), signature: sig },
    { digest: new Uint8Array(0), signature: sig },
    { digest: new Uint8Array(32), signature: sig },
    { digest: Uint8Array.of(...d, 1), signature: sig },
  ]
}

describe('signature pool', () => {
  // inlineBelow 1: every batch goes to the workers, so the test exercises the threads, not the inline path
  const pool = createSignaturePool({ workers: 2, inlineBelow: 1 })
  afterAll(() => pool.stop())

  it('recovers the signer of honest signatures, in the order asked', async () => {
    const results = await pool.recoverMany(honest)
    expect(results).toEqual(honest.map(() => signer))
    expect(pool.workers).toBe(2)
  })

  it('recovers the viem-signed EIP-712 vectors to their signers', async () => {
    const items = vectors.vectors.map((v: { digest: string; signature: string }) => ({
      digest: fromHex(v.digest),
      signature: fromHex(v.signature),
    }))
    const results = await pool.recoverMany(items)
    expect(results).toEqual(vectors.vectors.map((v: { signer: string }) => v.signer.toLowerCase()))
  })

  it('answers each hostile input as recoverSigner does (same error message), mixed with honest ones', async () => {
    const items = [...hostile(), ...honest.slice(0, 5), ...hostile().reverse()]
    const results = await pool.recoverMany(items)
    expect(results.map(shown)).toEqual(items.map(mainThread))
    const refused = results.filter((r) => r instanceof SignatureError).length
    expect(refused).toBeGreaterThan(20) // most hostile items are refused (v 0/1/28 recover some other key)
  })

  it('property: random signatures and digests get the main thread answer, in order', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.record({
            digest: fc.uint8Array({ minLength: 30, maxLength: 33 }),
            signature: fc.oneof(
              fc.uint8Array({ minLength: 65, maxLength: 65 }),
              fc.uint8Array({ minLength: 63, maxLength: 67 }),
              fc.integer({ min: 0, max: honest.length - 1 }).map((i) => (honest[i] as RecoveryItem).signature),
            ),
          }),
          { maxLength: 60 },
        ),
        async (items) => {
          const results = await pool.recoverMany(items)
          expect(results.map(shown)).toEqual(items.map(mainThread))
        },
      ),
      { numRuns: 60 },
    )
  })

  it('batches sent at once come back each to its caller', async () => {
    const batches = [honest.slice(0, 3), hostile(), honest.slice(10, 30), []]
    const all = await Promise.all(batches.map((b) => pool.recoverMany(b)))
    expect(all.map((r) => r.map(shown))).toEqual(batches.map((b) => b.map(mainThread)))
  })

  it('a pool of 0 workers and a stopped pool answer the same, inline', async () => {
    const inline = createSignaturePool({ workers: 0 })
    const items = [...hostile(), ...honest]
    expect((await inline.recoverMany(items)).map(shown)).toEqual(items.map(mainThread))
    await inline.stop()
    const stopped = createSignaturePool({ workers: 2, inlineBelow: 1 })
    await stopped.stop()
    expect(stopped.workers).toBe(0)
    expect((await stopped.recoverMany(items)).map(shown)).toEqual(items.map(mainThread))
    await stopped.stop() // twice is harmless
  })

  it('stop while a batch is in the workers: the batch is still answered in full', async () => {
    const busy = createSignaturePool({ workers: 2, inlineBelow: 1 })
    const many = Array.from({ length: 8 }, () => honest).flat()
    const answer = busy.recoverMany(many)
    expect(await busy.stop()).toEqual({ forced: 0 }) // the workers finished their chunks and ended by themselves
    expect(await answer).toEqual(many.map(() => signer))
  })

  it('stop ends each worker by itself, none terminated, also right after the pool is made (workers still loading)', async () => {
    for (let i = 0; i < 5; i++) {
      const fresh = createSignaturePool({ workers: 2 })
      expect(await fresh.stop()).toEqual({ forced: 0 })
      expect(fresh.workers).toBe(0)
    }
  })

  // Linux: the kernel keeps a nice value per thread, shown in /proc/self/task/TID/stat (field 19)
  it.runIf(process.platform === 'linux')(
    'workers run at the nice value asked for; the calling thread keeps its own',
    async () => {
      const threads = (): Map<string, { name: string; nice: number }> => {
        const out = new Map<string, { name: string; nice: number }>()
        for (const tid of readdirSync('/proc/self/task')) {
          try {
            const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8')
            const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ') // from field 3 (state) on
            const name = readFileSync(`/proc/self/task/${tid}/comm`, 'utf8').trim()
            out.set(tid, { name, nice: Number(fields[16]) })
          } catch {
            // a thread that ended between the listing and the read
          }
        }
        return out
      }
      const before = threads()
      const ownNice = before.get(String(process.pid))?.nice
      const niced = createSignaturePool({ workers: 2, nice: 7 })
      try {
        // a batch above the inline size reaches both workers, so both have set their priority
        const many = Array.from({ length: 4 }, () => honest).flat()
        expect(await niced.recoverMany(many)).toEqual(many.map(() => signer))
        const fresh = [...threads()].filter(([tid, t]) => !before.has(tid) && t.name === 'WorkerThread')
        expect(fresh.map(([, t]) => t.nice)).toEqual([7, 7])
        expect(threads().get(String(process.pid))?.nice).toBe(ownNice)
      } finally {
        await niced.stop()
      }
      expect(() => createSignaturePool({ workers: 1, nice: 20 })).toThrow(RangeError)
    },
  )
})
