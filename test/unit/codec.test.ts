/**
 * Canonical encoding (state/codec.ts), the block binary form (engine/block.ts) and the Merkle commitment
 * (state/merkle.ts), checked against byte layouts and hashes written out independently here.
 */
import { describe, expect, it } from 'vitest'
import type { Block, SignedTx } from '../../engine/index.ts'
import {
  allLeaves,
  blockHash,
  decodeBlock,
  encodeBlock,
  encodedTxLength,
  encodeHeader,
  encodeSignedTx,
  encodeSignedTxs,
  genesisState,
  HEADER_BYTES,
  parseGenesis,
  stateFromLeaves,
  txRoot,
  txRootOfEncoded,
} from '../../engine/index.ts'
import {
  ByteArena,
  CodecError,
  concatBytes,
  EMPTY_ROOT,
  fromHex,
  keccak256,
  leafHash,
  MerkleState,
  merkleRoot,
  merkleRootOfItems,
  Reader,
  toHex,
  Writer,
} from '../../state/index.ts'
import { ACCOUNTS, genesisJson, SIGNERS } from './helpers/engineFixtures.ts'

const U32_MAX = 0xffff_ffff
const U64_MAX = (1n << 64n) - 1n
const U256_MAX = (1n << 256n) - 1n

const bytes = (...b: number[]): Uint8Array => Uint8Array.from(b)
const zeros = (n: number): number[] => Array.from({ length: n }, () => 0)

describe('Writer / Reader round trips at the boundaries', () => {
  it('u8, u32, u64, u256', () => {
    const w = new Writer(1) // start tiny so the buffer has to grow
    w.u8(0).u8(255).u32(0).u32(U32_MAX).u64(0n).u64(U64_MAX).u256(0n).u256(U256_MAX)
    const out = w.finish()
    expect(out.length).toBe(1 + 1 + 4 + 4 + 8 + 8 + 32 + 32)
    const r = new Reader(out)
    expect([r.u8(), r.u8(), r.u32(), r.u32()]).toEqual([0, 255, 0, U32_MAX])
    expect([r.u64(), r.u64(), r.u256(), r.u256()]).toEqual([0n, U64_MAX, 0n, U256_MAX])
    r.end()
  })

  it('i256: 0, ±1, ±max magnitude', () => {
    const values = [0n, 1n, -1n, U256_MAX, -U256_MAX, (1n << 255n) - 1n, -((1n << 255n) - 1n)]
    const w = new Writer()
    for (const v of values) w.i256(v)
    const out = w.finish()
    expect(out.length).toBe(values.length * 33)
    const r = new Reader(out)
    expect(values.map(() => r.i256())).toEqual(values)
    r.end()
  })

  it('bool, bytes, string', () => {
    const blob = Uint8Array.from({ length: 300 }, (_, i) => i & 0xff)
    const w = new Writer()
      .bool(false)
      .bool(true)
      .bytes(new Uint8Array(0))
      .bytes(blob)
      .string('')
      .string('BTC-USD €₿ 日本')
    const r = new Reader(w.finish())
    expect(r.bool()).toBe(false)
    expect(r.bool()).toBe(true)
    expect(r.bytes()).toEqual(new Uint8Array(0))
    expect(r.bytes()).toEqual(blob)
    expect(r.string()).toBe('')
    expect(r.string()).toBe('BTC-USD €₿ 日本')
    expect(r.remaining).toBe(0)
    r.end()
  })

  it('lays bytes out big-endian with the documented prefixes', () => {
    expect(new Writer().u32(0x0102_0304).finish()).toEqual(bytes(1, 2, 3, 4))
    expect(new Writer().u64(0x0102_0304_0506_0708n).finish()).toEqual(bytes(1, 2, 3, 4, 5, 6, 7, 8))
    expect(new Writer().u256(0x0102n).finish()).toEqual(bytes(...zeros(30), 1, 2))
    // each 64-bit word of a u256 in its place, at the edges of the low word
    const ff = (n: number): number[] => Array.from({ length: n }, () => 0xff)
    expect(new Writer().u256(U64_MAX).finish()).toEqual(bytes(...zeros(24), ...ff(8)))
    expect(new Writer().u256(U64_MAX + 1n).finish()).toEqual(bytes(...zeros(23), 1, ...zeros(8)))
    expect(new Writer().u256(1n << 128n).finish()).toEqual(bytes(...zeros(15), 1, ...zeros(16)))
    expect(new Writer().u256((1n << 192n) - 1n).finish()).toEqual(bytes(...zeros(8), ...ff(24)))
    expect(new Writer().u256((1n << 192n) | 0x0304n).finish()).toEqual(bytes(...zeros(7), 1, ...zeros(22), 3, 4))
    expect(new Writer().u256(U256_MAX).finish()).toEqual(bytes(...ff(32)))
    // sign byte (1 = negative) then the magnitude as u256
    expect(new Writer().i256(-5n).finish()).toEqual(bytes(1, ...zeros(31), 5))
    expect(new Writer().i256(5n).finish()).toEqual(bytes(0, ...zeros(31), 5))
    expect(new Writer().bool(true).bool(false).finish()).toEqual(bytes(1, 0))
    // u32 length then the raw bytes; 'é' is 0xc3 0xa9 in UTF-8
    expect(new Writer().bytes(bytes(0xaa, 0xbb)).finish()).toEqual(bytes(0, 0, 0, 2, 0xaa, 0xbb))
    expect(new Writer().string('é').finish()).toEqual(bytes(0, 0, 0, 2, 0xc3, 0xa9))
  })
})

