/**
 * Addresses and ranges, validated with node:net's isIP (no hand-written address
 * grammar): `192.0.2.7`, `192.0.2.0/24`, `2001:db8::/32`; and ignoreip lists matched on their bits.
 */
import * as Either from "effect/Either"
import { isIP } from "node:net"

export interface Range {
  readonly address: string
  readonly prefix: number
  readonly family: "ipv4" | "ipv6"
  /** As written. */
  readonly text: string
}

const PREFIX = /^(0|[1-9][0-9]{0,2})$/

/** An address (a /32 or /128 range) or `address/prefix`; zones (`%eth0`) are refused. */
export const parseRange = (text: string): Either.Either<Range, string> => {
  const slash = text.indexOf("/")
  const address = slash === -1 ? text : text.slice(0, slash)
  const version = address.includes("%") ? 0 : isIP(address)
  if (version === 0) return Either.left(`${JSON.stringify(address)} is not an IP address`)
  const max = version === 4 ? 32 : 128
  let prefix = max
  if (slash !== -1) {
    const digits = text.slice(slash + 1)
    prefix = PREFIX.test(digits) ? Number(digits) : -1
    if (prefix < 0 || prefix > max) return Either.left(`prefix /${digits} is not from 0 to ${max}`)
  }
  return Either.right({ address, prefix, family: version === 4 ? "ipv4" : "ipv6", text })
}

/**
 * An address as 128 bits in four 32-bit words, IPv4 being its IPv4-mapped
 * form `::ffff:a.b.c.d` (BlockList's rule: an IPv4 entry covers the mapped
 * IPv6 address and an IPv6 entry the IPv4 one). The text is valid (isIP said
 * so), so reading it needs no checks. BlockList.check builds a SocketAddress
 * per call, the costliest step of a delivery; comparing words costs nothing.
 * (test/trust/address.prop.ts checks this against BlockList itself.)
 */
export interface Bits {
  readonly words: readonly [number, number, number, number]
  /** The prefix length in the 128-bit space (an IPv4 /p is 96 + p). */
  readonly prefix: number
}

const ipv4Word = (text: string, from: number): number => {
  let word = 0
  let part = 0
  for (let i = from; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (c === 46) {
      word = (word * 256 + part) >>> 0
      part = 0
    } else part = part * 10 + (c - 48)
  }
  return (word * 256 + part) >>> 0
}

/** The eight 16-bit groups of a valid IPv6 text (with `::` and a dotted IPv4 tail). */
const ipv6Groups = (text: string): Array<number> => {
  const groups: Array<number> = []
  let gap = -1
  let i = 0
  if (text.startsWith("::")) {
    gap = 0
    i = 2
  }
  while (i < text.length) {
    const colon = text.indexOf(":", i)
    const end = colon === -1 ? text.length : colon
    const part = text.slice(i, end)
    if (part.includes(".")) {
      const word = ipv4Word(part, 0)
      groups.push(word >>> 16, word & 0xffff)
    } else groups.push(parseInt(part, 16))
    if (colon === -1) break
    i = colon + 1
    if (text.charCodeAt(i) === 58) {
      gap = groups.length
      i++
    }
  }
  if (gap === -1) return groups
  return [...groups.slice(0, gap), ...new Array<number>(8 - groups.length).fill(0), ...groups.slice(gap)]
}

export const rangeBits = (range: Range): Bits => {
  if (range.family === "ipv4") return { words: [0, 0, 0xffff, ipv4Word(range.address, 0)], prefix: 96 + range.prefix }
  const g = ipv6Groups(range.address)
  const word = (k: number) => ((g[2 * k]! << 16) | g[2 * k + 1]!) >>> 0
  return { words: [word(0), word(1), word(2), word(3)], prefix: range.prefix }
}

/** Two ranges overlap exactly when they agree on the shorter prefix's bits. */
export const overlap = (a: Bits, b: Bits): boolean => {
  let bits = Math.min(a.prefix, b.prefix)
  for (let k = 0; k < 4 && bits > 0; k++, bits -= 32) {
    const mask = bits >= 32 ? 0xffffffff : ~(0xffffffff >>> bits)
    if (((a.words[k]! ^ b.words[k]!) & mask) !== 0) return false
  }
  return true
}

/** fail2ban's `ignoreip`: addresses and ranges never acted on. */
export interface IgnoreList {
  readonly ranges: ReadonlyArray<Range>
  /** Each range's bits, in the same order. */
  readonly bits: ReadonlyArray<Bits>
}

export const makeIgnoreList = (ranges: ReadonlyArray<Range>): IgnoreList => ({
  ranges,
  bits: ranges.map(rangeBits)
})

/**
 * The ignoreip entry that covers `value` (an address or a range), or
 * undefined. A range is covered when it overlaps an entry: it shares an
 * address with it. A value that is not an address is never covered (the
 * types stage decides about it).
 */
export const ignoredBy = (ignore: IgnoreList, value: string): Range | undefined => {
  if (ignore.ranges.length === 0) return undefined
  const parsed = parseRange(value)
  if (Either.isLeft(parsed)) return undefined
  const bits = rangeBits(parsed.right)
  for (let i = 0; i < ignore.ranges.length; i++) {
    if (overlap(ignore.bits[i]!, bits)) return ignore.ranges[i]
  }
  return undefined
}
