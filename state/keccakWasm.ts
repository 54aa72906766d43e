/**
 * @module keccak256 on a small WebAssembly module generated here (no binary blob, no dependency), compiled
 * synchronously at import: `new WebAssembly.Module` of ~2 KB. Used by state/treeHash.ts for the tree.
 *
 * The module exports its memory and one function, `blocks(ptr, n)`: zero the sponge, absorb n padded 136-byte
 * blocks at ptr (keccak-f[1600], 24 rounds, round constants read from memory 0..191), then store the first
 * 32 bytes of the state at OUT. The JavaScript side copies the input in and pads it (keccak padding 0x01 …
 * 0x80, not SHA-3's 0x06); a tree node (65 bytes) uses a block whose padding is written once.
 */

/** The few WebAssembly members used here (tsconfig's lib has no DOM/WebAssembly declarations). */
declare const WebAssembly: {
  Module: new (bytes: Uint8Array) => object
  Instance: new (module: object, imports: object) => { exports: Record<string, unknown> }
}
interface WasmMemory {
  readonly buffer: ArrayBuffer
  grow(pages: number): number
}

const RC = [
  0x0000000000000001n,
  0x0000000000008082n,
  0x800000000000808an,
  0x8000000080008000n,
  0x000000000000808bn,
  0x0000000080000001n,
  0x8000000080008081n,
  0x8000000000008009n,
  0x000000000000008an,
  0x0000000000000088n,
  0x0000000080008009n,
  0x000000008000000an,
  0x000000008000808bn,
  0x800000000000008bn,
  0x8000000000008089n,
  0x8000000000008003n,
  0x8000000000008002n,
  0x8000000000000080n,
  0x000000000000800an,
  0x800000008000000an,
  0x8000000080008081n,
  0x8000000000008080n,
  0x0000000080000001n,
  0x8000000080008008n,
]
/** rotation offsets r[x][y] */
const ROT = [
  [0, 36, 3, 41, 18],
  [1, 44, 10, 45, 2],
  [62, 6, 43, 15, 61],
  [28, 55, 25, 21, 56],
  [27, 20, 39, 8, 14],
]

const RATE = 136
/** memory layout */
const OUT = 192
const NODE = 256
const INPUT = 512

function uleb(n: number): number[] {
  const out: number[] = []
  do {
    let b = n & 0x7f
    n >>>= 7
    if (n !== 0) b |= 0x80
    out.push(b)
  } while (n !== 0)
  return out
}

function sleb(n: number): number[] {
  const out: number[] = []
  for (;;) {
    const b = n & 0x7f
    n >>= 7
    if ((n === 0 && (b & 0x40) === 0) || (n === -1 && (b & 0x40) !== 0)) {
      out.push(b)
      return out
    }
    out.push(b | 0x80)
  }
}

function section(id: number, body: number[]): number[] {
  return [id, ...uleb(body.length), ...body]
}

