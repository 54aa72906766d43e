import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { tcp } from '@libp2p/tcp'
import { multiaddr } from '@multiformats/multiaddr'
import { createLibp2p } from 'libp2p'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { encodeSyncRequest, RateLimiter } from '../../p2p/blockSync.ts'
import type { GossipVerdict, P2P, P2PInit } from '../../p2p/index.ts'
import { createP2P, peerIdFromKey, syncProtocol } from '../../p2p/index.ts'
import { StreamReader } from '../../p2p/streamReader.ts'

// Real libp2p hosts on loopback only, OS-assigned ports.
const CHAIN_ID = 31337
const LISTEN = ['/ip4/127.0.0.1/tcp/0']

const running: P2P[] = []
afterEach(async () => {
  await Promise.all(running.splice(0).map((n) => n.stop()))
})
afterAll(async () => {
  await Promise.all(running.splice(0).map((n) => n.stop()))
})

interface Recorder {
  blocks: Uint8Array[]
  txs: Uint8Array[]
}

async function start(over: Partial<P2PInit> = {}): Promise<P2P & Recorder> {
  const rec: Recorder = { blocks: [], txs: [] }
  const init: P2PInit = {
    chainId: CHAIN_ID,
    listen: LISTEN,
    bootstrap: [],
    maxBlockBytes: 64 * 1024,
    maxTxBytes: 4 * 1024,
    onBlock: (b) => {
      rec.blocks.push(b)
      return 'accept'
    },
    onTransaction: (t) => {
      rec.txs.push(t)
      return 'accept'
    },
    serveBlocks: async () => [],
    ...over,
  }
  const p = await createP2P(init)
  running.push(p)
  return Object.assign(p, rec)
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

/** Polls `cond` every 25 ms; fails after `ms`. */
async function waitFor(cond: () => boolean, ms = 5_000, what = 'condition'): Promise<void> {
  const end = Date.now() + ms
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await sleep(25)
  }
}

/** Publishes fresh probes every 50 ms until `arrived` sees one: absorbs subscription/mesh set-up time. */
async function warmUp(publish: (b: Uint8Array) => Promise<void>, seen: () => Uint8Array[], ms = 5_000): Promise<void> {
  const end = Date.now() + ms
  for (let i = 0; ; i++) {
    const probe = new TextEncoder().encode(`probe-${i}-${Math.random()}`)
    await publish(probe)
    const until = Date.now() + 50
    while (Date.now() < until) {
      if (seen().some((b) => b.length === probe.length && Buffer.from(b).equals(probe))) return
      await sleep(10)
    }
    if (Date.now() > end) throw new Error('gossip never arrived')
  }
}

const has = (list: Uint8Array[], bytes: Uint8Array): boolean => list.some((b) => Buffer.from(b).equals(bytes))

