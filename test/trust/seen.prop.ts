/**
 * Property test of the security.md dedupe table against a simple model, over
 * arbitrary sequences of lookups and records (pinned or not): same answers, same eviction counts, never above capacity.
 */
import { FastCheck as fc } from "effect"
import { describe, expect, it } from "vitest"
import { makeSeenTable } from "../../src/trust/index.js"

const NUM_RUNS = 300

type Op =
  | { readonly _tag: "seenAt"; readonly key: string; readonly advance: number }
  | {
    readonly _tag: "record"
    readonly key: string
    readonly advance: number
    readonly lifetime: number
    readonly pinned: boolean
  }

const key = fc.constantFrom("a", "b", "c", "d", "e", "f")
const advance = fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 60 }))
const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ _tag: fc.constant("seenAt" as const), key, advance }),
  // Lifetimes in any order (out of insertion order, as on a signed channel), some already over.
  fc.record({
    _tag: fc.constant("record" as const),
    key,
    advance,
    lifetime: fc.integer({ min: -10, max: 200 }),
    pinned: fc.boolean()
  })
)

interface Entry {
  readonly key: string
  readonly at: number
  readonly expires: number
  readonly pinned: boolean
}

/**
 * The specification, as one list in recording order: an entry is seen until
 * it expires; recording forgets every expired entry, then, while the table is
 * full, evicts the oldest unpinned entry, or the oldest pinned one only to
 * record a pinned key (an unpinned key meeting a table full of pinned ones is not recorded).
 */
const makeModel = (capacity: number) => {
  let entries: Array<Entry> = []
  return {
    seenAt: (k: string, now: number): number | undefined => {
      const entry = entries.find((e) => e.key === k)
      return entry !== undefined && entry.expires > now ? entry.at : undefined
    },
    record: (k: string, now: number, expires: number, pinned: boolean): number => {
      entries = entries.filter((e) => e.key !== k && e.expires > now)
      let evicted = 0
      while (entries.length >= capacity) {
        const victim = entries.findIndex((e) => !e.pinned)
        if (victim !== -1) entries.splice(victim, 1)
        else if (pinned) entries.shift()
        else return evicted
        evicted++
      }
      entries.push({ key: k, at: now, expires, pinned })
      return evicted
    },
    live: (now: number): number => entries.filter((e) => e.expires > now).length
  }
}

describe("security.md dedupe table (properties)", () => {
  it("answers and evicts exactly as the model does (pinned or not), and never holds more than its capacity", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 5 }), fc.array(op, { maxLength: 60 }), (capacity, ops) => {
        const table = makeSeenTable(capacity)
        const model = makeModel(capacity)
        let now = 1_000
        for (const step of ops) {
          now += step.advance
          if (step._tag === "seenAt") {
            expect(table.seenAt(step.key, now)).toBe(model.seenAt(step.key, now))
          } else {
            expect(table.record(step.key, now, now + step.lifetime, step.pinned)).toBe(
              model.record(step.key, now, now + step.lifetime, step.pinned)
            )
          }
          expect(table.size()).toBeLessThanOrEqual(capacity)
          expect(table.size()).toBeGreaterThanOrEqual(model.live(now))
        }
      }),
      { numRuns: NUM_RUNS }
    )
  })

  it("a key recorded with room to spare is seen for its whole lifetime", () => {
    fc.assert(
      fc.property(fc.uniqueArray(key, { minLength: 1, maxLength: 6 }), fc.integer({ min: 10, max: 10_000 }), (keys, lifetime) => {
        const table = makeSeenTable(keys.length)
        keys.forEach((k, i) => expect(table.record(k, i, lifetime + 10 * i)).toBe(0))
        keys.forEach((k, i) => {
          expect(table.seenAt(k, lifetime + 10 * i - 1)).toBe(i)
          expect(table.seenAt(k, lifetime + 10 * i)).toBeUndefined()
        })
      }),
      { numRuns: NUM_RUNS }
    )
  })
})
