/**
 * @module The devnet's one line per block: height, transactions, fills, liquidation events (auctions started or
 * taken, takeovers, deleveraging; shown when any), root prefix, and how many validators
 * reached the same root. A line is printed once every validator has imported the height, or after
 * `waitMs` with whoever has (so a lagging validator shows as "1/2").
 */

interface Pending {
  height: bigint
  root: string
  txs: number
  rejected: number
  fills: number
  liquidations: number
  at: number
  agree: number
  disagree: number
}

export interface BlockLog {
  sequencerBlock(
    height: bigint,
    root: string,
    txs: number,
    rejected: number,
    fills: number,
    liquidations?: number,
  ): void
  validatorBlock(height: bigint, root: string): void
  flush(force?: boolean): void
}

export function createBlockLog(opts: {
  validators: number
  waitMs: number
  print: (line: string) => void
  quietEmpty: boolean
  now: () => number
}): BlockLog {
  const pending = new Map<bigint, Pending>()
  const early = new Map<bigint, string[]>()
  let lastPrinted = 0

  function line(p: Pending): string {
    const agreement =
      p.disagree > 0
        ? `ROOT MISMATCH (${p.disagree} of ${opts.validators})`
        : `validators ${p.agree}/${opts.validators} agree`
    const rejected = p.rejected > 0 ? ` (${p.rejected} rejected)` : ''
    const liq = p.liquidations > 0 ? `  liquidation events ${p.liquidations}` : ''
    return `#${p.height}  txs ${String(p.txs).padStart(3)}${rejected}  fills ${String(p.fills).padStart(3)}${liq}  root ${p.root.slice(0, 10)}  ${agreement}`
  }

  function flush(force = false): void {
    const now = opts.now()
    for (const h of [...pending.keys()].sort((a, b) => (a < b ? -1 : 1))) {
      const p = pending.get(h) as Pending
      const complete = p.agree + p.disagree >= opts.validators
      if (!complete && !force && now - p.at < opts.waitMs) break
      pending.delete(h)
      const idle = p.txs === 0 && p.disagree === 0 && p.agree === opts.validators
      if (opts.quietEmpty && idle && now - lastPrinted < 10_000) continue
      lastPrinted = now
      opts.print(line(p))
    }
  }

  return {
    sequencerBlock(height, root, txs, rejected, fills, liquidations = 0) {
      const p: Pending = { height, root, txs, rejected, fills, liquidations, at: opts.now(), agree: 0, disagree: 0 }
      for (const r of early.get(height) ?? []) r === root ? p.agree++ : p.disagree++
      early.delete(height)
      pending.set(height, p)
      flush()
    },
    validatorBlock(height, root) {
      const p = pending.get(height)
      if (p === undefined) {
        early.set(height, [...(early.get(height) ?? []), root])
        return
      }
      root === p.root ? p.agree++ : p.disagree++
      flush()
    },
    flush,
  }
}
