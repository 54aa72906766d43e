/**
 * @module The worker thread of the signature pool (node/signaturePool.ts): recovers the signers of one packed
 * chunk with the very `recoverSigner` of the main thread, so both give the same answer for every input.
 *
 * Request: `{ id, bytes }`, `bytes` a transferred buffer of RECORD_BYTES records (32-byte digest ‖ 65-byte
 * signature). Answer: `{ id, addresses, errors }`: `addresses` the 42-character 0x-hex signers one after the
 * other (a refused record's slot is blank), `errors` the refused records as [index, message] pairs. One string
 * and a short list instead of an object per item keeps the structured clone to a few microseconds a chunk.
 * `{ stop: true }` ends the thread after the chunks before it. `workerData.nice`: this thread's nice value, set
 * before the first chunk (node/signaturePool.ts WORKER_NICE).
 */
import { setPriority } from 'node:os'
import { parentPort, workerData } from 'node:worker_threads'
import { BLANK_ADDRESS, DIGEST_BYTES, RECORD_BYTES } from './signaturePacking.ts'
import { recoverSigner } from './signatures.ts'

export interface WorkerStart {
  /** 0 leaves the priority alone; on Linux setpriority(0) changes the calling thread only */
  nice: number
}

const start = workerData as WorkerStart | undefined
if (start !== undefined && start.nice > 0) setPriority(start.nice)

export interface ChunkRequest {
  id: number
  bytes: ArrayBuffer
}

export interface ChunkAnswer {
  id: number
  addresses: string
  errors: [number, string][]
}

function recoverChunk(bytes: Uint8Array): { addresses: string; errors: [number, string][] } {
  const count = bytes.length / RECORD_BYTES
  const parts: string[] = new Array(count)
  const errors: [number, string][] = []
  for (let i = 0; i < count; i++) {
    const at = i * RECORD_BYTES
    try {
      const digest = bytes.subarray(at, at + DIGEST_BYTES)
      parts[i] = recoverSigner(digest, bytes.subarray(at + DIGEST_BYTES, at + RECORD_BYTES))
    } catch (e) {
      parts[i] = BLANK_ADDRESS
      errors.push([i, e instanceof Error ? e.message : String(e)])
    }
  }
  return { addresses: parts.join(''), errors }
}

/** Asks the worker to end once the chunks posted before it are answered (node/signaturePool.ts, stop). */
export interface StopRequest {
  stop: true
}

parentPort?.on('message', (request: ChunkRequest | StopRequest) => {
  // closing the port empties the event loop and the thread ends on its own, between two chunks: never inside a
  // native recovery or while the addon loads, where worker.terminate() could abort the whole process
  if ('stop' in request) {
    parentPort?.close()
    return
  }
  const { addresses, errors } = recoverChunk(new Uint8Array(request.bytes))
  const answer: ChunkAnswer = { id: request.id, addresses, errors }
  parentPort?.postMessage(answer)
})