/** 13 bytes written by three kinds of field, for the size-hint and arena tests */
const write = (w: Writer) => w.u8(7).u32(0x0102_0304).u64(5n)
const expected = bytes(7, 1, 2, 3, 4, ...zeros(7), 5)

/**
 * Finishes `w` (holding `written`) twice, writes one byte more and finishes again: the first result must survive a
 * change to the second and the write after it. Returns the three results.
 */
function finishesStayApart(w: Writer, written: Uint8Array): Uint8Array[] {
  const first = w.finish()
  const second = w.finish()
  second[0] = 99
  expect(first).toEqual(written)
  w.u8(8)
  const third = w.finish()
  expect(first).toEqual(written)
  expect(third).toEqual(bytes(...written, 8))
  return [first, second, third] as Uint8Array[]
}

describe('Writer size hints', () => {
  it('gives the same bytes whether the hint is exact, short, long or zero', () => {
    for (const hint of [13, 0, 1, 12, 14, 256]) {
      const out = write(new Writer(hint)).finish()
      expect(out).toEqual(expected)
      // an array of its own, exactly as long as the encoding (as a copy would be)
      expect([out.byteOffset, out.buffer.byteLength]).toEqual([0, 13])
    }
  })

  // 13 bytes: copied (a small result lives in the JS heap); 109 bytes: past 64, the writer's buffer is handed out
  it.each([0, 96])(
    'an exactly filled result (%i bytes of padding) is not changed by writing on, and two finishes never share an array',
    (pad) => {
      const padded = bytes(...expected, ...zeros(pad))
      const [first, second] = finishesStayApart(write(new Writer(13 + pad)).fixed(new Uint8Array(pad), pad), padded)
      expect([first?.byteOffset, first?.buffer.byteLength]).toEqual([0, 13 + pad])
      expect(second).not.toBe(first)
    },
  )
})

