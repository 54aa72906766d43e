/**
 * @module rpc: JSON-RPC 2.0 over HTTP (fastify). The node supplies an RpcBackend; this folder owns the wire:
 * envelope, params, error table, JSON shapes.
 */
export type { BlockFeed, HealthReport, RpcBackend } from './backend.ts'
export type { RpcResponse } from './dispatch.ts'
export { dispatch, dispatchValue } from './dispatch.ts'
export type { AppErrorReason } from './errors.ts'
export { APP_ERRORS, appError, invalidParams, isAppErrorReason, PROTOCOL_ERRORS, RpcError } from './errors.ts'
export type { Json } from './json.ts'
export { toJson } from './json.ts'
export type { LimitCharge, LimitsConfig, RateLimit, RpcLimiter } from './limits.ts'
export { createLimiter, DEFAULT_LIMITS, ipKey, KeyedBuckets } from './limits.ts'
export type { CallContext, MethodSpec } from './methods.ts'
export { METHOD_SPECS, METHODS_BY_NAME } from './methods.ts'
export type { RpcMetrics, RpcOutcome } from './metrics.ts'
export { RPC_OUTCOMES } from './metrics.ts'
export { OPENRPC_VERSION, openRpcDocument } from './openrpc.ts'
export type { ParamSpec } from './params.ts'
export type { JsonSchema, SchemaTable, Violation } from './schema.ts'
export { validate } from './schema.ts'
export { SCHEMA_TABLE } from './schemaTable.ts'
export type { RpcServerOptions } from './server.ts'
export { buildRpcServer, DEFAULT_BODY_LIMIT, DEFAULT_MAX_BATCH } from './server.ts'
export type { SubscriptionTopic, TopicSchema } from './subscriptionSchemas.ts'
export {
  SUBSCRIPTION_PARAM_SCHEMAS,
  SUBSCRIPTION_RESULT_SCHEMAS,
  SUBSCRIPTION_TOPICS,
} from './subscriptionSchemas.ts'
export type { WsOptions, WsServerHandle } from './wsServer.ts'
export { DEFAULT_WS_OPTIONS } from './wsServer.ts'