describe('p2p gossip', () => {
  it('delivers blocks A→B and transactions B→A with identical bytes', async () => {
    const a = await start()
    const b = await start({ bootstrap: a.multiaddrs() })
    expect(a.multiaddrs().every((m) => m.startsWith('/ip4/127.0.0.1/tcp/') && m.endsWith(`/p2p/${a.peerId}`))).toBe(
      true,
    )
    await waitFor(() => a.peers().includes(b.peerId) && b.peers().includes(a.peerId), 5_000, 'connection')

    // Publishing before B's subscription is known is a no-op, not an error; retry the same bytes until received.
    const block = new Uint8Array(3000).map((_, i) => (i * 7) & 0xff)
    await waitFor(
      () => {
        void a.publishBlock(block)
        return b.blocks.length > 0
      },
      5_000,
      'block at B',
    )
    expect(b.blocks[0]).toBeInstanceOf(Uint8Array)
    expect(Array.from(b.blocks[0] ?? [])).toEqual(Array.from(block))

    const tx = new TextEncoder().encode('tx: buy 1 BTC-PERP @ 65000')
    await waitFor(
      () => {
        void b.publishTransaction(tx)
        return a.txs.length > 0
      },
      5_000,
      'tx at A',
    )
    expect(Array.from(a.txs[0] ?? [])).toEqual(Array.from(tx))
    // Re-publishing the same bytes is a silent no-op and is never delivered twice.
    await a.publishBlock(block)
    await sleep(100)
    expect(b.blocks.filter((x) => Buffer.from(x).equals(block))).toHaveLength(1)
  })

  it('does not throw when nobody is subscribed, and refuses oversize local publishes', async () => {
    const a = await start({ maxBlockBytes: 100 })
    await expect(a.publishBlock(new Uint8Array(10))).resolves.toBeUndefined()
    await expect(a.publishTransaction(new Uint8Array(10))).resolves.toBeUndefined()
    await expect(a.publishBlock(new Uint8Array(101))).rejects.toThrow(RangeError)
  })

  it('rejects a gossiped block larger than maxBlockBytes before onBlock', async () => {
    const a = await start({ maxBlockBytes: 100_000 })
    const logs: string[] = []
    const b = await start({ maxBlockBytes: 1_000, bootstrap: a.multiaddrs(), log: (m) => logs.push(m) })
    await warmUp(
      (x) => a.publishBlock(x),
      () => b.blocks,
    )

    const big = new Uint8Array(5_000).fill(0xab)
    const marker = new TextEncoder().encode('after-the-big-one')
    await a.publishBlock(big)
    await a.publishBlock(marker)
    // Per-peer validation is sequential, so once the marker is in, the big block was already handled.
    await waitFor(() => has(b.blocks, marker), 5_000, 'marker')
    expect(b.blocks.some((x) => x.length > 1_000)).toBe(false)
    expect(logs.some((m) => m.includes('5000 bytes'))).toBe(true)
  })

  it('penalizes a peer whose messages the application rejects, then bans it: disconnected and refused', async () => {
    // B rejects every block whose first byte is 0xbb (standing for "not signed by the sequencer")
    const logs: string[] = []
    const accepted: Uint8Array[] = []
    const a = await start()
    const b = await start({
      bootstrap: a.multiaddrs(),
      onBlock: (x) => {
        if (x[0] === 0xbb) return 'reject'
        accepted.push(x)
        return 'accept'
      },
      log: (m) => logs.push(m),
    })
    await waitFor(() => b.peers().includes(a.peerId), 5_000, 'connection')
    // valid blocks get through and leave A's score untouched
    await warmUp(
      (x) => a.publishBlock(x),
      () => accepted,
    )
    expect(b.peerScore(a.peerId)).toBeGreaterThanOrEqual(0)
    // invalid blocks: 10 application points each reach the ban at 30 (the third)
    for (let i = 0; i < 10 && !b.banned(a.peerId); i++) {
      await a.publishBlock(Uint8Array.of(0xbb, i))
      await waitFor(
        () => logs.some((m) => m.includes('banning')) || b.peerScore(a.peerId) < -10 * (i + 1),
        5_000,
        `penalty ${i}`,
      )
    }
    await waitFor(() => b.banned(a.peerId), 5_000, 'ban')
    expect(logs.some((m) => m.includes(`banning ${a.peerId}`))).toBe(true)
    // both terms count against it: the application's −30 and gossipsub's own P₄ for the rejected messages
    expect(b.peerScore(a.peerId)).toBeLessThan(-30)
    await waitFor(() => !b.peers().includes(a.peerId), 5_000, 'disconnect')
    // and B's own redials (A is its bootstrap peer) are refused by its gate while the ban lasts
    await sleep(1_500)
    expect(b.peers()).not.toContain(a.peerId)
  })

  it('does not forward a block the middle node rejects (A–B–C), forwards accepted ones, dedupes by content', async () => {
    const seenAtB: Uint8Array[] = []
    const a = await start()
    const b = await start({
      bootstrap: a.multiaddrs(),
      onBlock: (x): GossipVerdict => {
        seenAtB.push(x)
        return x[0] === 0xff ? 'reject' : 'accept'
      },
    })
    const c = await start({ bootstrap: b.multiaddrs() })
    await waitFor(() => b.peers().length === 2, 5_000, 'B connected to A and C')
    expect(c.peers()).toEqual([b.peerId])
    // C only receives via B forwarding, which needs C in B's mesh (≤ one 700 ms heartbeat).
    await warmUp(
      (x) => a.publishBlock(x),
      () => c.blocks,
    )

    const bad = new Uint8Array([0xff, 1, 2, 3])
    const good = new Uint8Array([0x01, 1, 2, 3])
    await a.publishBlock(bad)
    await a.publishBlock(good)
    await waitFor(() => has(c.blocks, good), 5_000, 'good block at C')
    expect(has(seenAtB, bad)).toBe(true)
    expect(has(c.blocks, bad)).toBe(false)

    // The same bytes authored by two different peers are one message (id = hash of data).
    const same = new TextEncoder().encode('block 42 from two authors')
    await Promise.all([a.publishBlock(same), c.publishBlock(same)])
    await waitFor(() => has(seenAtB, same), 5_000, 'dup block at B')
    await sleep(300)
    expect(seenAtB.filter((x) => Buffer.from(x).equals(same))).toHaveLength(1)
  })
})

