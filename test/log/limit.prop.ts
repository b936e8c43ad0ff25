/**
 * The rate limit as a state machine (`log/limit.ts`), against arbitrary
 * sequences of lines in time: never more than `perWindow` lines of a kind in
 * a window, and every line either logged or summed up in exactly one summary.
 */
import { FastCheck as fc } from "effect"
import * as LogLevel from "effect/LogLevel"
import { describe, expect, it } from "vitest"
import { emptyLimit, Limiter, type LimitPolicy } from "../../src/log/limit.js"

const policy: LimitPolicy = { windowMs: 1000, perWindow: 3 }
const events = fc.array(fc.tuple(fc.integer({ min: 0, max: 700 }), fc.constantFrom("a", "b", "c"), fc.integer({ min: 1, max: 6 })), { maxLength: 60 })

describe("the log's rate limit", () => {
  it("bounds the lines per window and accounts for every line once", () => {
    fc.assert(
      fc.property(events, ([...batches]) => {
        let state = emptyLimit
        let now = 0
        const logged: Array<readonly [number, string]> = []
        let total = 0
        let summed = 0
        const summary = /^… and (\d+) more (\w) in the last 1 s$/
        for (const [dt, kind, n] of batches) {
          now += dt
          const limiter = new Limiter(state, now, policy)
          for (const line of limiter.summaries) summed += Number(summary.exec(line.message)![1])
          for (let i = 0; i < n; i++) {
            total++
            if (limiter.admit(kind, LogLevel.Warning)) logged.push([now, kind])
          }
          state = limiter.state()
        }
        const end = new Limiter(state, Number.POSITIVE_INFINITY, policy)
        for (const line of end.summaries) summed += Number(summary.exec(line.message)![1])
        expect(logged.length + summed).toBe(total)
        // Any span shorter than a window meets at most two windows, so holds at most 2 × perWindow lines of a kind.
        const most = 2 * policy.perWindow
        for (const kind of ["a", "b", "c"]) {
          const times = logged.filter(([, k]) => k === kind).map(([t]) => t)
          for (let i = most; i < times.length; i++) expect(times[i]! - times[i - most]!).toBeGreaterThanOrEqual(policy.windowMs)
        }
      })
    )
  })
})
