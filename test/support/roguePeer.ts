/**
 * A peer holding the devnet sequencer's key, for the equivocation tests: it signs blocks the real sequencer never
 * made and serves them (or nothing) over block sync; it follows nothing itself. Plus the /health read those tests
 * make.
 */
import type { BlockHeader } from '../../engine/index.ts'
import { blockHash, encodeBlock } from '../../engine/index.ts'
import { DEVNET_GENESIS_PATH, devnetKey, loadGenesis, SEQUENCER_KEY_INDEX, signDigest } from '../../node/index.ts'
import type { P2P } from '../../p2p/index.ts'
import { createP2P } from '../../p2p/index.ts'

const genesis = loadGenesis(DEVNET_GENESIS_PATH)

/** An empty block with `header`, signed with the sequencer's key: encoded bytes. */
export function signBlock(header: BlockHeader): Uint8Array {
  return encodeBlock({
    header,
    txs: [],
    signature: signDigest(devnetKey(SEQUENCER_KEY_INDEX).privateKey, blockHash(header)),
  })
}

/** The rogue peer, connected to `bootstrap`; `serve` answers range sync requests (default: nothing). */
export async function rogueP2P(bootstrap: string[], serve: (from: bigint) => Uint8Array[] = () => []): Promise<P2P> {
  return createP2P({
    chainId: genesis.chainId,
    listen: ['/ip4/127.0.0.1/tcp/0'],
    bootstrap,
    maxBlockBytes: 1 << 20,
    maxTxBytes: 1 << 14,
    onBlock: () => 'ignore',
    onTransaction: () => 'ignore',
    serveBlocks: async (from) => serve(from),
  })
}

export async function health(url: string): Promise<{ status: number; body: { ok: boolean; status: string } }> {
  const res = await fetch(`${url}/health`)
  return { status: res.status, body: (await res.json()) as { ok: boolean; status: string } }
}
