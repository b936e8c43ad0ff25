/**
 * The log's rate limit in the planner: a flood of one kind of rejection logs at most
 * `perWindow` lines per window, counts the rest, and the next chunk after the window sums them up.
 */
import * as LogLevel from "effect/LogLevel"
import { describe, expect, it } from "vitest"
import { decideChunk } from "../../src/decide/chunk.js"
import { SHOWN_PREFIX } from "../../src/text/untrusted.js"
import { makeSeenTable } from "../../src/trust/index.js"
import { decoded, deliveryOf, NOW_MS, planOf } from "./plans.js"

const plan = planOf(decoded(`
servers:
  - host: hub1
    port: 1986
    channels:
      - name: Open
        action: "ban %ip%"
`))
const seen = makeSeenTable(100)
const bad = (n: number) => Array.from({ length: n }, (_, i) => deliveryOf("Open", `ip=192.0.2.${i % 250}, jail=\u0001${"x".repeat(60_000)}`))
const lineTexts = (steps: ReadonlyArray<{ _tag: string; lines?: ReadonlyArray<{ message: string }> }>) =>
  steps.flatMap((step) => (step.lines ?? []).map((line) => line.message))

describe("decideChunk's log rate limit", () => {
  it("logs 20 lines of a kind per 10 s, counts every delivery, and sums up the rest when the window has ended", () => {
    const first = decideChunk({ plan, deliveries: bad(50), nowMs: NOW_MS, minLevel: LogLevel.Info, seen })
    expect(first.counts).toEqual([{ outcome: "rejected", stage: "types", label: "rejected at types", n: 50 }])
    expect(lineTexts(first.steps as never)).toHaveLength(20)
    expect([...first.suppressed]).toEqual([["rejected at types", 30]])

    // Within the window: still suppressed, and counted.
    const second = decideChunk({ plan, deliveries: bad(5), nowMs: NOW_MS + 9_999, minLevel: LogLevel.Info, seen, limit: first.limit })
    expect(lineTexts(second.steps as never)).toEqual([])
    expect([...second.suppressed]).toEqual([["rejected at types", 5]])
    expect(second.counts[0]!.n).toBe(5)

    // The window has ended: an empty chunk (the daemon's tick) says how many were held back, at their level.
    const tick = decideChunk({ plan, deliveries: [], nowMs: NOW_MS + 10_000, minLevel: LogLevel.Info, seen, limit: second.limit })
    expect(tick.steps).toEqual([
      { _tag: "Log", lines: [{ level: LogLevel.Warning, message: "… and 35 more rejected at types in the last 10 s", annotations: {} }] }
    ])
    // And a new window starts.
    const third = decideChunk({ plan, deliveries: bad(3), nowMs: NOW_MS + 10_001, minLevel: LogLevel.Info, seen, limit: tick.limit })
    expect(lineTexts(third.steps as never)).toHaveLength(3)
  })

  it("the summary comes before the new lines when a chunk arrives after the window", () => {
    const first = decideChunk({ plan, deliveries: bad(21), nowMs: NOW_MS, minLevel: LogLevel.Info, seen })
    const next = decideChunk({ plan, deliveries: bad(1), nowMs: NOW_MS + 60_000, minLevel: LogLevel.Info, seen, limit: first.limit })
    const texts = lineTexts(next.steps as never)
    expect(texts[0]).toBe("… and 1 more rejected at types in the last 10 s")
    expect(texts[1]).toMatch(/^rejected at types: jail=/)
  })

  it("kinds are limited apart: a flood at types does not hide a filter line", () => {
    const out = decideChunk({
      plan,
      deliveries: [...bad(30), deliveryOf("Open", "ip=192.0.2.9, jail=sshd, _ts=1")],
      nowMs: NOW_MS,
      minLevel: LogLevel.Info,
      seen
    })
    expect(lineTexts(out.steps as never).filter((text) => text.startsWith("rejected at types"))).toHaveLength(20)
  })

  it("at debug level every line is logged (the operator asked for everything)", () => {
    const out = decideChunk({ plan, deliveries: bad(30), nowMs: NOW_MS, minLevel: LogLevel.Debug, seen })
    expect(lineTexts(out.steps as never)).toHaveLength(30)
    expect(out.suppressed.size).toBe(0)
  })

  it("lines below the level neither use the budget nor count as suppressed", () => {
    const out = decideChunk({ plan, deliveries: bad(30), nowMs: NOW_MS, minLevel: LogLevel.Error, seen })
    expect(out.steps).toEqual([])
    expect(out.suppressed.size).toBe(0)
  })

  it("a line shows a bounded prefix of the message, with its whole length", () => {
    const out = decideChunk({ plan, deliveries: bad(1), nowMs: NOW_MS, minLevel: LogLevel.Info, seen })
    const step = out.steps[0]!
    if (step._tag !== "Log") throw new Error("expected a Log step")
    const message = step.lines[0]!.annotations["message"]!
    expect(message.length).toBeLessThan(SHOWN_PREFIX + 20)
    expect(message).toMatch(/…\(60020 chars\)$/)
  })
})
