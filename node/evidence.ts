/**
 * @module Fraud evidence a node keeps for an L1 challenge, and the alarm it raises.
 *
 * Three kinds:
 * - `root-mismatch`: a block signed by the sequencer whose re-execution gives another state root. Kept: the
 *   encoded block (with its signature), its hash, the root in its header and the root this node computed.
 * - `equivocation`: two different blocks (different header hashes) at one height, both signed by the sequencer
 *   key. Kept: both encoded blocks with their signatures, which anyone can check against the genesis sequencer.
 *   Validators record it, and so does the sequencer when a block signed with its own key conflicts with one it
 *   produced (node/ownKeyGuard.ts).
 * - `foreign-block`: recorded by the sequencer only: a block signed with its own key at a height it has not
 *   produced. Only another holder of the key can have signed it. Kept: that block, and the sequencer's head then.
 *
 * Records are JSON, stored durably in the chain store (DB prefix `evidence`) in the order they were recorded,
 * at most one per (kind, height) among the active ones and at most MAX_EVIDENCE in all. The alarm is the latest
 * active record; it survives a restart, and a node with an active record neither follows nor produces. An
 * operator who has inspected the evidence acknowledges it (`perpd start --clear-alarm HEIGHT`): the records stay,
 * they no longer raise the alarm, and only records made after that are active.
 */
import type { HealthReport } from '../rpc/index.ts'
import type { ChainStore } from './chainStore.ts'

/** Stored records at most: a leaked sequencer key could sign conflicting blocks without end. */
export const MAX_EVIDENCE = 256

export interface RootMismatchEvidence {
  kind: 'root-mismatch'
  /** decimal */
  height: string
  /** 0x block (header) hash */
  blockHash: string
  /** 0x encoded block, with the sequencer's signature */
  block: string
  /** the state root in the signed header */
  expectedRoot: string
  /** the state root this node got by re-executing the block on its last agreed state */
  computedRoot: string
  /** wall clock ms when recorded */
  recordedAt: number
}

export interface SignedBlockEvidence {
  /** 0x block (header) hash */
  hash: string
  /** 0x encoded block, with the sequencer's signature */
  block: string
}

export interface EquivocationEvidence {
  kind: 'equivocation'
  /** decimal */
  height: string
  /** the block this node held or saw first, then the conflicting one */
  blocks: [SignedBlockEvidence, SignedBlockEvidence]
  /** wall clock ms when recorded */
  recordedAt: number
}

export interface ForeignBlockEvidence {
  kind: 'foreign-block'
  /** decimal: the height of the foreign block */
  height: string
  /** the block signed with this sequencer's key that it did not produce */
  block: SignedBlockEvidence
  /** decimal: this sequencer's head when the block arrived (below `height`) */
  head: string
  /** wall clock ms when recorded */
  recordedAt: number
}

export type Evidence = RootMismatchEvidence | EquivocationEvidence | ForeignBlockEvidence

/** Every kind of evidence, which is also the kind of the alarm it raises. */
export const ALARM_KINDS = ['root-mismatch', 'equivocation', 'foreign-block'] as const
export type AlarmKind = (typeof ALARM_KINDS)[number]

export interface Alarm {
  kind: Evidence['kind']
  /** decimal */
  height: string
  detail: string
  /** the latest evidence record, in full */
  evidence: Evidence
}

/** Every stored evidence record, oldest first (acknowledged ones included). */
export function storedEvidence(store: ChainStore): Evidence[] {
  return store.evidence.map((json) => JSON.parse(json) as Evidence)
}

/** The records not acknowledged by an operator, oldest first: any of them stops the node. */
export function activeEvidence(store: ChainStore): Evidence[] {
  return storedEvidence(store).slice(store.alarmCleared)
}

/** The blocks a record is about, by header hash: what makes two records the same evidence. */
function blockHashesOf(e: Evidence): string[] {
  if (e.kind === 'root-mismatch') return [e.blockHash]
  if (e.kind === 'foreign-block') return [e.block.hash]
  return e.blocks.map((b) => b.hash).sort()
}

/**
 * Whether an operator already acknowledged this very evidence (same kind, height and blocks) with --clear-alarm:
 * the same conflicting block delivered again (gossip caches, a peer catching up) must not raise the alarm again.
 */
export function isAcknowledged(store: ChainStore, evidence: Evidence): boolean {
  const hashes = blockHashesOf(evidence).join()
  return storedEvidence(store)
    .slice(0, store.alarmCleared)
    .some((r) => r.kind === evidence.kind && r.height === evidence.height && blockHashesOf(r).join() === hashes)
}

/**
 * Records one piece of evidence unless an active one of the same kind and height is already stored (or the
 * store holds MAX_EVIDENCE records). Resolves true when it was recorded (and written, synced).
 */
export async function recordEvidence(store: ChainStore, evidence: Evidence): Promise<boolean> {
  if (store.evidence.length >= MAX_EVIDENCE) return false
  if (activeEvidence(store).some((r) => r.kind === evidence.kind && r.height === evidence.height)) return false
  // no await between the check above and the append, so two callers never both record one height
  await store.addEvidence(JSON.stringify(evidence))
  return true
}

export function describeEvidence(e: Evidence): string {
  if (e.kind === 'root-mismatch')
    return `state root differs at height ${e.height}: sequencer ${e.expectedRoot}, re-executed ${e.computedRoot}`
  if (e.kind === 'foreign-block')
    return `a block signed with the sequencer key at height ${e.height} that this sequencer did not produce (its head was ${e.head}): ${e.block.hash}`
  return `two blocks signed by the sequencer at height ${e.height}: ${e.blocks[0].hash} and ${e.blocks[1].hash}`
}

/** The alarm: the latest active evidence record, or null when there is none. */
export function currentAlarm(store: ChainStore): Alarm | null {
  if (store.evidence.length <= store.alarmCleared) return null
  const last = store.evidence.at(-1)
  if (last === undefined) return null
  const evidence = JSON.parse(last) as Evidence
  return { kind: evidence.kind, height: evidence.height, detail: describeEvidence(evidence), evidence }
}

/**
 * Acknowledges the standing alarm after an operator inspected it: `height` must be the alarm's height (as shown
 * by `perpd status` or perp_chainInfo.alarm), so nobody clears an alarm they have not looked at. Every record
 * active now is acknowledged and stays stored. Returns the alarm cleared; throws when none stands or the height
 * differs.
 */
export async function clearAlarm(store: ChainStore, height: bigint): Promise<Alarm> {
  const alarm = currentAlarm(store)
  if (alarm === null) throw new Error('--clear-alarm: this node has no alarm to clear')
  if (alarm.height !== height.toString())
    throw new Error(`--clear-alarm ${height}: the alarm stands at height ${alarm.height} (${alarm.detail})`)
  await store.clearAlarm(store.evidence.length)
  return alarm
}

/** The /health answer while an alarm stands (503: the node no longer follows the chain). */
export function alarmHealth(alarm: Alarm, height: bigint): HealthReport {
  return { ok: false, status: alarm.kind, height: height.toString(), detail: alarm.detail }
}
