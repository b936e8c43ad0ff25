/**
 * Property tests of filter evaluation: configuration.md's formula stated directly against the
 * implementation, for arbitrary filters and field maps over small alphabets (so hits are common).
 */
import { FastCheck as fc } from "effect"
import { describe, expect, it } from "vitest"
import { checkFilters, evaluateFilter } from "../../src/filter/index.js"
import type { Filter } from "../../src/filter/index.js"

const key = fc.constantFrom("jail", "action", "ip", "Jail")
const val = fc.constantFrom("sshd", "banip", "unbanip", "SSHD", "", "1")

const filter: fc.Arbitrary<Filter> = fc.array(
  fc.record({ key, values: fc.array(val, { maxLength: 3 }) }),
  { maxLength: 4 }
)
const fields: fc.Arbitrary<ReadonlyMap<string, string>> = fc
  .array(fc.tuple(key, val), { maxLength: 4 })
  .map((entries) => new Map(entries))

/** configuration.md: AND across entries, OR within an entry, exact comparison. */
const formula = (f: Filter, m: ReadonlyMap<string, string>): boolean =>
  f.every((e) => m.has(e.key) && e.values.includes(m.get(e.key)!))

const entryFails = (f: Filter, m: ReadonlyMap<string, string>, k: string): boolean =>
  f.some((e) => e.key === k && !formula([e], m))

const NUM_RUNS = 1000

describe("configuration.md filters (properties)", () => {
  it("evaluateFilter(f, m).pass = every entry's key is present with one of its values", () => {
    fc.assert(
      fc.property(filter, fields, (f, m) => {
        expect(evaluateFilter(f, m).pass).toBe(formula(f, m))
      }),
      { numRuns: NUM_RUNS }
    )
  })

  it("a rejection names a key whose entry fails, with the message's value for it (undefined when absent)", () => {
    fc.assert(
      fc.property(filter, fields, (f, m) => {
        const result = evaluateFilter(f, m)
        if (result.pass) return
        expect(entryFails(f, m, result.key)).toBe(true)
        expect(result.value).toBe(m.get(result.key))
      }),
      { numRuns: NUM_RUNS }
    )
  })

  it("checkFilters passes iff the message passes both the server's and the channel's filter", () => {
    fc.assert(
      fc.property(filter, filter, fields, (server, channel, m) => {
        const verdict = checkFilters({ server, channel }, m)
        expect(verdict._tag === "Pass").toBe(formula(server, m) && formula(channel, m))
      }),
      { numRuns: NUM_RUNS }
    )
  })

  it("a rejection has scope server whenever the server filter fails, else channel; its key fails in that scope", () => {
    fc.assert(
      fc.property(filter, filter, fields, (server, channel, m) => {
        const verdict = checkFilters({ server, channel }, m)
        if (verdict._tag === "Pass") return
        const failing = formula(server, m) ? channel : server
        expect(verdict.scope).toBe(formula(server, m) ? "channel" : "server")
        expect(entryFails(failing, m, verdict.key)).toBe(true)
        expect(verdict.value).toBe(m.get(verdict.key))
      }),
      { numRuns: NUM_RUNS }
    )
  })
})
