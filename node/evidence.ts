/**
 * @module Fraud evidence a validator keeps for an L1 challenge, and the alarm it raises.
 *
 * Two kinds:
 * - `root-mismatch`: a block signed by the sequencer whose re-execution gives another state root. Kept: the
 *   encoded block (with its signature), its hash, the root in its header and the root this node computed.
 * - `equivocation`: two different blocks (different header hashes) at one height, both signed by the sequencer
 *   key. Kept: both encoded blocks with their signatures, which anyone can check against the genesis sequencer.
 *
 * Records are JSON, stored durably in the chain store (DB prefix `evidence`) in the order they were recorded,
 * at most one per (kind, height) and at most MAX_EVIDENCE in all. The alarm is the latest record; it survives
 * a restart, and a node with a record does not follow the chain again (a fresh data directory does).
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

export type Evidence = RootMismatchEvidence | EquivocationEvidence

export interface Alarm {
  kind: Evidence['kind']
  /** decimal */
  height: string
  detail: string
  /** the latest evidence record, in full */
  evidence: Evidence
}

/** Every stored evidence record, oldest first. */
export function storedEvidence(store: ChainStore): Evidence[] {
  return store.evidence.map((json) => JSON.parse(json) as Evidence)
}

/**
 * Records one piece of evidence unless one of the same kind and height is already stored (or the store holds
 * MAX_EVIDENCE records). Resolves true when it was recorded (and written, synced).
 */
export async function recordEvidence(store: ChainStore, evidence: Evidence): Promise<boolean> {
  const records = storedEvidence(store)
  if (records.length >= MAX_EVIDENCE) return false
  if (records.some((r) => r.kind === evidence.kind && r.height === evidence.height)) return false
  // no await between the check above and the append, so two callers never both record one height
  await store.addEvidence(JSON.stringify(evidence))
  return true
}

export function describeEvidence(e: Evidence): string {
  if (e.kind === 'root-mismatch')
    return `state root differs at height ${e.height}: sequencer ${e.expectedRoot}, re-executed ${e.computedRoot}`
  return `two blocks signed by the sequencer at height ${e.height}: ${e.blocks[0].hash} and ${e.blocks[1].hash}`
}

/** The alarm: the latest evidence record, or null when there is none. */
export function currentAlarm(store: ChainStore): Alarm | null {
  const last = store.evidence.at(-1)
  if (last === undefined) return null
  const evidence = JSON.parse(last) as Evidence
  return { kind: evidence.kind, height: evidence.height, detail: describeEvidence(evidence), evidence }
}

/** The /health answer while an alarm stands (503: the node no longer follows the chain). */
export function alarmHealth(alarm: Alarm, height: bigint): HealthReport {
  return { ok: false, status: alarm.kind, height: height.toString(), detail: alarm.detail }
}
