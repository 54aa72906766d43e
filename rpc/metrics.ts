/**
 * @module What the RPC reports to metrics, as a typed interface (the node implements it with prom-client in
 * node/metrics.ts; the RPC never imports a metrics library). Labels are bounded: a method label is a known
 * method name or `unknown`, an outcome one of RPC_OUTCOMES.
 */
import { APP_ERRORS, PROTOCOL_ERRORS } from './errors.ts'

export const RPC_OUTCOMES = [
  'ok',
  'parse_error',
  'invalid_request',
  'method_not_found',
  'invalid_params',
  'internal_error',
  'rate_limited',
  'app_error',
] as const
export type RpcOutcome = (typeof RPC_OUTCOMES)[number]

export interface RpcMetrics {
  /** one JSON-RPC call answered (a batch reports each element), `seconds` from its start to its answer */
  request(method: string, outcome: RpcOutcome, seconds: number): void
  /** requests refused by a rate limit (a batch counts each element) */
  limited(scope: 'ip' | 'account', requests: number): void
}

/** The outcome label of an answer: its error code's class, or ok. */
export function outcomeOf(code: number | undefined): RpcOutcome {
  switch (code) {
    case undefined:
      return 'ok'
    case PROTOCOL_ERRORS.parseError:
      return 'parse_error'
    case PROTOCOL_ERRORS.invalidRequest:
      return 'invalid_request'
    case PROTOCOL_ERRORS.methodNotFound:
      return 'method_not_found'
    case PROTOCOL_ERRORS.invalidParams:
      return 'invalid_params'
    case APP_ERRORS.RATE_LIMITED:
      return 'rate_limited'
    default:
      return code >= 1000 ? 'app_error' : 'internal_error'
  }
}