describe('Writer into a ByteArena', () => {
  it('gives the same bytes as a plain writer for any hint, as views side by side in one buffer', () => {
    const arena = new ByteArena()
    const outs = [13, 256, 14, 0, 1, 12].map((hint) => write(new Writer(hint, arena)).finish())
    for (const out of outs) expect(out).toEqual(expected)
    // an exact or too long hint gives its tail back: the next view starts where the last one ended
    expect(outs.slice(0, 3).map((o) => o.byteOffset)).toEqual([0, 13, 26])
    // a hint too short grows into new reservations further on; the views never overlap
    for (let i = 1; i < outs.length; i++)
      expect((outs[i] as Uint8Array).byteOffset).toBeGreaterThanOrEqual(
        (outs[i - 1] as Uint8Array).byteOffset + (outs[i - 1] as Uint8Array).length,
      )
    expect(new Set(outs.map((o) => o.buffer)).size).toBe(1)
  })

  it('a finished view is not changed by writing on, and two finishes never share bytes', () => {
    const arena = new ByteArena()
    const finished = finishesStayApart(write(new Writer(13, arena)), expected)
    // the next writer's bytes land after all three
    const next = new Writer(1, arena).u8(42).finish()
    for (const o of finished) expect(next.byteOffset).toBeGreaterThanOrEqual(o.byteOffset + o.length)
  })

  it('a value longer than a buffer (256 KiB) gets a buffer of its own, and the values after it do not overlap it', () => {
    const arena = new ByteArena()
    const before = write(new Writer(13, arena)).finish()
    const big = new Writer(0, arena).fixed(new Uint8Array(300_000).fill(3), 300_000).finish()
    const after = write(new Writer(13, arena)).finish()
    expect([big.length, big[0], big[299_999]]).toEqual([300_000, 3, 3])
    expect(big.buffer).not.toBe(before.buffer)
    expect([before, after]).toEqual([expected, expected])
    if (after.buffer === big.buffer) expect(after.byteOffset).toBeGreaterThanOrEqual(big.byteOffset + big.length)
  })
})

describe('Writer rejects values out of range', () => {
  it.each([
    ['u8 256', (w: Writer) => w.u8(256)],
    ['u8 −1', (w: Writer) => w.u8(-1)],
    ['u8 1.5', (w: Writer) => w.u8(1.5)],
    ['u32 2^32', (w: Writer) => w.u32(U32_MAX + 1)],
    ['u32 −1', (w: Writer) => w.u32(-1)],
    ['u32 NaN', (w: Writer) => w.u32(Number.NaN)],
    ['u64 2^64', (w: Writer) => w.u64(U64_MAX + 1n)],
    ['u64 −1', (w: Writer) => w.u64(-1n)],
    ['u256 2^256', (w: Writer) => w.u256(U256_MAX + 1n)],
    ['u256 −1', (w: Writer) => w.u256(-1n)],
    ['i256 2^256', (w: Writer) => w.i256(U256_MAX + 1n)],
    ['i256 −2^256', (w: Writer) => w.i256(-(U256_MAX + 1n))],
    ['fixed of the wrong length', (w: Writer) => w.fixed(new Uint8Array(19), 20)],
    ['hex of 19 bytes for 20', (w: Writer) => w.hex(`0x${'ab'.repeat(19)}`, 20)],
    ['hex of 21 bytes for 20', (w: Writer) => w.hex(`0x${'ab'.repeat(21)}`, 20)],
    ['hex with a non-digit', (w: Writer) => w.hex(`0x${'ab'.repeat(19)}ag`, 20)],
  ])('%s throws CodecError', (_name, write) => {
    expect(() => write(new Writer())).toThrow(CodecError)
  })
})

describe('Writer.hex', () => {
  it('writes the bytes fixed(fromHex(…)) writes, with or without 0x and in either case', () => {
    const hex = `0x${'0123456789abcdefABCDEF'.repeat(2)}00ff`.slice(0, 42)
    const expected = new Writer().u8(7).fixed(fromHex(hex), 20).u8(9).finish()
    expect(new Writer().u8(7).hex(hex, 20).u8(9).finish()).toEqual(expected)
    expect(new Writer().u8(7).hex(hex.slice(2), 20).u8(9).finish()).toEqual(expected)
    expect(new Writer(1).u8(7).hex(hex.toUpperCase().replace('0X', '0x'), 20).u8(9).finish()).toEqual(expected)
  })

  it('a refused string leaves nothing behind: a u256 written next is still exact', () => {
    const w = new Writer(64)
    // the last digit pair is bad, after 19 good bytes were decoded
    expect(() => w.hex(`0x${'ff'.repeat(19)}zz`, 20)).toThrow(CodecError)
    const bytes = w.u256(5n).finish()
    expect(bytes).toEqual(Uint8Array.from({ length: 32 }, (_, i) => (i === 31 ? 5 : 0)))
  })
})

