/**
 * Regenerates the golden vectors in test/spec/vectors/ from test/spec/scenarios.ts. Run it only when a change
 * of the state transition is intended (`npm run spec:update`), and say why in the commit: the vectors pin roots
 * and receipts, so every other change must leave them as they are.
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { buildScenarios, runScenario } from '../test/spec/scenarios.ts'

const dir = join(import.meta.dirname, '..', 'test', 'spec', 'vectors')
mkdirSync(dir, { recursive: true })
for (const scenario of buildScenarios()) {
  const outcomes = runScenario(scenario)
  const file = join(dir, `${scenario.name}.json`)
  writeFileSync(file, `${JSON.stringify({ ...scenario, outcomes })}\n`)
  console.log(`${scenario.name}: ${scenario.blocks.length} blocks, final root ${outcomes.at(-1)?.stateRoot}`)
}
