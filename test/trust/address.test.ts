/**
 * security.md ignoreip: addresses and ranges parsed with node:net, and which
 * ignoreip entry covers a message's ip (an address, or a range overlapping an entry either way).
 */
import * as Either from "effect/Either"
import { describe, expect, it } from "vitest"
import { Defaults } from "../../src/config/index.js"
import { ignoredBy, makeIgnoreList, parseRange, type IgnoreList, type Range } from "../../src/trust/index.js"

const range = (text: string): Range =>
  Either.getOrElse(parseRange(text), (message) => {
    throw new Error(`expected ${text} to be a range, got: ${message}`)
  })

const listOf = (...entries: ReadonlyArray<string>): IgnoreList => makeIgnoreList(entries.map(range))

const problem = (text: string): string => Either.match(parseRange(text), { onLeft: (m) => m, onRight: () => "(accepted)" })

describe("parseRange: an address or address/prefix (node:net decides what an address is)", () => {
  it("an address alone is a /32 or /128, kept as written", () => {
    expect(range("192.0.2.7")).toEqual({ address: "192.0.2.7", prefix: 32, family: "ipv4", text: "192.0.2.7" })
    expect(range("2001:db8::1")).toEqual({ address: "2001:db8::1", prefix: 128, family: "ipv6", text: "2001:db8::1" })
    expect(range("::ffff:127.0.0.1")).toEqual({ address: "::ffff:127.0.0.1", prefix: 128, family: "ipv6", text: "::ffff:127.0.0.1" })
  })

  it("reads the prefix, from 0 to the family's width", () => {
    expect(range("192.0.2.0/24")).toMatchObject({ address: "192.0.2.0", prefix: 24, family: "ipv4" })
    expect(range("0.0.0.0/0")).toMatchObject({ prefix: 0, family: "ipv4" })
    expect(range("2001:db8::/32")).toMatchObject({ address: "2001:db8::", prefix: 32, family: "ipv6" })
    expect(range("::/128")).toMatchObject({ prefix: 128, family: "ipv6" })
  })

  it("refuses what is not an address, naming it", () => {
    expect(problem("example.com")).toBe(`"example.com" is not an IP address`)
    expect(problem("01.2.3.4/8")).toBe(`"01.2.3.4" is not an IP address`)
    expect(problem("")).toBe(`"" is not an IP address`)
    expect(problem("/8")).toBe(`"" is not an IP address`)
  })

  it("refuses zone ids", () => {
    expect(problem("fe80::1%eth0")).toBe(`"fe80::1%eth0" is not an IP address`)
    expect(problem("fe80::%eth0/64")).toBe(`"fe80::%eth0" is not an IP address`)
  })

  it("refuses prefixes out of range, with leading zeros, signs or blanks", () => {
    expect(problem("192.0.2.0/33")).toBe("prefix /33 is not from 0 to 32")
    expect(problem("2001:db8::/129")).toBe("prefix /129 is not from 0 to 128")
    expect(problem("192.0.2.0/08")).toBe("prefix /08 is not from 0 to 32")
    expect(problem("192.0.2.0/+8")).toBe("prefix /+8 is not from 0 to 32")
    expect(problem("192.0.2.0/-1")).toBe("prefix /-1 is not from 0 to 32")
    expect(problem("192.0.2.0/")).toBe("prefix / is not from 0 to 32")
    expect(problem("192.0.2.0/ 8")).toBe("prefix / 8 is not from 0 to 32")
    expect(problem("192.0.2.0/8/8")).toBe("prefix /8/8 is not from 0 to 32")
  })
})

