/**
 * security.md replay and dedupe: the table of executed ids remembers each until
 * it expires, never holds more than its capacity, and counts the live entries it evicts.
 */
import { describe, expect, it } from "vitest"
import { makeSeenTable } from "../../src/trust/index.js"

describe("security.md dedupe table: makeSeenTable", () => {
  it("an unknown key was not seen", () => {
    expect(makeSeenTable(10).seenAt("a", 0)).toBeUndefined()
  })

  it("a recorded key is seen, with the time it was recorded, until just before it expires", () => {
    const seen = makeSeenTable(10)
    expect(seen.record("a", 1_000, 5_000)).toBe(0)
    expect(seen.seenAt("a", 1_000)).toBe(1_000)
    expect(seen.seenAt("a", 4_999)).toBe(1_000)
    expect(seen.seenAt("a", 5_000)).toBeUndefined()
    expect(seen.seenAt("a", 1_000)).toBeUndefined()
    expect(seen.size()).toBe(0)
  })

  it("recording a key again replaces its time and expiry (it does not count twice)", () => {
    const seen = makeSeenTable(10)
    seen.record("a", 0, 1_000)
    seen.record("a", 500, 3_000)
    expect(seen.size()).toBe(1)
    expect(seen.seenAt("a", 2_000)).toBe(500)
  })

  it("recording sweeps expired entries first, so they do not take room", () => {
    const seen = makeSeenTable(2)
    seen.record("a", 0, 100)
    seen.record("b", 0, 100)
    expect(seen.record("c", 100, 200)).toBe(0)
    expect(seen.size()).toBe(1)
  })

  it("when full, the oldest live entry is evicted, and the eviction is counted", () => {
    const seen = makeSeenTable(2)
    seen.record("a", 0, 1_000)
    seen.record("b", 1, 1_000)
    expect(seen.record("c", 2, 1_000)).toBe(1)
    expect(seen.size()).toBe(2)
    expect(seen.seenAt("a", 3)).toBeUndefined()
    expect(seen.seenAt("b", 3)).toBe(1)
    expect(seen.seenAt("c", 3)).toBe(2)
  })

  it("a capacity of one keeps only the latest key", () => {
    const seen = makeSeenTable(1)
    seen.record("a", 0, 1_000)
    expect(seen.record("b", 1, 1_000)).toBe(1)
    expect(seen.seenAt("a", 2)).toBeUndefined()
    expect(seen.seenAt("b", 2)).toBe(1)
  })

  it("an expired entry behind a live one makes room before any live entry is evicted", () => {
    // Expiries are not in insertion order: a signed message is kept until its _ts leaves the skew window.
    const seen = makeSeenTable(2)
    seen.record("long", 0, 10_000)
    seen.record("short", 1, 100)
    expect(seen.record("new", 200, 10_000)).toBe(0)
    expect(seen.seenAt("long", 201)).toBe(0)
    expect(seen.seenAt("new", 201)).toBe(200)
    expect(seen.size()).toBe(2)
  })

  it("a pinned entry (a signed channel's replay guard) is never evicted to make room for an unpinned one", () => {
    const seen = makeSeenTable(2)
    seen.record("signed", 0, 10_000, true)
    seen.record("open-1", 1, 10_000)
    expect(seen.record("open-2", 2, 10_000)).toBe(1)
    expect(seen.seenAt("signed", 3)).toBe(0)
    expect(seen.seenAt("open-1", 3)).toBeUndefined()
    expect(seen.seenAt("open-2", 3)).toBe(2)
  })

  it("an unpinned key that meets a table full of pinned entries is not recorded", () => {
    const seen = makeSeenTable(2)
    seen.record("signed-1", 0, 10_000, true)
    seen.record("signed-2", 1, 10_000, true)
    expect(seen.record("open", 2, 10_000)).toBe(0)
    expect(seen.seenAt("open", 3)).toBeUndefined()
    expect(seen.seenAt("signed-1", 3)).toBe(0)
    expect(seen.size()).toBe(2)
  })

  it("a pinned key evicts the oldest unpinned entry first, then the oldest pinned one", () => {
    const seen = makeSeenTable(2)
    seen.record("signed-1", 0, 10_000, true)
    seen.record("open", 1, 10_000)
    expect(seen.record("signed-2", 2, 10_000, true)).toBe(1)
    expect(seen.seenAt("open", 3)).toBeUndefined()
    expect(seen.record("signed-3", 3, 10_000, true)).toBe(1)
    expect(seen.seenAt("signed-1", 4)).toBeUndefined()
    expect(seen.seenAt("signed-2", 4)).toBe(2)
    expect(seen.seenAt("signed-3", 4)).toBe(3)
  })
})

describe("a full table under a stream of fresh ids (the recording-order queue, compacted as it is consumed)", () => {
  it("keeps exactly the newest `capacity` ids through thousands of evictions", () => {
    const table = makeSeenTable(10)
    let evicted = 0
    for (let i = 0; i < 5000; i++) evicted += table.record(`id${i}`, 0, 1_000_000)
    expect(table.size()).toBe(10)
    expect(evicted).toBe(4990)
    for (let i = 4990; i < 5000; i++) expect(table.seenAt(`id${i}`, 1)).toBe(0)
    expect(table.seenAt("id4989", 1)).toBeUndefined()
    expect(table.seenAt("id0", 1)).toBeUndefined()
  })

  it("skips ids recorded again or expired when it looks for the oldest", () => {
    const table = makeSeenTable(3)
    table.record("a", 0, 100)
    table.record("b", 0, 1_000)
    table.record("a", 10, 1_000) // recorded again: now the newest
    table.record("c", 20, 1_000)
    expect(table.record("d", 30, 1_000)).toBe(1) // evicts b, the oldest live id
    expect(table.seenAt("b", 31)).toBeUndefined()
    expect(table.seenAt("a", 31)).toBe(10)
    expect(table.seenAt("c", 31)).toBe(20)
    expect(table.seenAt("d", 31)).toBe(30)
  })
})
