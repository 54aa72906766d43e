/**
 * @module Builds the client SDK for use outside this repository: `npm run build:client` (or
 * `node rpc/clientBuild.ts [outDir]`, default dist/client) emits plain JS and .d.ts of rpc/client.ts and what
 * it imports (tsconfig.client.json: DOM lib and no Node types, so a Node-only API in the SDK fails the build),
 * and writes a package.json there naming the package `perpd` with the same `./client` export pointing at the
 * JS and its types. Install that folder (or `npm pack` it) and `import … from 'perpd/client'` works in Node
 * and TypeScript, which both refuse TypeScript sources inside node_modules.
 *
 * Not part of the SDK (client.ts does not import it, so it is not emitted).
 */
import { execFileSync } from 'node:child_process'
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'

const ROOT = resolve(import.meta.dirname, '..')

export function buildClient(outDir: string): void {
  rmSync(outDir, { recursive: true, force: true })
  const tsc = join(ROOT, 'node_modules', '.bin', 'tsc')
  execFileSync(tsc, ['-p', join(ROOT, 'tsconfig.client.json'), '--outDir', outDir], { stdio: 'inherit' })
  // tsc rewrites `./x.ts` to `./x.js` in JS but leaves declarations as written; TypeScript reads either, older
  // tools and editors only the .js form
  for (const file of readdirSync(outDir).filter((f) => f.endsWith('.d.ts'))) {
    const path = join(outDir, file)
    writeFileSync(path, readFileSync(path, 'utf8').replace(/(from '\.\/[A-Za-z0-9]+)\.ts'/g, "$1.js'"))
  }
  const root = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
    name: string
    version: string
    license: string
    dependencies: Record<string, string>
  }
  const manifest = {
    name: root.name,
    version: root.version,
    description: 'perpd client SDK: typed JSON-RPC reads and EIP-712 signed writes (built from rpc/client.ts)',
    license: root.license,
    type: 'module',
    sideEffects: false,
    exports: { './client': { types: './client.d.ts', default: './client.js' } },
    peerDependencies: { viem: root.dependencies.viem },
  }
  writeFileSync(join(outDir, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`)
}

if (import.meta.main) {
  const outDir = resolve(process.argv[2] ?? join(ROOT, 'dist', 'client'))
  buildClient(outDir)
  console.log(`client SDK built in ${outDir}`)
}
