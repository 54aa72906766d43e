/**
 * @module The OpenRPC 1.2 document `rpc.discover` returns, generated from the method table (rpc/methods.ts) and
 * the schema table: methods with their positional params, results and errors; servers; components with every
 * named schema and the whole error table. Built once per process: it depends on nothing that changes.
 */
import type { Json } from './json.ts'
import type { MethodSpec } from './methods.ts'
import { METHOD_SPECS } from './methods.ts'
import type { JsonSchema } from './schema.ts'
import { errorTable } from './schemaErrors.ts'
import { SCHEMA_TABLE } from './schemaTable.ts'

export const OPENRPC_VERSION = '1.2.6'

const HTTP_SERVER = {
  name: 'http',
  url: 'http://{host}:{port}/',
  summary: 'JSON-RPC 2.0 over HTTP POST: one request or a batch',
  variables: { host: { default: '127.0.0.1' }, port: { default: '8545' } },
}
const WS_SERVER = {
  name: 'ws',
  url: 'ws://{host}:{port}/ws',
  summary: 'JSON-RPC 2.0 over WebSocket, with subscriptions',
  variables: { host: { default: '127.0.0.1' }, port: { default: '8545' } },
}

const errorRef = (name: string): Json => ({ $ref: `#/components/errors/${name}` })

function methodObject(m: MethodSpec): Json {
  // every method can meet the per-IP limit; methods with params can meet -32602
  const errors = [...(m.params.length > 0 ? ['invalidParams'] : []), ...new Set([...m.errors, 'RATE_LIMITED'])]
  const out: Record<string, Json> = {
    name: m.name,
    summary: m.summary,
    paramStructure: 'by-position',
    params: m.params.map((p) => {
      const d: Record<string, Json> = {
        name: p.name,
        summary: p.summary,
        required: p.required,
        schema: schemaJson(p.schema),
      }
      if (p.default !== undefined) d.description = `default ${JSON.stringify(p.default)}`
      return d
    }),
    result: { name: m.result.name, schema: schemaJson(m.result.schema) },
    errors: errors.map(errorRef),
  }
  if (m.description !== undefined) out.description = m.description
  if (!m.transports.includes('http')) out.servers = [WS_SERVER]
  return out
}

/** A schema as JSON (the tables are plain data already; this only drops the readonly types). */
function schemaJson(s: JsonSchema): Json {
  return JSON.parse(JSON.stringify(s)) as Json
}

function buildDocument(version: string): Json {
  return {
    openrpc: OPENRPC_VERSION,
    info: {
      title: 'perpd JSON-RPC',
      version,
      description:
        'An appchain node for perpetual futures. Params are positional; quantities are decimal strings of ' +
        'integers, hashes and addresses 0x-hex. Transactions are EIP-712 typed data (perp_chainInfo().eip712).',
      license: { name: 'MIT' },
    },
    servers: [HTTP_SERVER, WS_SERVER],
    methods: METHOD_SPECS.map(methodObject),
    components: {
      schemas: Object.fromEntries(Object.entries(SCHEMA_TABLE).map(([k, v]) => [k, schemaJson(v)])),
      errors: errorTable() as unknown as Json,
    },
  }
}

const documents = new Map<string, Json>()

/** The document for a node of `version` (the one `rpc.discover` answers). */
export function openRpcDocument(version: string): Json {
  let doc = documents.get(version)
  if (doc === undefined) {
    doc = buildDocument(version)
    documents.set(version, doc)
  }
  return doc
}
