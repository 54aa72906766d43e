/** @module Temp dirs for a benchmark's node stores, removed together. */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

export function tempDirs(label: string): { make: (name: string) => string; remove: () => void } {
  const made: string[] = []
  return {
    make: (name) => {
      const path = mkdtempSync(join(tmpdir(), `perpd-${label}-${name}-`))
      made.push(path)
      return path
    },
    remove: () => {
      for (const path of made) rmSync(path, { recursive: true, force: true })
    },
  }
}
