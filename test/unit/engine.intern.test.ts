/**
 * The engine's string memos (engine/types.ts): internAddress and subaccountId hand back strings equal to what they
 * are asked for, whatever string object they were given (a slice of a longer string, a lowercased copy). Which
 * object comes back is not observable in JavaScript, only its value: these tests hold the value.
 */
import { describe, expect, it } from 'vitest'
import { decodeMessage, internAddress, subaccountId } from '../../engine/index.ts'

const address = (i: number): string => `0x${i.toString(16).padStart(40, '0')}`

describe('internAddress', () => {
  it('returns an equal string, for fresh strings, slices of a longer one and repeats', () => {
    const many = Array.from({ length: 300 }, (_, i) => address(i * 7919))
    const joined = many.join('')
    for (const [i, a] of many.entries()) {
      expect(internAddress(a)).toBe(a)
      expect(internAddress(joined.slice(42 * i, 42 * (i + 1)))).toBe(a)
      expect(internAddress(`${a.slice(0, 2)}${a.slice(2)}`)).toBe(a)
    }
  })

  it('past its bound (2^18 addresses) it starts again and still returns equal strings', () => {
    const count = (1 << 18) + 5
    for (let i = 0; i < count; i++) internAddress(address(i))
    for (const i of [0, 1, count - 2, count - 1]) expect(internAddress(address(i))).toBe(address(i))
  })

  it('a decoded message carries its account lowercase, and subaccount ids are built from it', () => {
    const account = `0x${'Ab'.repeat(20)}`
    const decoded = decodeMessage('cancelAll', { account, subaccount: '3', market: '0', nonce: '1' })
    const lower = account.toLowerCase()
    expect((decoded.message as { account: string }).account).toBe(lower)
    expect(subaccountId(internAddress(lower), 3)).toBe(`${lower}:3`)
    expect(subaccountId(lower as `0x${string}`, 300)).toBe(`${lower}:300`)
  })
})
