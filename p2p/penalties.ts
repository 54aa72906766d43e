/**
 * @module Application penalties per peer, beside gossipsub's own score. The application knows what gossipsub
 * cannot: a message it rejected (undecodable, another chain, not signed by the sequencer) is the sender's fault,
 * since honest nodes validate before they forward. Points decay (halving every HALF_LIFE_MS); a peer that reaches
 * BAN_POINTS is banned for BAN_MS: its connections are closed and new ones refused both ways. The points also
 * enter gossipsub's score as its application-specific term (score = −points), so a penalized peer leaves the mesh
 * and, below the graylist threshold, has its messages ignored unread.
 */

/** Points for one message the application rejected. */
export const INVALID_MESSAGE_POINTS = 10
/**
 * Points at which a peer is banned: three invalid messages in quick succession. Not more: gossipsub's own P₄ term
 * puts the peer below the graylist threshold at about the third one, after which its messages are dropped unread
 * and could add no further points.
 */
export const BAN_POINTS = 30
/** ms */
export const HALF_LIFE_MS = 60_000
/** ms */
export const BAN_MS = 10 * 60_000

export class PeerPenalties {
  readonly #points = new Map<string, { points: number; at: number }>()
  readonly #bannedUntil = new Map<string, number>()
  readonly #now: () => number

  constructor(now: () => number = Date.now) {
    this.#now = now
  }

  /** The peer's points now, after decay. */
  points(peer: string): number {
    const entry = this.#points.get(peer)
    if (entry === undefined) return 0
    const decayed = entry.points * 0.5 ** ((this.#now() - entry.at) / HALF_LIFE_MS)
    if (decayed < 0.01) {
      this.#points.delete(peer)
      return 0
    }
    return decayed
  }

  /** Adds points; returns true when this addition bans the peer. */
  add(peer: string, points: number): boolean {
    const total = this.points(peer) + points
    this.#points.set(peer, { points: total, at: this.#now() })
    if (total < BAN_POINTS || this.banned(peer)) return false
    this.#bannedUntil.set(peer, this.#now() + BAN_MS)
    return true
  }

  banned(peer: string): boolean {
    const until = this.#bannedUntil.get(peer)
    if (until === undefined) return false
    if (this.#now() < until) return true
    this.#bannedUntil.delete(peer)
    return false
  }

  /** gossipsub's application-specific score term (weight 1). */
  score(peer: string): number {
    return -this.points(peer)
  }
}