describe('Reader rejects non-canonical input', () => {
  it('truncated input', () => {
    expect(() => new Reader(bytes()).u8()).toThrow(CodecError)
    expect(() => new Reader(bytes(0, 0, 0)).u32()).toThrow(CodecError)
    expect(() => new Reader(new Uint8Array(7)).u64()).toThrow(CodecError)
    expect(() => new Reader(new Uint8Array(31)).u256()).toThrow(CodecError)
    expect(() => new Reader(new Uint8Array(32)).i256()).toThrow(CodecError) // sign byte + 31 bytes
    // the length prefix promises 3 bytes, 2 follow
    expect(() => new Reader(bytes(0, 0, 0, 3, 1, 2)).bytes()).toThrow(CodecError)
    expect(() => new Reader(bytes(0, 0, 0, 5, 0x61)).string()).toThrow(CodecError)
  })

  it('trailing bytes', () => {
    const r = new Reader(bytes(0, 0, 0, 1, 9))
    expect(r.u32()).toBe(1)
    expect(() => r.end()).toThrow(CodecError)
    expect(r.u8()).toBe(9)
    r.end()
  })

  it('a bool byte other than 0 or 1', () => {
    expect(() => new Reader(bytes(2)).bool()).toThrow(CodecError)
    expect(() => new Reader(bytes(0xff)).bool()).toThrow(CodecError)
  })

  it('negative zero and a bad sign byte in i256', () => {
    expect(() => new Reader(bytes(1, ...zeros(32))).i256()).toThrow(CodecError)
    expect(() => new Reader(bytes(2, ...zeros(31), 1)).i256()).toThrow(CodecError)
    expect(new Reader(bytes(0, ...zeros(32))).i256()).toBe(0n)
  })

  it('a length over the caller limit, and invalid UTF-8', () => {
    expect(() => new Reader(bytes(0, 0, 0, 3, 0x61, 0x62, 0x63)).string(2)).toThrow(CodecError)
    expect(new Reader(bytes(0, 0, 0, 3, 0x61, 0x62, 0x63)).string(3)).toBe('abc')
    expect(() => new Reader(bytes(0, 0, 0, 1, 0xff)).string()).toThrow()
  })

  it('reads a subarray view from its own offset', () => {
    const backing = bytes(0xee, 0xee, 0, 0, 0, 7, 0xee)
    const r = new Reader(backing.subarray(2, 6))
    expect(r.u32()).toBe(7)
    r.end()
  })
})