describe("security.md ignoreip: which entry covers an ip", () => {
  it("the default list is fail2ban's: 127.0.0.1/8 and ::1", () => {
    expect(Defaults.ignoreip).toEqual(["127.0.0.1/8", "::1"])
    const defaults = listOf(...Defaults.ignoreip)
    for (const ip of ["127.0.0.1", "127.0.0.0", "127.255.255.255", "127.1.2.3"]) expect(ignoredBy(defaults, ip)?.text).toBe("127.0.0.1/8")
    expect(ignoredBy(defaults, "::1")?.text).toBe("::1")
    expect(ignoredBy(defaults, "0:0:0:0:0:0:0:1")?.text).toBe("::1")
    for (const ip of ["128.0.0.0", "126.255.255.255", "192.0.2.7", "::2", "::", "2001:db8::1"]) expect(ignoredBy(defaults, ip)).toBeUndefined()
  })

  it("an IPv4-mapped IPv6 address is covered by its IPv4 range (::ffff:127.0.0.1 is loopback)", () => {
    const defaults = listOf(...Defaults.ignoreip)
    expect(ignoredBy(defaults, "::ffff:127.0.0.1")?.text).toBe("127.0.0.1/8")
    expect(ignoredBy(defaults, "::ffff:7f00:1")?.text).toBe("127.0.0.1/8")
    expect(ignoredBy(defaults, "::ffff:128.0.0.1")).toBeUndefined()
  })

  it("an IPv4 address is covered by an IPv4-mapped IPv6 range", () => {
    const list = listOf("::ffff:10.0.0.0/104")
    expect(ignoredBy(list, "10.1.2.3")?.text).toBe("::ffff:10.0.0.0/104")
    expect(ignoredBy(list, "11.0.0.1")).toBeUndefined()
  })

  it("a range is covered when it lies inside an entry", () => {
    const list = listOf("10.0.0.0/8", "2001:db8::/32")
    expect(ignoredBy(list, "10.1.2.0/24")?.text).toBe("10.0.0.0/8")
    expect(ignoredBy(list, "10.0.0.0/8")?.text).toBe("10.0.0.0/8")
    expect(ignoredBy(list, "2001:db8:1::/48")?.text).toBe("2001:db8::/32")
  })

  it("a range is covered when it contains an entry (banning 0.0.0.0/0 would ban loopback too)", () => {
    const list = listOf("127.0.0.1/8", "192.0.2.7", "::1")
    expect(ignoredBy(list, "0.0.0.0/0")?.text).toBe("127.0.0.1/8")
    expect(ignoredBy(list, "126.0.0.0/7")?.text).toBe("127.0.0.1/8")
    expect(ignoredBy(list, "192.0.2.0/24")?.text).toBe("192.0.2.7")
    expect(ignoredBy(list, "::/0")?.text).toBe("127.0.0.1/8")
    expect(ignoredBy(list, "::/127")?.text).toBe("::1")
  })

  it("a range beside every entry is not covered", () => {
    const list = listOf("127.0.0.1/8", "192.0.2.7", "::1")
    expect(ignoredBy(list, "128.0.0.0/2")).toBeUndefined()
    expect(ignoredBy(list, "192.0.2.8/29")).toBeUndefined()
    expect(ignoredBy(list, "2001:db8::/32")).toBeUndefined()
  })

  it("names the first entry in list order that covers the value", () => {
    const list = listOf("10.0.0.0/8", "10.1.0.0/16")
    expect(ignoredBy(list, "10.1.2.3")?.text).toBe("10.0.0.0/8")
    expect(ignoredBy(listOf("10.1.0.0/16", "10.0.0.0/8"), "10.1.2.3")?.text).toBe("10.1.0.0/16")
  })

  it("a value that is not an address is never covered (the types stage decides about it)", () => {
    const all = listOf("0.0.0.0/0", "::/0")
    for (const value of ["", "localhost", "127.0.0.1 ", "fe80::1%lo", "127.0.0.1/33", "127.0.0.1/8/8"]) {
      expect(ignoredBy(all, value)).toBeUndefined()
    }
  })

  it("an empty list covers nothing", () => {
    expect(ignoredBy(listOf(), "127.0.0.1")).toBeUndefined()
    expect(ignoredBy(listOf(), "0.0.0.0/0")).toBeUndefined()
  })
})

describe("ignoredBy reads every IPv6 spelling (it compares bits, not text)", () => {
  it("compressed, expanded, upper-case and dotted-tail forms of one address are the same address", () => {
    const list = makeIgnoreList(["2001:db8::/120", "::ffff:10.0.0.0/104"].map((text) => Either.getOrThrow(parseRange(text))))
    for (const value of ["2001:db8::7", "2001:0db8:0000:0000:0000:0000:0000:0007", "2001:DB8::7", "2001:db8:0:0::7", "2001:db8::0.0.0.7"]) {
      expect(ignoredBy(list, value)?.text).toBe("2001:db8::/120")
    }
    for (const value of ["10.1.2.3", "::ffff:10.1.2.3", "::ffff:a01:203", "0:0:0:0:0:ffff:10.1.2.3"]) {
      expect(ignoredBy(list, value)?.text).toBe("::ffff:10.0.0.0/104")
    }
    for (const value of ["2001:db8::1:7", "2001:db9::7", "::10.1.2.3", "11.1.2.3"]) expect(ignoredBy(list, value)).toBeUndefined()
  })
})
