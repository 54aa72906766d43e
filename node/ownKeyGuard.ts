/**
 * @module The sequencer's check on its own key. Only this node should sign blocks with the sequencer key; a
 * gossiped block that carries a valid signature of that key and is not a block this node stored means another
 * process holds the key (a leak, or an operator who started two sequencers). Then:
 * - at a height this node produced, with another header hash: `equivocation` evidence (the stored block first,
 *   the foreign one second), the format validators record;
 * - at a height it has not produced (above its head): `foreign-block` evidence (that block and the head then);
 * and in both cases the alarm is raised (/health 503, perp_chainInfo.alarm, a loud log) and the sequencer stops
 * producing: a block built on now would extend a chain the other key holder is forking. An operator resolves it
 * (stops the other signer, rotates the key) and restarts with `--clear-alarm HEIGHT`; restarting without the flag
 * keeps the sequencer stopped, since the evidence stays active in the store.
 *
 * Evidence an operator already acknowledged (the same blocks delivered again after --clear-alarm) is ignored.
 *
 * Gossip verdicts: the foreign block is accepted once, so validators see the evidence too; the node's own blocks
 * coming back are ignored; anything undecodable, for another chain or not signed by the sequencer key is
 * rejected (the sender's fault, as on validators). Heights below the store's base (a store imported from a
 * snapshot) hold no block to compare with and are ignored.
 */
import type { Block } from '../engine/index.ts'
import { blockHash, decodeBlock } from '../engine/index.ts'
import type { GossipVerdict } from '../p2p/index.ts'
import { bytesEqual, toHex } from '../state/index.ts'
import type { Chain } from './chain.ts'
import type { Evidence } from './evidence.ts'
import { activeEvidence, currentAlarm, describeEvidence, isAcknowledged, recordEvidence } from './evidence.ts'
import { recoverSigner } from './signatures.ts'

export interface OwnKeyGuardInit {
  chain: Chain
  maxTxsPerBlock: number
  now: () => number
  log: (msg: string) => void
}

export interface OwnKeyGuard {
  /** gossip entry on the sequencer: compares blocks signed by its key with what it produced */
  onGossipBlock(bytes: Uint8Array, from: string): Promise<GossipVerdict>
  /** true while an alarm stands (now, or stored before a restart and not cleared): produce nothing */
  readonly halted: boolean
}

export function createOwnKeyGuard(init: OwnKeyGuardInit): OwnKeyGuard {
  const { chain } = init
  let halted = activeEvidence(chain.store).length > 0
  if (halted) {
    const alarm = currentAlarm(chain.store)
    init.log(
      `ALARM STANDS: ${alarm?.detail ?? 'fraud evidence in the store'}. Not producing blocks. Inspect ` +
        `perp_chainInfo.alarm, stop the other signer, then restart with --clear-alarm ${alarm?.height ?? 'HEIGHT'}.`,
    )
  }

  function signedByUs(bytes: Uint8Array): Block | undefined {
    try {
      const block = decodeBlock(bytes, init.maxTxsPerBlock)
      if (block.header.chainId !== chain.genesis.chainId) return undefined
      const signer = recoverSigner(blockHash(block.header), block.signature)
      return signer === chain.genesis.sequencer ? block : undefined
    } catch {
      return undefined
    }
  }

  /** The evidence this block is, or undefined when it is the block this node stored (or none can be compared). */
  async function evidenceOf(block: Block, bytes: Uint8Array): Promise<Evidence | undefined> {
    const height = block.header.height
    const hash = blockHash(block.header)
    const head = chain.head
    if (height > head.height)
      return {
        kind: 'foreign-block',
        height: height.toString(),
        block: { hash: toHex(hash), block: toHex(bytes) },
        head: head.height.toString(),
        recordedAt: init.now(),
      }
    const held = await chain.store.block(height)
    if (held === undefined) return undefined // below the base of an imported store
    const heldHash = blockHash(decodeBlock(held).header)
    if (bytesEqual(heldHash, hash)) return undefined
    return {
      kind: 'equivocation',
      height: height.toString(),
      blocks: [
        { hash: toHex(heldHash), block: toHex(held) },
        { hash: toHex(hash), block: toHex(bytes) },
      ],
      recordedAt: init.now(),
    }
  }

  return {
    get halted() {
      return halted
    },
    async onGossipBlock(bytes, from) {
      const block = signedByUs(bytes)
      if (block === undefined) return 'reject'
      const evidence = await evidenceOf(block, bytes)
      if (evidence === undefined || isAcknowledged(chain.store, evidence)) return 'ignore'
      halted = true
      let fresh = false
      try {
        fresh = await recordEvidence(chain.store, evidence)
      } catch (e) {
        init.log(`evidence not stored: ${e instanceof Error ? e.message : String(e)}`)
      }
      if (!fresh) return 'ignore'
      const what = evidence.kind === 'equivocation' ? 'EQUIVOCATION' : 'FOREIGN BLOCK'
      init.log(`${what} WITH THIS SEQUENCER'S KEY (delivered by ${from}): ${describeEvidence(evidence)}.`)
      init.log(
        'Another process signs blocks with the sequencer key. Stopped producing blocks. Stop the other signer ' +
          `(rotate the key if it leaked), inspect perp_chainInfo.alarm, then restart with --clear-alarm ${evidence.height}.`,
      )
      return 'accept'
    },
  }
}
