/**
 * Golden vectors: each file holds a genesis, blocks of transactions, and the state root and receipts after each
 * block. Re-running them must give byte-identical results; they change only through scripts/update-spec-vectors.ts.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import type { Outcome, Scenario } from './scenarios.ts'
import { runScenario } from './scenarios.ts'

const dir = join(import.meta.dirname, 'vectors')
const files = readdirSync(dir).filter((f) => f.endsWith('.json'))

describe('golden vectors', () => {
  it('exist', () => expect(files.length).toBeGreaterThan(0))
  for (const file of files) {
    it(`${file}: every block's root and receipts match`, () => {
      const vector = JSON.parse(readFileSync(join(dir, file), 'utf8')) as Scenario & { outcomes: Outcome[] }
      const outcomes = runScenario(vector)
      expect(outcomes.length).toBe(vector.outcomes.length)
      for (const [i, o] of outcomes.entries()) expect(o).toEqual(vector.outcomes[i])
    })
  }
})
