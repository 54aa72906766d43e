/**
 * @module bench: `npm run bench` runs every benchmark, prints one table and writes bench/results.json. Each row
 * sets a measurement beside its reference, measured in the same run. Never a timed unit test.
 */
import { writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { endToEndRows } from './endToEnd.ts'
import { engineReplayRows } from './engineReplay.ts'
import type { Row } from './harness.ts'
import { machine, printTable } from './harness.ts'
import { hostRows, probeHost } from './hostCheck.ts'
import { liquidationDetectionRowsInChild } from './liquidationDetection.ts'
import { matchingRows } from './matching.ts'
import { memoryRows } from './memory.ts'
import { propagationRows } from './propagation.ts'
import { rpcIngestRows } from './rpcIngest.ts'
import { signaturePoolRows } from './signaturePool.ts'
import { signatureRows } from './signatures.ts'
import { stateTreeRows } from './stateTree.ts'
import { usedBytes } from './stateTreeHarness.ts'

const hostAtStart = probeHost('start')
usedBytes() // a full collection: the probe's 256 MB are not left for the first rows' collector
const rows: Row[] = [
  ...signatureRows(),
  ...(await endToEndRows()),
  ...engineReplayRows(),
  ...matchingRows(),
  ...liquidationDetectionRowsInChild(),
  ...memoryRows(),
  ...(await stateTreeRows()),
  ...(await propagationRows()),
  ...(await signaturePoolRows()),
  ...(await rpcIngestRows()),
]
rows.push(...hostRows(hostAtStart, probeHost('end')))
printTable(rows)
const out = join(dirname(fileURLToPath(import.meta.url)), 'results.json')
writeFileSync(out, `${JSON.stringify({ machine: machine(), rows }, null, 2)}\n`)
console.log(`\nwrote ${out}`)
