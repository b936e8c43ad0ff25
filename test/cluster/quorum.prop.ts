/**
 * The quorum table against a model that rereads the whole history at every
 * message: the statement of when an action is held, runs, or is skipped.
 */
import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { countOrigin, emptyQuorumTable, pruneQuorum, type QuorumRule, type QuorumTable, type QuorumVerdict } from "../../src/cluster/quorum.js"

interface Event {
  readonly key: string
  readonly origin: string
  readonly atMs: number
}

const events = (maxOrigins: number) =>
  fc
    .array(
      fc.record({
        key: fc.constantFrom("ban 192.0.2.1", "ban 192.0.2.2"),
        origin: fc.integer({ min: 1, max: maxOrigins }).map((n) => `host${n}`),
        step: fc.integer({ min: 0, max: 4000 })
      }),
      { maxLength: 60 }
    )
    .map((raw) => {
      let at = 1_000_000
      return raw.map(({ key, origin, step }): Event => ({ key, origin, atMs: (at += step) }))
    })

const rules = fc.record({ origins: fc.integer({ min: 2, max: 4 }), windowMs: fc.integer({ min: 1000, max: 20_000 }) })

/** The model: every verdict from the history so far, with no table. */
const modelVerdicts = (history: ReadonlyArray<Event>, rule: QuorumRule): ReadonlyArray<QuorumVerdict["_tag"]> => {
  const verdicts: Array<QuorumVerdict["_tag"]> = []
  history.forEach((event, i) => {
    const earlier = history.slice(0, i).map((e, j) => ({ ...e, verdict: verdicts[j]! })).filter((e) => e.key === event.key)
    const lastRun = earlier.filter((e) => e.verdict === "Run").at(-1)
    if (lastRun !== undefined && event.atMs - lastRun.atMs < rule.windowMs) return verdicts.push("Skipped")
    const afterRun = lastRun === undefined ? earlier : earlier.slice(earlier.lastIndexOf(lastRun) + 1)
    const counted = new Set(
      afterRun.filter((e) => e.verdict === "Held" && event.atMs - e.atMs < rule.windowMs).map((e) => e.origin)
    )
    counted.add(event.origin)
    verdicts.push(counted.size >= rule.origins ? "Run" : "Held")
  })
  return verdicts
}

const run = (history: ReadonlyArray<Event>, rule: QuorumRule, prune = false): ReadonlyArray<QuorumVerdict> => {
  let table: QuorumTable = emptyQuorumTable
  return history.map((event) => {
    if (prune) table = pruneQuorum(table, rule, event.atMs)
    const next = countOrigin(table, rule, event.key, event.origin, event.atMs)
    table = next.table
    return next.verdict
  })
}

describe("quorum of origins", () => {
  it("holds, runs and skips exactly as the history says (model)", () => {
    fc.assert(
      fc.property(events(5), rules, (history, rule) => {
        expect(run(history, rule).map((v) => v._tag)).toEqual(modelVerdicts(history, rule))
      })
    )
  })

  it("pruning the table at any message changes no verdict", () => {
    fc.assert(
      fc.property(events(5), rules, (history, rule) => {
        expect(run(history, rule, true)).toEqual(run(history, rule))
      })
    )
  })

  it("messages from one origin never make a quorum, however many and however replayed", () => {
    fc.assert(
      fc.property(events(1), rules, (history, rule) => {
        expect(run(history, rule).every((v) => v._tag === "Held")).toBe(true)
      })
    )
  })

  it("a replay of the first origin's message is counted once: held 1 of 2, flagged as repeated", () => {
    const rule = { origins: 2, windowMs: 600_000 }
    const first = countOrigin(emptyQuorumTable, rule, "k", "a", 0)
    const replay = countOrigin(first.table, rule, "k", "a", 1000)
    expect(replay.verdict).toEqual({ _tag: "Held", counted: 1, needed: 2, repeated: true })
    const second = countOrigin(replay.table, rule, "k", "b", 2000)
    expect(second.verdict).toEqual({ _tag: "Run", counted: 2 })
    expect(countOrigin(second.table, rule, "k", "c", 3000).verdict._tag).toBe("Skipped")
  })

  it("a hold expires after the window: a second origin later than that starts a new count", () => {
    const rule = { origins: 2, windowMs: 10_000 }
    const first = countOrigin(emptyQuorumTable, rule, "k", "a", 0)
    expect(countOrigin(first.table, rule, "k", "b", 10_000).verdict).toMatchObject({ _tag: "Held", counted: 1 })
    expect(countOrigin(first.table, rule, "k", "b", 9_999).verdict).toMatchObject({ _tag: "Run", counted: 2 })
  })
})
