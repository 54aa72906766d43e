/**
 * @module rpc: JSON-RPC 2.0 over HTTP (fastify). The node supplies an RpcBackend; this folder owns the wire:
 * envelope, params, error table, JSON shapes.
 */
export type { BlockFeed, HealthReport, RpcBackend } from './backend.ts'
export type { RpcResponse } from './dispatch.ts'
export { dispatch } from './dispatch.ts'
export type { AppErrorReason } from './errors.ts'
export { APP_ERRORS, appError, invalidParams, isAppErrorReason, PROTOCOL_ERRORS, RpcError } from './errors.ts'
export type { Json } from './json.ts'
export { toJson } from './json.ts'
export { METHODS } from './methods.ts'
export type { RpcServerOptions } from './server.ts'
export { buildRpcServer, DEFAULT_BODY_LIMIT, DEFAULT_MAX_BATCH } from './server.ts'