describe('p2p block sync', () => {
  const HEAD = 1_000n
  const blockAt = (h: bigint): Uint8Array => new TextEncoder().encode(`block#${h}`)
  function server(calls: Array<[bigint, number]>, big?: { height: bigint; size: number }) {
    return async (from: bigint, count: number): Promise<Uint8Array[]> => {
      calls.push([from, count])
      const out: Uint8Array[] = []
      for (let h = from; h < from + BigInt(count) && h <= HEAD; h++) {
        out.push(big !== undefined && h === big.height ? new Uint8Array(big.size) : blockAt(h))
      }
      return out
    }
  }

  it('returns exactly what serveBlocks returned, in order; caps count at 256; stops at the head', async () => {
    const calls: Array<[bigint, number]> = []
    const a = await start({ serveBlocks: server(calls) })
    const b = await start({ bootstrap: a.multiaddrs() })
    await waitFor(() => b.peers().includes(a.peerId), 5_000, 'connection')

    const got = await b.requestBlocks(a.peerId, 5n, 10)
    expect(calls).toEqual([[5n, 10]])
    expect(got.map((x) => new TextDecoder().decode(x))).toEqual(Array.from({ length: 10 }, (_, i) => `block#${5 + i}`))

    const many = await b.requestBlocks(a.peerId, 0n, 1_000)
    expect(calls[1]).toEqual([0n, 256])
    expect(many).toHaveLength(256)
    expect(new TextDecoder().decode(many[255])).toBe('block#255')

    const tail = await b.requestBlocks(a.peerId, 995n, 50)
    expect(tail.map((x) => new TextDecoder().decode(x))).toEqual([
      'block#995',
      'block#996',
      'block#997',
      'block#998',
      'block#999',
      'block#1000',
    ])
    expect(await b.requestBlocks(a.peerId, 5_000n, 10)).toEqual([])
    expect(await b.requestBlocks(a.peerId, 5n, 0)).toEqual([])
  })

  it('rejects when an item exceeds the client maxBlockBytes, or the server refuses to send it', async () => {
    const a = await start({ maxBlockBytes: 100_000, serveBlocks: server([], { height: 7n, size: 20_000 }) })
    const b = await start({ maxBlockBytes: 10_000, bootstrap: a.multiaddrs() })
    await waitFor(() => b.peers().includes(a.peerId), 5_000, 'connection')
    await expect(b.requestBlocks(a.peerId, 5n, 5)).rejects.toThrow(/exceeds maxBlockBytes/)
    // The connection survives: a request that avoids the big block still works.
    expect(await b.requestBlocks(a.peerId, 0n, 5)).toHaveLength(5)
    // Server side: b's own limit (10 000) forbids serving b's 20 000-byte block, so a's request is reset.
    const b2 = await start({
      maxBlockBytes: 10_000,
      serveBlocks: server([], { height: 1n, size: 20_000 }),
      bootstrap: a.multiaddrs(),
    })
    await waitFor(() => a.peers().includes(b2.peerId), 5_000, 'connection')
    await expect(a.requestBlocks(b2.peerId, 0n, 3)).rejects.toThrow()
  })

  it('server caps count at 256 even for a raw client that asks for more', async () => {
    const a = await start({ serveBlocks: server([]) })
    const raw = await createLibp2p({ transports: [tcp()], connectionEncrypters: [noise()], streamMuxers: [yamux()] })
    try {
      const stream = await raw.dialProtocol(multiaddr(a.multiaddrs()[0]), syncProtocol(CHAIN_ID))
      const reader = new StreamReader(stream)
      stream.send(encodeSyncRequest(0n, 100_000))
      await stream.close()
      let items = 0
      for (;;) {
        const head = await reader.read(4, true)
        if (head === null) break
        await reader.read(new DataView(head.buffer).getUint32(0))
        items++
      }
      expect(items).toBe(256)
    } finally {
      await raw.stop()
    }
  })

  it('rate-limits requests per peer (fixed 1 s window)', async () => {
    const rl = new RateLimiter(20, 1_000)
    const t = 1_000_000
    for (let i = 0; i < 20; i++) expect(rl.allow('p', t + i)).toBe(true)
    expect(rl.allow('p', t + 500)).toBe(false)
    expect(rl.allow('q', t + 500)).toBe(true)
    expect(rl.allow('p', t + 1_000)).toBe(true)

    const logs: string[] = []
    const a = await start({ serveBlocks: server([]), log: (m) => logs.push(m) })
    const b = await start({ bootstrap: a.multiaddrs() })
    await waitFor(() => b.peers().includes(a.peerId), 5_000, 'connection')
    // Batches of 5 stay under the per-connection stream limit (8), so only the rate limiter can refuse.
    const results: PromiseSettledResult<Uint8Array[]>[] = []
    for (let i = 0; i < 30; i += 5) {
      results.push(
        ...(await Promise.allSettled(Array.from({ length: 5 }, (_, j) => b.requestBlocks(a.peerId, BigInt(i + j), 1)))),
      )
    }
    const ok = results.filter((r) => r.status === 'fulfilled').length
    expect(ok).toBeGreaterThanOrEqual(20)
    expect(ok).toBeLessThan(30)
    expect(logs.some((m) => m.includes('rate limit'))).toBe(true)
  })
})