function moduleBytes(): Uint8Array {
  // locals: 0 ptr, 1 n (params); A 2..26, B 27..51, C 52..56, D 57..61 (i64); 62 rc pointer (i32)
  const A = (i: number): number => 2 + i
  const B = (i: number): number => 27 + i
  const C = (x: number): number => 52 + x
  const D = (x: number): number => 57 + x
  const RCP = 62
  const code: number[] = []
  const get = (i: number): void => {
    code.push(0x20, ...uleb(i))
  }
  const set = (i: number): void => {
    code.push(0x21, ...uleb(i))
  }
  const i64const = (v: number): void => {
    code.push(0x42, ...sleb(v))
  }
  const i32const = (v: number): void => {
    code.push(0x41, ...sleb(v))
  }
  const XOR = 0x85
  const AND = 0x83
  const ROTL = 0x89

  code.push(0x02, 0x40) // block $exit
  code.push(0x03, 0x40) // loop $blocks
  get(1)
  code.push(0x45, 0x0d, 1) // i32.eqz; br_if $exit
  for (let i = 0; i < RATE / 8; i++) {
    get(A(i))
    get(0)
    code.push(0x29, 3, ...uleb(8 * i)) // i64.load offset=8i
    code.push(XOR)
    set(A(i))
  }
  i32const(0)
  set(RCP)
  code.push(0x03, 0x40) // loop $rounds
  // θ
  for (let x = 0; x < 5; x++) {
    get(A(x))
    for (let y = 1; y < 5; y++) {
      get(A(x + 5 * y))
      code.push(XOR)
    }
    set(C(x))
  }
  for (let x = 0; x < 5; x++) {
    get(C((x + 4) % 5))
    get(C((x + 1) % 5))
    i64const(1)
    code.push(ROTL, XOR)
    set(D(x))
  }
  for (let i = 0; i < 25; i++) {
    get(A(i))
    get(D(i % 5))
    code.push(XOR)
    set(A(i))
  }
  // ρ and π: B[y, 2x+3y] = rotl(A[x, y], r[x][y])
  for (let x = 0; x < 5; x++) {
    for (let y = 0; y < 5; y++) {
      get(A(x + 5 * y))
      const r = (ROT[x] as number[])[y] as number
      if (r !== 0) {
        i64const(r)
        code.push(ROTL)
      }
      set(B(y + 5 * ((2 * x + 3 * y) % 5)))
    }
  }
  // χ: A[x, y] = B[x, y] ^ (~B[x+1, y] & B[x+2, y])
  for (let y = 0; y < 5; y++) {
    for (let x = 0; x < 5; x++) {
      get(B(((x + 1) % 5) + 5 * y))
      i64const(-1)
      code.push(XOR)
      get(B(((x + 2) % 5) + 5 * y))
      code.push(AND)
      get(B(x + 5 * y))
      code.push(XOR)
      set(A(x + 5 * y))
    }
  }
  // ι
  get(A(0))
  get(RCP)
  code.push(0x29, 3, 0) // i64.load RC[round]
  code.push(XOR)
  set(A(0))
  get(RCP)
  i32const(8)
  code.push(0x6a) // i32.add
  code.push(0x22, ...uleb(RCP)) // local.tee
  i32const(8 * 24)
  code.push(0x49, 0x0d, 0) // i32.lt_u; br_if $rounds
  code.push(0x0b) // end $rounds
  get(0)
  i32const(RATE)
  code.push(0x6a)
  set(0)
  get(1)
  i32const(1)
  code.push(0x6b) // i32.sub
  set(1)
  code.push(0x0c, 0) // br $blocks
  code.push(0x0b, 0x0b) // end $blocks, end $exit
  for (let i = 0; i < 4; i++) {
    i32const(0)
    get(A(i))
    code.push(0x37, 3, ...uleb(OUT + 8 * i)) // i64.store offset=OUT+8i
  }
  code.push(0x0b)

  const locals = [0x02, 60, 0x7e, 1, 0x7f]
  const body = [...locals, ...code]
  const name = (s: string): number[] => [s.length, ...[...s].map((c) => c.charCodeAt(0))]
  return Uint8Array.from([
    0x00,
    0x61,
    0x73,
    0x6d,
    0x01,
    0x00,
    0x00,
    0x00,
    ...section(1, [1, 0x60, 2, 0x7f, 0x7f, 0]),
    ...section(3, [1, 0]),
    ...section(5, [1, 0, 1]),
    ...section(7, [2, ...name('blocks'), 0x00, 0, ...name('memory'), 0x02, 0]),
    ...section(10, [1, ...uleb(body.length), ...body]),
  ])
}

const instance = new WebAssembly.Instance(new WebAssembly.Module(moduleBytes()), {})
const blocks = instance.exports.blocks as (ptr: number, n: number) => void
const memory = instance.exports.memory as WasmMemory
let mem = new Uint8Array(memory.buffer)
{
  const view = new DataView(memory.buffer)
  RC.forEach((c, i) => {
    view.setBigUint64(8 * i, c, true)
  })
  mem[NODE + 65] = 0x01
  mem[NODE + RATE - 1] = 0x80
}

function readOut(out: Uint8Array, outOff: number): void {
  for (let i = 0; i < 32; i++) out[outOff + i] = mem[OUT + i] as number
}

/** keccak256(data) into out[outOff..outOff+32]. */
export function wasmKeccakInto(data: Uint8Array, out: Uint8Array, outOff: number): void {
  const n = Math.floor(data.length / RATE) + 1
  const end = INPUT + n * RATE
  if (end > mem.length) {
    memory.grow(Math.ceil((end - mem.length) / 65536))
    mem = new Uint8Array(memory.buffer)
  }
  mem.set(data, INPUT)
  mem.fill(0, INPUT + data.length, end)
  mem[INPUT + data.length] = (mem[INPUT + data.length] as number) ^ 0x01
  mem[end - 1] = (mem[end - 1] as number) ^ 0x80
  blocks(INPUT, n)
  readOut(out, outOff)
}

export function wasmKeccak(data: Uint8Array): Uint8Array {
  const out = new Uint8Array(32)
  wasmKeccakInto(data, out, 0)
  return out
}

/** keccak256(tag ‖ a[aOff..+32] ‖ b[bOff..+32]) into out[outOff..+32]: one 65-byte block, padding preset. */
export function wasmNodeInto(
  tag: number,
  a: Uint8Array,
  aOff: number,
  b: Uint8Array,
  bOff: number,
  out: Uint8Array,
  outOff: number,
): void {
  const m = mem
  m[NODE] = tag
  for (let i = 0; i < 32; i++) {
    m[NODE + 1 + i] = a[aOff + i] as number
    m[NODE + 33 + i] = b[bOff + i] as number
  }
  blocks(NODE, 1)
  readOut(out, outOff)
}
