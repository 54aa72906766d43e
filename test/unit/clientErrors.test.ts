/**
 * The client SDK's typed errors: one class per entry of the RPC error table (built from rpc/errors.ts, so a
 * new code shows up here), the mapping of JSON-RPC error objects to them, and transport failures, through a
 * real HTTP server on 127.0.0.1 that answers what a node (or a broken proxy) would.
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http'
import { createServer } from 'node:http'
import type { PerpdClient } from 'perpd/client'
import * as sdk from 'perpd/client'
import {
  APP_ERRORS,
  AppError,
  appErrorClassName,
  createClient,
  HttpRequestError,
  InsufficientMarginError,
  InvalidParamsError,
  InvalidResponseError,
  MethodNotFoundError,
  NotOnTickError,
  PerpdError,
  PROTOCOL_ERRORS,
  ProtocolError,
  RequestTooLargeError,
  TimeoutError,
  UnknownRpcError,
} from 'perpd/client'
import { privateKeyToAccount } from 'viem/accounts'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const REJECTED = `0x${'ab'.repeat(32)}` as const

// a throwaway key: these tests never sign anything a node would accept
const account = privateKeyToAccount(`0x${'11'.repeat(32)}`)

type Handler = (method: string, params: unknown[], res: ServerResponse) => void

function listen(handler: Handler): Promise<{ url: string; server: Server }> {
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let body = ''
    req.on('data', (c) => {
      body += c
    })
    req.on('end', () => {
      const { method, params } = JSON.parse(body) as { method: string; params: unknown[] }
      handler(method, params, res)
    })
  })
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => {
      const a = server.address()
      resolve({ url: `http://127.0.0.1:${typeof a === 'object' && a !== null ? a.port : 0}`, server })
    }),
  )
}

async function rejection(p: Promise<unknown>): Promise<unknown> {
  return p.then(
    () => {
      throw new Error('expected a rejection')
    },
    (e: unknown) => e,
  )
}

describe('the error table', () => {
  it('has a named class for every APP_ERRORS entry, carrying its reason and code', () => {
    for (const [reason, code] of Object.entries(APP_ERRORS)) {
      const name = appErrorClassName(reason)
      const cls = (sdk as unknown as Record<string, new (m: string) => AppError>)[name]
      expect(cls, `perpd/client exports ${name}`).toBeTypeOf('function')
      const e = new (cls as new (m: string) => AppError)('boom')
      expect(e).toBeInstanceOf(AppError)
      expect(e).toBeInstanceOf(PerpdError)
      expect(e).toBeInstanceOf(Error)
      expect(e).toMatchObject({ name, reason, code, shortMessage: 'boom' })
    }
  })

  it('names classes by the reason in PascalCase', () => {
    expect(appErrorClassName('INSUFFICIENT_MARGIN')).toBe('InsufficientMarginError')
    expect(appErrorClassName('NOT_ON_TICK')).toBe('NotOnTickError')
  })

  it('has a class per protocol error code', () => {
    expect(new InvalidParamsError('x')).toMatchObject({ code: PROTOCOL_ERRORS.invalidParams, reason: 'INVALID_PARAMS' })
    expect(new MethodNotFoundError('x')).toMatchObject({ code: -32601, reason: 'METHOD_NOT_FOUND' })
    expect(new MethodNotFoundError('x')).toBeInstanceOf(ProtocolError)
  })

  it('writes a viem-style message: short message, then reason with code, field and details', () => {
    const e = new NotOnTickError('price 1.05 is not on the tick', { field: 'price', details: 'the tick is 0.1' })
    expect(e.message).toBe(
      [
        'price 1.05 is not on the tick',
        '',
        'Reason: NOT_ON_TICK (code 1022)',
        'Field: price',
        'Details: the tick is 0.1',
        'Version: perpd/client',
      ].join('\n'),
    )
  })
})

describe('JSON-RPC answers → typed errors', () => {
  let url: string
  let server: Server
  let client: PerpdClient
  beforeAll(async () => {
    ;({ url, server } = await listen((method, params, res) => {
      const reply = (status: number, body: unknown) =>
        res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body))
      const error = (code: number, data?: unknown) =>
        reply(200, { jsonrpc: '2.0', id: 1, error: { code, message: `${method} failed`, data } })
      if (method === 'app') error(APP_ERRORS[params[0] as keyof typeof APP_ERRORS], { reason: params[0] })
      else if (method === 'codeOnly') error(1040)
      else if (method === 'params') error(-32602, { field: 'market' })
      else if (method === 'newer') error(4242, { reason: 'SOMETHING_NEW' })
      else if (method === 'tooLarge')
        reply(413, {
          jsonrpc: '2.0',
          id: null,
          error: { code: 1082, message: 'too big', data: { reason: 'REQUEST_TOO_LARGE' } },
        })
      else if (method === 'proxy') res.writeHead(502).end('<html>bad gateway</html>')
      else if (method === 'garbage') res.writeHead(200).end('not json')
      else if (method === 'perp_transaction' && params[0] === REJECTED)
        reply(200, {
          jsonrpc: '2.0',
          id: 1,
          result: {
            hash: REJECTED,
            status: 'rejected',
            height: '9',
            index: 0,
            kind: 'order',
            events: [],
            error: { reason: 'INSUFFICIENT_MARGIN', message: 'equity below initial margin' },
          },
        })
      else if (method === 'perp_transaction')
        reply(200, { jsonrpc: '2.0', id: 1, result: { hash: params[0], status: 'pending' } })
      else if (method === 'silent') setTimeout(() => res.end(), 2_000)
      else reply(200, { jsonrpc: '2.0', id: 1, result: 'ok' })
    }))
    client = createClient({ url, account })
  })
  afterAll(() => {
    server.closeAllConnections()
    server.close()
  })

  it('maps every application reason to its class, origin node', async () => {
    for (const reason of Object.keys(APP_ERRORS)) {
      const e = await rejection(client.request('app', [reason]))
      expect(e).toBeInstanceOf((sdk as unknown as Record<string, typeof AppError>)[appErrorClassName(reason)])
      expect(e).toMatchObject({ reason, origin: 'node', shortMessage: 'app failed' })
    }
  })

  it('maps a table code without data by the code', async () => {
    const e = await rejection(client.request('codeOnly'))
    expect(e).toBeInstanceOf(InsufficientMarginError)
  })

  it('keeps the parameter a -32602 names', async () => {
    const e = await rejection(client.request('params'))
    expect(e).toBeInstanceOf(InvalidParamsError)
    expect(e).toMatchObject({ field: 'market', code: -32602 })
  })

  it('keeps an error from a newer node, unknown to this table, with its code and data', async () => {
    const e = await rejection(client.request('newer'))
    expect(e).toBeInstanceOf(UnknownRpcError)
    expect(e).toMatchObject({ code: 4242, data: { reason: 'SOMETHING_NEW' } })
  })

  it('prefers the JSON-RPC error of a 413 over the HTTP status', async () => {
    expect(await rejection(client.request('tooLarge'))).toBeInstanceOf(RequestTooLargeError)
  })

  it('reports an HTTP error status without a JSON-RPC body as HttpRequestError with the status', async () => {
    const e = await rejection(client.request('proxy'))
    expect(e).toBeInstanceOf(HttpRequestError)
    expect(e).toMatchObject({ status: 502, reason: 'HTTP_ERROR' })
  })

  it('reports a 200 that is not JSON-RPC as InvalidResponseError', async () => {
    expect(await rejection(client.request('garbage'))).toBeInstanceOf(InvalidResponseError)
  })

  it('gives up on a silent node with TimeoutError', async () => {
    const quick = createClient({ url, account, timeoutMs: 100 })
    const e = await rejection(quick.request('silent'))
    expect(e).toBeInstanceOf(TimeoutError)
    expect(e).toMatchObject({ reason: 'TIMEOUT', timeoutMs: 100 })
  })

  it('waitFor returns a rejected receipt, or throws its typed error (origin block) with throwOnReject', async () => {
    const receipt = await client.waitFor(REJECTED)
    expect(receipt).toMatchObject({ status: 'rejected', height: 9n, error: { reason: 'INSUFFICIENT_MARGIN' } })
    const e = await rejection(client.waitFor(REJECTED, { throwOnReject: true }))
    expect(e).toBeInstanceOf(InsufficientMarginError)
    expect(e).toMatchObject({ origin: 'block', hash: REJECTED, shortMessage: 'equity below initial margin' })
  })

  it('waitFor gives up on a transaction that stays pending with TimeoutError', async () => {
    const e = await rejection(client.waitFor(`0x${'cd'.repeat(32)}`, { timeoutMs: 200, pollMs: 20 }))
    expect(e).toBeInstanceOf(TimeoutError)
    expect((e as TimeoutError).details).toBe('still pending')
  })

  it('reports a refused connection as HttpRequestError without a status', async () => {
    const closed = await listen(() => {})
    closed.server.close()
    const e = await rejection(createClient({ url: closed.url, account }).request('x'))
    expect(e).toBeInstanceOf(HttpRequestError)
    expect((e as HttpRequestError).status).toBeUndefined()
  })
})
