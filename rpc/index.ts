/**
 * @module rpc: JSON-RPC 2.0 over HTTP (fastify). The node supplies an RpcBackend; this folder owns the wire:
 * envelope, params, error table, JSON shapes.
 */
export type { HealthReport, RpcBackend } from './backend.ts'
export { dispatch } from './dispatch.ts'
export type { RpcResponse } from './dispatch.ts'
export { APP_ERRORS, PROTOCOL_ERRORS, RpcError, appError, invalidParams, isAppErrorReason } from './errors.ts'
export type { AppErrorReason } from './errors.ts'
export { toJson } from './json.ts'
export type { Json } from './json.ts'
export { METHODS } from './methods.ts'
export { DEFAULT_BODY_LIMIT, DEFAULT_MAX_BATCH, buildRpcServer } from './server.ts'
export type { RpcServerOptions } from './server.ts'
