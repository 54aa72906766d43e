/**
 * @module perp_subscribe / perp_unsubscribe in the method table: their params and notification schemas come from
 * the WebSocket server's own tables (rpc/subscriptionSchemas.ts), so the OpenRPC document shows what /ws checks.
 */
import type { ParamSpec } from './params.ts'
import type { JsonSchema } from './schema.ts'
import { ref } from './schemaComponents.ts'
import { SUBSCRIPTION_PARAM_SCHEMAS, SUBSCRIPTION_RESULT_SCHEMAS, SUBSCRIPTION_TOPICS } from './subscriptionSchemas.ts'

const topicName = (topic: string): string => `Subscribe${topic[0]?.toUpperCase()}${topic.slice(1)}`

export const SUBSCRIBE_PARAMS: readonly ParamSpec[] = [
  {
    name: 'topic',
    summary: SUBSCRIPTION_TOPICS.join(', '),
    schema: { description: `one of ${SUBSCRIPTION_TOPICS.join(', ')}`, type: 'string', enum: [...SUBSCRIPTION_TOPICS] },
    required: true,
  },
  {
    name: 'params',
    summary: "the topic's filter object (components/schemas: Subscribe<Topic>Params)",
    schema: { anyOf: SUBSCRIPTION_TOPICS.map((t) => ref(`${topicName(t)}Params`)) },
    required: false,
  },
]

export const SUBSCRIBE_RESULT: JsonSchema = {
  description:
    'the subscription id; each notification is {"jsonrpc":"2.0","method":"perp_subscription","params":' +
    '{"subscription":id,"result":…}} with the result schema Subscribe<Topic>Notification',
  type: 'string',
  pattern: '^0x[0-9a-f]{1,64}$',
}

export const UNSUBSCRIBE_PARAMS: readonly ParamSpec[] = [
  {
    name: 'subscription',
    summary: 'an id perp_subscribe returned on this connection',
    schema: { description: 'a 0x-hex string', type: 'string', pattern: '^0x[0-9a-fA-F]{1,64}$' },
    required: true,
  },
]

/** Subscribe<Topic>Params and Subscribe<Topic>Notification for every topic. */
export function subscriptionSchemas(): Record<string, JsonSchema> {
  const out: Record<string, JsonSchema> = {}
  for (const t of SUBSCRIPTION_TOPICS) {
    out[`${topicName(t)}Params`] = SUBSCRIPTION_PARAM_SCHEMAS[t] as JsonSchema
    out[`${topicName(t)}Notification`] = SUBSCRIPTION_RESULT_SCHEMAS[t] as JsonSchema
  }
  return out
}
