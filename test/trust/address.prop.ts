/**
 * Property test of security.md ignoreip against an arithmetic model: an ip (address
 * or range) is ignored exactly when it overlaps an entry, IPv4 being the IPv4-mapped part of IPv6 (::ffff:0:0/96).
 */
import { FastCheck as fc } from "effect"
import { BlockList, SocketAddress } from "node:net"
import * as Either from "effect/Either"
import { describe, expect, it } from "vitest"
import { ignoredBy, makeIgnoreList, parseRange, type Range } from "../../src/trust/index.js"

const NUM_RUNS = 400

interface Generated {
  readonly family: "ipv4" | "ipv6"
  readonly value: bigint
  readonly prefix: number
  readonly text: string
}

const ipv4Text = (n: bigint): string => [24n, 16n, 8n, 0n].map((shift) => String((n >> shift) & 0xffn)).join(".")
const ipv6Text = (n: bigint): string =>
  Array.from({ length: 8 }, (_, i) => ((n >> BigInt(112 - 16 * i)) & 0xffffn).toString(16)).join(":")

/** Addresses near a few bases (so ranges overlap often), each with a prefix; a full-width prefix is sometimes left out. */
const ipv4Range: fc.Arbitrary<Generated> = fc
  .tuple(
    fc.constantFrom(0x0a000000n, 0x7f000001n, 0xc0000200n, 0n, 0xffffff00n),
    fc.bigInt({ min: 0n, max: 0xffffn }),
    fc.oneof(fc.integer({ min: 0, max: 32 }), fc.integer({ min: 20, max: 32 })),
    fc.boolean()
  )
  .map(([base, offset, prefix, bare]) => {
    const value = (base + offset) & 0xffffffffn
    const text = prefix === 32 && bare ? ipv4Text(value) : `${ipv4Text(value)}/${prefix}`
    return { family: "ipv4", value, prefix, text }
  })

const ipv6Range: fc.Arbitrary<Generated> = fc
  .tuple(
    fc.constantFrom(0x20010db8n << 96n, 0n, 1n, 0xfe80n << 112n, 0xffff00000000n | 0x0a000000n, 0xffff00000000n | 0x7f000000n),
    fc.bigInt({ min: 0n, max: 0xfffffn }),
    fc.oneof(fc.integer({ min: 0, max: 128 }), fc.integer({ min: 90, max: 128 })),
    fc.boolean()
  )
  .map(([base, offset, prefix, bare]) => {
    const value = (base + offset) & ((1n << 128n) - 1n)
    const text = prefix === 128 && bare ? ipv6Text(value) : `${ipv6Text(value)}/${prefix}`
    return { family: "ipv6", value, prefix, text }
  })

const anyRange = fc.oneof(ipv4Range, ipv6Range)

/** The range as [first, last] in the 128-bit space where IPv4 is ::ffff:a.b.c.d. */
const bounds = (range: Generated): readonly [bigint, bigint] => {
  const [value, prefix] = range.family === "ipv4" ? [0xffff00000000n | range.value, 96 + range.prefix] : [range.value, range.prefix]
  const hostBits = BigInt(128 - prefix)
  const first = (value >> hostBits) << hostBits
  return [first, first + (1n << hostBits) - 1n]
}

const overlaps = (a: Generated, b: Generated): boolean => {
  const [a0, a1] = bounds(a)
  const [b0, b1] = bounds(b)
  return a0 <= b1 && b0 <= a1
}

const parsed = (text: string): Range => Either.getOrThrow(parseRange(text))

describe("security.md ignoreip (properties)", () => {
  it("every generated range parses back with its family and prefix", () => {
    fc.assert(
      fc.property(anyRange, (range) => {
        expect(parsed(range.text)).toMatchObject({ family: range.family, prefix: range.prefix, text: range.text })
      }),
      { numRuns: NUM_RUNS }
    )
  })

  it("ignoredBy names the first entry that overlaps the ip, and nothing when none does", () => {
    fc.assert(
      fc.property(fc.array(anyRange, { maxLength: 5 }), anyRange, (entries, ip) => {
        const list = makeIgnoreList(entries.map((entry) => parsed(entry.text)))
        const first = entries.findIndex((entry) => overlaps(entry, ip))
        const covered = ignoredBy(list, ip.text)
        if (first === -1) expect(covered).toBeUndefined()
        else expect(covered).toBe(list.ranges[first])
      }),
      { numRuns: NUM_RUNS }
    )
  })

  it("overlap is symmetric: a covers b as an entry exactly when b covers a", () => {
    fc.assert(
      fc.property(anyRange, anyRange, (a, b) => {
        const aCoversB = ignoredBy(makeIgnoreList([parsed(a.text)]), b.text) !== undefined
        const bCoversA = ignoredBy(makeIgnoreList([parsed(b.text)]), a.text) !== undefined
        expect(aCoversB).toBe(bCoversA)
      }),
      { numRuns: NUM_RUNS }
    )
  })
})

/** Node's own matcher, which ignoredBy must agree with for single addresses. */
const blockListCovers = (entry: Range, address: Range): boolean => {
  const list = new BlockList()
  list.addSubnet(entry.address, entry.prefix, entry.family)
  return list.check(address.address, address.family)
}

/** Spellings of one IPv6 address: Node's canonical (compressed) form, upper case, and a dotted IPv4 tail. */
const spellings = (range: Generated): ReadonlyArray<string> => {
  if (range.family === "ipv4") return [ipv4Text(range.value)]
  const full = ipv6Text(range.value)
  const canonical = new SocketAddress({ address: full, family: "ipv6" }).address
  const tail = `${full.split(":").slice(0, 6).join(":")}:${ipv4Text(range.value & 0xffffffffn)}`
  return [full, canonical, canonical.toUpperCase(), tail]
}

describe("security.md ignoreip agrees with node:net's BlockList (properties)", () => {
  it("an address is covered by an entry exactly when BlockList.check says so, however the address is spelled", () => {
    fc.assert(
      fc.property(anyRange, anyRange, (entry, address) => {
        const entryRange = parsed(entry.text)
        const list = makeIgnoreList([entryRange])
        for (const text of spellings(address)) {
          const range = parsed(text)
          expect(ignoredBy(list, text) !== undefined).toBe(blockListCovers(entryRange, range))
        }
      }),
      { numRuns: NUM_RUNS }
    )
  })
})
