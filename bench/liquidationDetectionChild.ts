/**
 * @module The liquidation-detection rows (bench/liquidationDetection.ts) in a process of their own, printed as one
 * JSON line. At 1M accounts those rows measure memory latency on the population's objects, so the heap should
 * hold that population and nothing else: in the full benchmark's process, what the earlier rows left behind made
 * the both-markets median ~1.5 ms slower than the same code alone (bench/NOTES.md, fourth pass).
 *
 * Usage: node bench/liquidationDetectionChild.ts   (bench/index.ts runs it through liquidationDetectionRowsInChild)
 */
import { liquidationDetectionRows } from './liquidationDetection.ts'

console.log(JSON.stringify(liquidationDetectionRows()))
