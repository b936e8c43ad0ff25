/**
 * The daemon's quorum table: bounded by quorum_max_entries (entries past their window go first,
 * then the oldest count, logged), and the figures `daemon status` shows.
 */
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Logger from "effect/Logger"
import { countHold, type Hold } from "../../src/cluster/quorum.js"
import { makeQuorumHolds } from "../../src/daemon/quorum.js"

const RULE = { origins: 2, windowMs: 10_000 }
const held = (origin: string, atMs: number): Hold => countHold(undefined, RULE, origin, atMs).hold

/** Runs `effect` and returns the messages it logged. */
const logged = (effect: Effect.Effect<void>): ReadonlyArray<string> => {
  const lines: Array<string> = []
  const logger = Logger.make(({ message }) => void lines.push(String(Array.isArray(message) ? message[0] : message)))
  Effect.runSync(effect.pipe(Effect.provide(Logger.replace(Logger.defaultLogger, logger))))
  return lines
}

describe("the quorum table", () => {
  it("keeps at most quorum_max_entries: the oldest count is forgotten, logged at the first and every 10 000th", () => {
    const table = makeQuorumHolds(3)
    const lines = logged(Effect.forEach([0, 1, 2, 3, 4], (i) => table.record({ key: `k${i}`, hold: held("a", 1000 + i), windowMs: RULE.windowMs }, 1000 + i), { discard: true }))
    expect(["k0", "k1", "k2", "k3", "k4"].map((k) => table.view.holdOf(k) !== undefined)).toEqual([false, false, true, true, true])
    expect(lines).toEqual([
      "quorum table full (quorum_max_entries 3): 1 held quorum(s) forgotten before their window ended so far; raise quorum_max_entries"
    ])
  })

  it("drops entries past their window before forgetting a live one, and a count moves its action to the back", () => {
    const table = makeQuorumHolds(2)
    const record = (key: string, hold: Hold, nowMs: number) => table.record({ key, hold, windowMs: RULE.windowMs }, nowMs)
    // "old" is past its window at 10 000: it goes, and nothing live is forgotten (nothing logged).
    expect(logged(Effect.all([record("old", held("a", 0), 0), record("live", held("a", 5000), 5000), record("new", held("a", 10_000), 10_000)]))).toEqual([])
    expect(["old", "live", "new"].filter((k) => table.view.holdOf(k) !== undefined)).toEqual(["live", "new"])
    // Counted again, "live" takes no room (nothing forgotten) and is now the newest count ...
    expect(logged(record("live", countHold(held("a", 5000), RULE, "a", 11_000).hold, 11_000))).toEqual([])
    // ... so when the table is full, the oldest count ("new") is forgotten.
    expect(logged(record("other", held("b", 11_000), 11_000))).toHaveLength(1)
    expect(["live", "new", "other"].filter((k) => table.view.holdOf(k) !== undefined)).toEqual(["live", "other"])
  })

  it("counts held actions (not runs, not expired ones) and the first origin of the oldest", () => {
    const table = makeQuorumHolds(10)
    const ran = countHold(held("a", 1000), RULE, "b", 2000).hold
    Effect.runSync(Effect.all([
      table.record({ key: "h1", hold: countHold(held("a", 3000), RULE, "a", 4000).hold, windowMs: RULE.windowMs }, 4000),
      table.record({ key: "h2", hold: held("a", 5000), windowMs: RULE.windowMs }, 5000),
      table.record({ key: "ran", hold: ran, windowMs: RULE.windowMs }, 2000)
    ], { discard: true }))
    expect(table.figures(6000)).toEqual({ held: 2, oldestMs: 4000 })
    expect(table.figures(14_000)).toEqual({ held: 1, oldestMs: 5000 })
    expect(table.figures(15_000)).toEqual({ held: 0, oldestMs: undefined })
  })
})
