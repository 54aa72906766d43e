/**
 * @module Pre-signing the end-to-end stream on worker threads of the bench process, before any timing: each
 * worker computes the EIP-712 digest (typedDataDigest) and signs it natively (libsecp256k1), then serializes
 * the `perp_sendTransaction` params. A transaction costs ~150–270 µs here (digest ~60 µs, signature ~75 µs, the
 * rest JSON), so 200,000 of them take ~40 s on one core; the workers split that across the cores.
 */
import { availableParallelism } from 'node:os'
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads'
import { domainSeparator } from '../engine/index.ts'
import type { Unsigned, WireTx } from './endToEndMix.ts'
import { signWire } from './endToEndMix.ts'

interface SignerData {
  endToEndSigner: true
  chainId: number
  keys: Uint8Array[]
}

/** transactions per message to a worker: large enough that the round trip is noise (~1 ms against ~1 s) */
const CHUNK = 5_000

/** Signs `stream` in order on `workers` threads (default: one per core). */
export async function signAll(
  stream: readonly Unsigned[],
  keys: readonly Uint8Array[],
  chainId: number,
  workers = availableParallelism(),
): Promise<WireTx[]> {
  const data: SignerData = { endToEndSigner: true, chainId, keys: [...keys] }
  const pool = Array.from(
    { length: Math.max(1, workers) },
    () => new Worker(new URL(import.meta.url), { workerData: data }),
  )
  const chunks: Unsigned[][] = []
  for (let i = 0; i < stream.length; i += CHUNK) chunks.push(stream.slice(i, i + CHUNK))
  const signed: WireTx[][] = new Array(chunks.length)
  let next = 0
  try {
    await Promise.all(
      pool.map(async (worker) => {
        while (next < chunks.length) {
          const index = next++
          signed[index] = await new Promise<WireTx[]>((resolve, reject) => {
            worker.once('message', resolve)
            worker.once('error', reject)
            worker.postMessage(chunks[index])
          })
          worker.removeAllListeners('error')
        }
      }),
    )
  } finally {
    await Promise.all(pool.map((w) => w.terminate()))
  }
  return signed.flat()
}

const data = workerData as SignerData | null
if (!isMainThread && data?.endToEndSigner === true) {
  const domainSep = domainSeparator(data.chainId)
  parentPort?.on('message', (chunk: Unsigned[]) => {
    parentPort?.postMessage(chunk.map((u) => signWire(domainSep, u.tx, data.keys[u.trader] as Uint8Array)))
  })
}