describe('p2p lifecycle', () => {
  it('keys: a 32-byte seed gives a stable peer id; secp256k1 is supported', async () => {
    const seed = new Uint8Array(32).fill(9)
    const a = await start({ privateKey: seed })
    expect(a.peerId).toBe(await peerIdFromKey(seed))
    const k = await start({ privateKey: new Uint8Array(32).fill(1), keyType: 'secp256k1' })
    expect(k.peerId).toBe(await peerIdFromKey(new Uint8Array(32).fill(1), 'secp256k1'))
    expect(k.peerId.startsWith('16Uiu2')).toBe(true)
    await expect(
      createP2P({
        ...{ chainId: 1, listen: LISTEN, bootstrap: [], maxBlockBytes: 1, maxTxBytes: 1 },
        privateKey: new Uint8Array(31),
        onBlock: () => 'accept',
        onTransaction: () => 'accept',
        serveBlocks: async () => [],
      }),
    ).rejects.toThrow(RangeError)
  })

  it('start fails cleanly on a bad bootstrap address or a listen port in use', async () => {
    await expect(start({ bootstrap: ['not-a-multiaddr'] })).rejects.toThrow()
    const a = await start()
    const port = multiaddr(a.multiaddrs()[0] ?? '')
      .getComponents()
      .find((c) => c.name === 'tcp')?.value
    await expect(start({ listen: [`/ip4/127.0.0.1/tcp/${port}`] })).rejects.toThrow()
  })

  it('redials a bootstrap peer that comes up late or restarts', async () => {
    const seed = new Uint8Array(32).fill(3)
    const first = await start({ privateKey: seed })
    const addr = first.multiaddrs()[0] ?? ''
    await first.stop()
    // The validator starts while the sequencer is down: start succeeds, dials keep retrying.
    const v = await start({ bootstrap: [addr] })
    await sleep(300)
    expect(v.peers()).toEqual([])
    const port = multiaddr(addr)
      .getComponents()
      .find((c) => c.name === 'tcp')?.value
    const seq = await start({ privateKey: seed, listen: [`/ip4/127.0.0.1/tcp/${port}`] })
    await waitFor(() => v.peers().includes(seq.peerId), 6_000, 'redial')
    // Gossip works over the redialed connection.
    await warmUp(
      (x) => seq.publishBlock(x),
      () => v.blocks,
    )
  })

  it('stop() is idempotent and a stopped node cannot be reached', async () => {
    const a = await start()
    const b = await start({ bootstrap: a.multiaddrs() })
    await waitFor(() => b.peers().includes(a.peerId), 5_000, 'connection')
    await Promise.all([a.stop(), a.stop()])
    await a.stop()
    await waitFor(() => b.peers().length === 0, 5_000, 'disconnect')
    await expect(b.requestBlocks(a.peerId, 0n, 1)).rejects.toThrow()
  })

  it('after stop() nothing keeps the process alive (child process exits right away)', async () => {
    const index = fileURLToPath(new URL('../../p2p/index.ts', import.meta.url))
    const script = `
      import { createP2P } from ${JSON.stringify(index)}
      const base = { chainId: 1, listen: ['/ip4/127.0.0.1/tcp/0'], maxBlockBytes: 1000, maxTxBytes: 1000,
        onBlock: () => 'accept', onTransaction: () => 'accept', serveBlocks: async () => [new Uint8Array([1])] }
      const a = await createP2P({ ...base, bootstrap: [] })
      const b = await createP2P({ ...base, bootstrap: [...a.multiaddrs(), '/ip4/127.0.0.1/tcp/1/p2p/' + a.peerId] })
      while (!b.peers().includes(a.peerId)) await new Promise((r) => setTimeout(r, 20))
      await b.requestBlocks(a.peerId, 0n, 1)
      await a.publishBlock(new Uint8Array([7]))
      await Promise.all([a.stop(), b.stop()])
      const stoppedAt = Date.now()
      process.on('exit', () => console.log(Date.now() - stoppedAt))
    `
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
      stdio: ['ignore', 'pipe', 'inherit'],
    })
    let out = ''
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString()
    })
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve))
    expect(code).toBe(0)
    // ms between the end of stop() and process exit: no library timer (≥ 700 ms) may be left behind.
    expect(Number(out.trim())).toBeLessThan(300)
  })
})
