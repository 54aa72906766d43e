/**
 * @module ApproveAgent: an account names a key (an "agent", e.g. a trading bot's hot key) that may sign orders,
 * cancels and auction bids for it until `validUntil` (block time, ms); never withdrawals, transfers or approvals
 * (authorize.ts). `validUntil` 0 revokes. At most MAX_AGENTS per account, counting only agents still in force:
 * expired ones are dropped whenever the account approves again, so the leaf stays small.
 */
import type { Dirty } from '../dirty.ts'
import { REJECT, reject } from '../errors.ts'
import type { ApproveAgentMessage } from '../messages.ts'
import type { State, TxEvent } from '../types.ts'

export const MAX_AGENTS = 8
const ZERO = '0x0000000000000000000000000000000000000000'

/** Throws TxRejected when the approval would not apply at block time `time` (ms). */
export function checkApproveAgent(state: State, m: ApproveAgentMessage, time: bigint): void {
  if (m.agent === m.account) reject(REJECT.invalidMessage, 'an account needs no approval to act for itself')
  if (m.agent === ZERO) reject(REJECT.invalidMessage, 'the zero address cannot be an agent')
  if (m.validUntil === 0n) return
  if (m.validUntil <= time)
    reject(REJECT.invalidMessage, `validUntil ${m.validUntil} is not after the block time ${time}`)
  const agents = state.agents.get(m.account)
  let inForce = 0
  for (const [agent, until] of agents ?? []) if (until > time && agent !== m.agent) inForce++
  if (inForce >= MAX_AGENTS) reject(REJECT.tooManyAgents, `an account may approve at most ${MAX_AGENTS} agents`)
}

export function approveAgent(state: State, m: ApproveAgentMessage, time: bigint, dirty: Dirty): TxEvent[] {
  checkApproveAgent(state, m, time)
  const agents = state.agents.get(m.account) ?? new Map<typeof m.agent, bigint>()
  for (const [agent, until] of agents) if (until <= time) agents.delete(agent)
  if (m.validUntil === 0n) agents.delete(m.agent)
  else agents.set(m.agent, m.validUntil)
  if (agents.size === 0) state.agents.delete(m.account)
  else state.agents.set(m.account, agents)
  dirty.agents.add(m.account)
  return [{ type: 'agentApproved', agent: m.agent, validUntil: m.validUntil }]
}
