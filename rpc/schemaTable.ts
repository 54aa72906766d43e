/**
 * @module Every named schema of the RPC in one table: what `$ref: #/components/schemas/<Name>` resolves to, for
 * the validator and as `components.schemas` of the OpenRPC document.
 */
import type { SchemaTable } from './schema.ts'
import { PARAM_SCHEMAS } from './schemaComponents.ts'
import { RESULT_SCHEMAS } from './schemaResults.ts'
import { subscriptionSchemas } from './schemaSubscriptions.ts'

export const SCHEMA_TABLE: SchemaTable = { ...PARAM_SCHEMAS, ...RESULT_SCHEMAS, ...subscriptionSchemas() }
