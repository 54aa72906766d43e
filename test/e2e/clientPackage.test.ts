/**
 * The client SDK as a package outside this repository: `node rpc/clientBuild.ts` (npm run build:client) emits
 * JS + .d.ts and a manifest; copied into a consumer's node_modules, `perpd/client` loads in Node and typechecks
 * in TypeScript. The TypeScript sources themselves would not load from node_modules (Node refuses to strip
 * types there), which is why the build exists.
 */
import { execFile } from 'node:child_process'
import { cpSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { tempDir } from '../support/nodes.ts'

const run = promisify(execFile)
const ROOT = join(import.meta.dirname, '../..')

const CONSUMER_JS = `
import { APP_ERRORS, createClient, formatUnits, InsufficientMarginError, parsePrice } from 'perpd/client'
const btc = { id: 0, symbol: 'BTC-USD', priceDecimals: 8, sizeDecimals: 6, tickSize: 10000000n, lotSize: 1000n }
console.log(typeof createClient, parsePrice(btc, '60000.5'), formatUnits(-10000n, 6))
const e = new InsufficientMarginError('x')
console.log(e.name, e.code, e.code === APP_ERRORS.INSUFFICIENT_MARGIN)
`

const CONSUMER_TS = `
import type { Market, OrderResult, PerpdClient } from 'perpd/client'
import { createClient, formatPrice, InsufficientMarginError } from 'perpd/client'
import { privateKeyToAccount } from 'viem/accounts'

const client: PerpdClient = createClient({
  url: 'http://127.0.0.1:8545',
  account: privateKeyToAccount('0x${'11'.repeat(32)}'),
})
export const order: Promise<OrderResult> = client.placeOrder({ market: 'BTC-USD', side: 'buy', price: '1', size: '1' })
export const oracle = (m: Market): string => formatPrice(m, m.oraclePrice)
export const isMargin = (e: unknown): boolean => e instanceof InsufficientMarginError && e.reason === 'INSUFFICIENT_MARGIN'
// @ts-expect-error the side is 'buy' | 'sell' (fails the build if the types were lost)
export const wrong = client.placeOrder({ market: 0, side: 'long', price: '1', size: '1' })
`

describe('perpd/client built for consumers outside the repository', () => {
  const dir = tempDir('client-pkg')
  const consumer = join(dir.path, 'consumer')
  const modules = join(consumer, 'node_modules')

  beforeAll(async () => {
    const build = join(dir.path, 'build')
    await run(process.execPath, [join(ROOT, 'rpc/clientBuild.ts'), build], { timeout: 60_000 })
    mkdirSync(modules, { recursive: true })
    writeFileSync(join(consumer, 'package.json'), '{ "type": "module", "private": true }\n')
    // a copy, not a link: the package really lives under node_modules, as after `npm install <tarball>`
    cpSync(build, join(modules, 'perpd'), { recursive: true })
    symlinkSync(join(ROOT, 'node_modules/viem'), join(modules, 'viem'), 'dir')
  }, 90_000)
  afterAll(() => dir.remove())

  it('loads in Node from node_modules as plain JS', async () => {
    writeFileSync(join(consumer, 'main.js'), CONSUMER_JS)
    const { stdout } = await run(process.execPath, [join(consumer, 'main.js')], { cwd: consumer })
    expect(stdout.split('\n')).toEqual(['function 6000050000000n -0.01', 'InsufficientMarginError 1040 true', ''])
  })

  it('typechecks a consumer against the emitted declarations (strict, nodenext)', async () => {
    writeFileSync(join(consumer, 'check.ts'), CONSUMER_TS)
    const tsconfig = {
      compilerOptions: {
        target: 'es2022',
        lib: ['es2022', 'dom'],
        module: 'nodenext',
        moduleResolution: 'nodenext',
        strict: true,
        noEmit: true,
        types: [],
        // our declarations are checked too
        skipLibCheck: false,
      },
      files: ['check.ts'],
    }
    writeFileSync(join(consumer, 'tsconfig.json'), JSON.stringify(tsconfig))
    const tsc = join(ROOT, 'node_modules/.bin/tsc')
    const result = await run(tsc, ['-p', consumer, '--listFiles'], { cwd: consumer, maxBuffer: 64 << 20 }).catch(
      (e) => e,
    )
    const lines: string[] = String(result.stdout).split('\n')
    expect(lines.filter((l) => l.includes('error TS'))).toEqual([])
    expect(result.code ?? 0).toBe(0)
    // resolved through the "types" condition to the emitted declarations, never to a source file
    expect(lines).toContain(join(modules, 'perpd/client.d.ts'))
    expect(lines.filter((l) => l.includes('/perpd/') && !l.endsWith('.d.ts'))).toEqual([])
  })

  it('the TypeScript sources would not load from node_modules (why the build exists)', async () => {
    const raw = join(modules, 'perpd-source')
    mkdirSync(join(raw, 'rpc'), { recursive: true })
    cpSync(join(ROOT, 'rpc'), join(raw, 'rpc'), { recursive: true, filter: (f) => !f.includes('node_modules') })
    writeFileSync(
      join(raw, 'package.json'),
      JSON.stringify({ name: 'perpd-source', type: 'module', exports: { './client': './rpc/client.ts' } }),
    )
    writeFileSync(join(consumer, 'raw.js'), "import 'perpd-source/client'\n")
    const failed = await run(process.execPath, [join(consumer, 'raw.js')], { cwd: consumer }).catch((e) => e)
    expect(failed.stderr).toContain('ERR_UNSUPPORTED_NODE_MODULES_TYPE_STRIPPING')
  })
})