describe('block binary form', () => {
  const sig = (seed: number): Uint8Array => Uint8Array.from({ length: 65 }, (_, i) => (seed * 31 + i) & 0xff)
  const [A, B] = ACCOUNTS as [(typeof ACCOUNTS)[number], (typeof ACCOUNTS)[number]]
  const S0 = SIGNERS[0] as (typeof SIGNERS)[number]

  function sampleBlock(): Block {
    const txs: SignedTx[] = [
      {
        kind: 'order',
        message: {
          account: A,
          subaccount: U32_MAX,
          market: 1,
          isBuy: true,
          price: U256_MAX,
          size: 1000n,
          timeInForce: 2,
          reduceOnly: true,
          postOnly: false,
          clientId: U64_MAX,
          nonce: 0n,
          expiresAt: 1_732_406_400_250n,
        },
        signature: sig(1),
      },
      {
        kind: 'cancel',
        message: { account: B, subaccount: 0, market: 0, clientId: 77n, nonce: 3n },
        signature: sig(2),
      },
      { kind: 'cancelAll', message: { account: A, subaccount: 2, market: 1, nonce: 4n }, signature: sig(3) },
      {
        kind: 'oracleReport',
        message: { signer: S0, timestamp: 1_732_406_400_000n, markets: [0, 1], prices: [6_000_000_000_000n, 1n] },
        signature: sig(4),
      },
      { kind: 'oracleReport', message: { signer: S0, timestamp: 1n, markets: [], prices: [] }, signature: sig(5) },
      {
        kind: 'withdraw',
        message: { account: B, subaccount: 1, recipient: A, amount: 5n, nonce: 6n },
        signature: sig(6),
      },
    ]
    return {
      header: {
        chainId: 424242,
        height: 12345n,
        parentHash: Uint8Array.from({ length: 32 }, (_, i) => i),
        time: 1_732_406_403_000n,
        proposer: '0x1cbd3b2770909d4e10f157cabc84c7264073c9ec',
        txRoot: txRoot(txs),
        stateRoot: Uint8Array.from({ length: 32 }, (_, i) => 255 - i),
      },
      txs,
      signature: sig(9),
    }
  }

  it('round-trips byte-identically and field-identically', () => {
    const block = sampleBlock()
    const encoded = encodeBlock(block)
    const decoded = decodeBlock(encoded)
    expect(decoded).toEqual(block)
    expect(encodeBlock(decoded)).toEqual(encoded)
    // header first: 8 + 8 + 32 + 8 + 20 + 32 + 32 = 140 bytes, then the u32 transaction count
    expect(HEADER_BYTES).toBe(140)
    expect(encoded.subarray(0, HEADER_BYTES)).toEqual(encodeHeader(block.header))
    expect(toHex(encoded.subarray(HEADER_BYTES, HEADER_BYTES + 4))).toBe('0x00000006')
    // chainId 424242 = 0x067932 as u64 big-endian
    expect(toHex(encoded.subarray(0, 8))).toBe('0x0000000000067932')
    expect(blockHash(block.header)).toEqual(keccak256(encoded.subarray(0, HEADER_BYTES)))
    // the last bytes are u32 65 then the signature
    expect(encoded.subarray(encoded.length - 69)).toEqual(concatBytes(bytes(0, 0, 0, 65), block.signature))
  })

  it('a genesis block with no transactions and an empty signature round-trips', () => {
    const block: Block = { ...sampleBlock(), txs: [], signature: new Uint8Array(0) }
    const encoded = encodeBlock(block)
    expect(encoded.length).toBe(HEADER_BYTES + 4 + 4)
    expect(encodeBlock(decodeBlock(encoded))).toEqual(encoded)
  })

  it('rejects a trailing byte, a truncated block and too many transactions', () => {
    const encoded = encodeBlock(sampleBlock())
    expect(() => decodeBlock(concatBytes(encoded, bytes(0)))).toThrow(CodecError)
    expect(() => decodeBlock(encoded.subarray(0, encoded.length - 1))).toThrow(CodecError)
    expect(() => decodeBlock(encoded.subarray(0, 100))).toThrow(CodecError)
    expect(() => decodeBlock(encoded, 5)).toThrow(/over 5/)
  })

  it('txRoot is the Merkle root of the keccak of each encoded transaction', () => {
    const block = sampleBlock()
    const h = block.txs.map((tx) => keccak256(encodeSignedTx(tx)))
    const inner = (l: Uint8Array, r: Uint8Array): Uint8Array => keccak256(concatBytes(bytes(1), l, r))
    // 6 leaves: (h0h1)(h2h3)(h4h5) → ((h0h1)(h2h3)) (h4h5) → root
    const [h0, h1, h2, h3, h4, h5] = h as [Uint8Array, Uint8Array, Uint8Array, Uint8Array, Uint8Array, Uint8Array]
    const expected = inner(inner(inner(h0, h1), inner(h2, h3)), inner(h4, h5))
    expect(block.header.txRoot).toEqual(expected)
  })

  it('encodedTxLength, the size encodeSignedTx reserves, is the length of each kind from the field table', () => {
    // by hand: order 1 + 20 + 4 + 4 + 1 + 32 + 32 + 1 + 1 + 1 + 8 + 8 + 8 + 65 = 186,
    // cancel 1 + 20 + 4 + 4 + 8 + 8 + 65 = 110, cancelAll 1 + 20 + 4 + 4 + 8 + 65 = 102,
    // report of 2 markets 1 + 20 + 8 + (4 + 2·4) + (4 + 2·32) + 65 = 174, of none 1 + 20 + 8 + 4 + 4 + 65 = 102,
    // withdraw 1 + 20 + 4 + 20 + 32 + 8 + 65 = 150
    const txs = sampleBlock().txs
    expect(txs.map(encodedTxLength)).toEqual([186, 110, 102, 174, 102, 150])
    expect(txs.map((tx) => encodeSignedTx(tx).length)).toEqual([186, 110, 102, 174, 102, 150])
  })

  it('encodeSignedTxs gives each transaction its encodeSignedTx bytes, as separate views of one buffer', () => {
    const txs = sampleBlock().txs
    const views = encodeSignedTxs(txs)
    expect(views).toEqual(txs.map(encodeSignedTx))
    // side by side, in order: each view starts where the one before it ends
    const buffer = (views[0] as Uint8Array).buffer
    let at = 0
    for (const v of views) {
      expect(v.buffer).toBe(buffer)
      expect(v.byteOffset).toBe(at)
      at += v.length
    }
    expect(at).toBe(186 + 110 + 102 + 174 + 102 + 150)
    expect(encodeSignedTxs([])).toEqual([])
  })

  it('the sequencer path (each transaction encoded once, then copied) gives the same txRoot and the same bytes', () => {
    const block = sampleBlock()
    const encodedTxs = encodeSignedTxs(block.txs)
    expect(txRootOfEncoded(encodedTxs)).toEqual(txRoot(block.txs))
    expect(encodeBlock(block, encodedTxs)).toEqual(encodeBlock(block))
    expect(encodeBlock({ ...block, txs: [] }, [])).toEqual(encodeBlock({ ...block, txs: [] }))
    expect(() => encodeBlock(block, encodedTxs.slice(1))).toThrow(/5 encoded transactions for a block of 6/)
  })
})

