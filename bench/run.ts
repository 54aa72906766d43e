/**
 * @module `npm run bench`: every benchmark, one table, bench/results.json. Never a timed unit test.
 */
import { writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { engineReplayRows } from './engineReplay.ts'
import type { Row } from './harness.ts'
import { machine, printTable } from './harness.ts'
import { signatureRows } from './signatures.ts'

const rows: Row[] = [...signatureRows(), ...engineReplayRows()]
printTable(rows)
const out = join(dirname(fileURLToPath(import.meta.url)), 'results.json')
writeFileSync(out, `${JSON.stringify({ machine: machine(), rows }, null, 2)}\n`)
console.log(`\nwrote ${out}`)
