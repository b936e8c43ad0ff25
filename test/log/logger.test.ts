/**
 * The line logger (operations.md): one line per event with timestamp, level,
 * component, server and channel; network text can never forge a line.
 */
import { describe, expect, it, vi } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Logger from "effect/Logger"
import * as LogLevel from "effect/LogLevel"
import { makeLogger, toLogLevel, withStderr } from "../../src/log/logger.js"

const capture = (effect: Effect.Effect<void>, level: LogLevel.LogLevel = LogLevel.All) => {
  const lines: Array<string> = []
  const logger = makeLogger({ write: (line) => lines.push(line), reopen: () => undefined })
  return Effect.as(
    effect.pipe(Effect.provide(Logger.replace(Logger.defaultLogger, logger)), Logger.withMinimumLogLevel(level)),
    lines
  )
}

describe("line logger", () => {
  it.effect("prints timestamp, level, [component], server= and channel= before the message", () =>
    Effect.gen(function* () {
      const lines = yield* capture(
        Effect.logInfo("action executed").pipe(
          Effect.annotateLogs({ component: "exec", server: "hub1:1986", channel: "Fail2ban", argv: ["a", "b c"], exit: 0 })
        )
      )
      expect(lines).toHaveLength(1)
      expect(lines[0]).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z INFO  \[exec\] server=hub1:1986 channel=Fail2ban action executed /)
      // The other annotations follow in any order; arrays print as JSON.
      expect(lines[0]).toContain(' argv=["a","b c"]')
      expect(lines[0]).toContain(" exit=0")
      expect(lines[0]!.endsWith("\n")).toBe(true)
    })
  )

  it.effect("shows the invisible format characters escaped (U+00AD, U+200B–U+200D, U+2060, U+FEFF)", () =>
    Effect.gen(function* () {
      const lines = yield* capture(Effect.logWarning("x").pipe(Effect.annotateLogs({ message: "a\u00adb\u200bc\u200cd\u200de\u2060f\ufeffg" })))
      expect(lines[0]).toContain('message="a\\xadb\\u200bc\\u200cd\\u200de\\u2060f\\ufeffg"')
    })
  )

  it.effect("escapes control characters, C1 controls and line separators from network text", () =>
    Effect.gen(function* () {
      const hostile = "x\nFAKE ERROR\r\u001b[31m\u009b2J\u2028y"
      const lines = yield* capture(Effect.logWarning(`rejected: ${hostile}`).pipe(Effect.annotateLogs({ message: hostile })))
      expect(lines).toHaveLength(1)
      const line = lines[0]!
      expect(line.slice(0, -1)).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/)
      expect(line).toContain("rejected: x\\x0aFAKE ERROR\\x0d\\x1b[31m\\x9b2J\\u2028y")
    })
  )

  it.effect("maps the seed's log_level 0..3 to error, warning, info, debug", () =>
    Effect.gen(function* () {
      const all = Effect.all([Effect.logError("e"), Effect.logWarning("w"), Effect.logInfo("i"), Effect.logDebug("d")])
      const counts: Array<number> = []
      for (const level of [0, 1, 2, 3] as const) counts.push((yield* capture(Effect.asVoid(all), toLogLevel(level))).length)
      expect(counts).toEqual([1, 2, 3, 4])
    })
  )
})

describe("withStderr (publish's logger, without a Layer)", () => {
  it("writes f2bc lines to stderr, at the level's threshold", async () => {
    const written: Array<string> = []
    const spy = vi.spyOn(process.stderr, "write").mockImplementation((chunk) => (written.push(String(chunk)), true))
    try {
      const logs = Effect.all([Effect.logWarning("kept"), Effect.logInfo("below the level")])
      await Effect.runPromise(logs.pipe(withStderr(1)))
      await new Promise((resolve) => setImmediate(resolve)) // the sink writes once per turn
    } finally {
      spy.mockRestore()
    }
    const text = written.join("")
    expect(text).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z WARN  kept\n$/)
  })
})