describe('Merkle root', () => {
  /** keccak256(0x00 ‖ u32be(len key) ‖ key ‖ keccak256(value)), the u32 written by hand */
  function myLeaf(key: Uint8Array, value: Uint8Array): Uint8Array {
    const n = key.length
    const len = bytes((n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff)
    return keccak256(concatBytes(bytes(0), len, key, keccak256(value)))
  }
  const myInner = (l: Uint8Array, r: Uint8Array): Uint8Array => keccak256(concatBytes(bytes(1), l, r))

  const k = [bytes(1), bytes(2, 0, 0, 0, 0), bytes(2, 0, 0, 0, 1), bytes(3, 7), bytes(5)]
  const v = [bytes(), bytes(0xde, 0xad), bytes(1), bytes(2, 3, 4), new Uint8Array(300).fill(9)]
  const leaves = k.map((key, i) => myLeaf(key, v[i] as Uint8Array))
  const [l0, l1, l2, l3, l4] = leaves as [Uint8Array, Uint8Array, Uint8Array, Uint8Array, Uint8Array]

  it('leafHash matches the documented formula', () => {
    for (const [i, key] of k.entries()) expect(leafHash(key, v[i] as Uint8Array)).toEqual(leaves[i])
  })

  it('0, 1, 2, 3 and 5 leaves', () => {
    expect(merkleRoot([])).toEqual(new Uint8Array(32))
    expect(EMPTY_ROOT).toEqual(new Uint8Array(32))
    expect(merkleRoot([l0])).toEqual(l0) // a single leaf is the root
    expect(merkleRoot([l0, l1])).toEqual(myInner(l0, l1))
    // odd node carried up unchanged: level 1 = [H(l0,l1), l2]
    expect(merkleRoot([l0, l1, l2])).toEqual(myInner(myInner(l0, l1), l2))
    // level 1 = [H01, H23, l4]; level 2 = [H(H01,H23), l4]; root = H(H0123, l4)
    expect(merkleRoot([l0, l1, l2, l3, l4])).toEqual(myInner(myInner(myInner(l0, l1), myInner(l2, l3)), l4))
  })

  it('merkleRoot and merkleRootOfItems agree with the levels built by hand, for every count from 0 to 70 and 2,001', () => {
    // items of varied lengths (0 to 400 bytes: one and several keccak blocks)
    const items = Array.from({ length: 2001 }, (_, i) => new Uint8Array((i * 37) % 401).fill(i & 0xff))
    // the documented levels built with arrays and myInner, not the library's walk
    const reference = (n: number): Uint8Array => {
      if (n === 0) return new Uint8Array(32)
      let level = items.slice(0, n).map(keccak256)
      while (level.length > 1)
        level = Array.from({ length: Math.ceil(level.length / 2) }, (_, i) => {
          const right = level[2 * i + 1]
          return right === undefined ? (level[2 * i] as Uint8Array) : myInner(level[2 * i] as Uint8Array, right)
        })
      return level[0] as Uint8Array
    }
    for (const n of [...Array.from({ length: 71 }, (_, i) => i), items.length]) {
      expect(merkleRootOfItems(items.slice(0, n)), `${n} items`).toEqual(reference(n))
      expect(merkleRoot(items.slice(0, n).map(keccak256)), `${n} hashes`).toEqual(reference(n))
    }
    // by hand for three: level 1 = [H(h0, h1), h2]
    const h = items.slice(0, 3).map(keccak256) as [Uint8Array, Uint8Array, Uint8Array]
    expect(merkleRootOfItems(items.slice(0, 3))).toEqual(myInner(myInner(h[0], h[1]), h[2]))
  })

  it('MerkleState sorts by key, replaces on rewrite and deletes on null', () => {
    const m = new MerkleState()
    expect(m.root()).toEqual(new Uint8Array(32))
    // written out of order; keys sort by bytes (0x01 < 0x0200000000 < 0x0200000001)
    m.apply([
      { key: k[2] as Uint8Array, value: bytes(0xff) },
      { key: k[0] as Uint8Array, value: v[0] as Uint8Array },
    ])
    m.apply([{ key: k[1] as Uint8Array, value: v[1] as Uint8Array }])
    m.apply([{ key: k[2] as Uint8Array, value: v[2] as Uint8Array }]) // replaces 0xff
    expect(m.size).toBe(3)
    expect(m.root()).toEqual(myInner(myInner(l0, l1), l2))
    m.apply([{ key: k[1] as Uint8Array, value: null }])
    expect(m.size).toBe(2)
    expect(m.root()).toEqual(myInner(l0, l2))
    m.apply([
      { key: k[0] as Uint8Array, value: null },
      { key: k[2] as Uint8Array, value: null },
    ])
    expect(m.root()).toEqual(new Uint8Array(32))
  })

  it('a leaf cannot pass for an inner node: 0x00 vs 0x01 domain byte', () => {
    // an inner node over (l0, l1) hashes 0x01‖l0‖l1; a leaf whose key/value happen to give the same
    // bytes under 0x00 would still differ by the first byte
    expect(myInner(l0, l1)).not.toEqual(keccak256(concatBytes(bytes(0), l0, l1)))
  })
})

describe('state leaves', () => {
  // A symbol is bounded in UTF-8 bytes (MAX_SYMBOL_BYTES = 32) both where genesis accepts it and where the market
  // leaf is decoded; a bound in UTF-16 code units at genesis once let a 96-byte symbol in that no node could reload.
  const withSymbol = (symbol: string) => {
    const json = genesisJson()
    ;((json.markets as Record<string, unknown>[])[0] as Record<string, unknown>).symbol = symbol
    return json
  }

  it('parseGenesis refuses a symbol over 32 UTF-8 bytes and names the field', () => {
    // 11 × '€' = 33 bytes (3 each), although only 11 characters
    expect(() => parseGenesis(withSymbol('€'.repeat(11)))).toThrow(/markets\[0\]\.symbol/)
  })

  it('a symbol of exactly 32 UTF-8 bytes survives allLeaves → stateFromLeaves', () => {
    const symbol = `${'€'.repeat(10)}AB` // 30 + 2 = 32 bytes
    const state = genesisState(parseGenesis(withSymbol(symbol)))
    const marketLeaf = allLeaves(state).find((w) => toHex(w.key) === '0x0200000000')
    // market value: u32 id 0, then u32 length 32 (0x20) and the UTF-8 bytes (e2 82 ac per '€')
    expect(toHex(marketLeaf?.value?.subarray(0, 11) ?? new Uint8Array(0))).toBe('0x0000000000000020e282ac')
    const leaves = allLeaves(state).flatMap((w) => (w.value === null ? [] : [[w.key, w.value] as const]))
    expect(stateFromLeaves(leaves).markets[0]?.symbol).toBe(symbol)
  })
})
