/**
 * logLines hands each line to the loggers exactly as Effect.logWithLevel
 * with annotateLogs does: same level, text, annotations (the fiber's and
 * the line's), spans, and the same minimum level.
 */
import * as Effect from "effect/Effect"
import * as HashMap from "effect/HashMap"
import * as Logger from "effect/Logger"
import * as LogLevel from "effect/LogLevel"
import { describe, expect, it } from "vitest"
import { logLines, type LogLine } from "../../src/log/batch.js"

interface Seen {
  readonly level: string
  readonly message: string
  readonly annotations: Record<string, unknown>
  readonly spans: ReadonlyArray<string>
}

/** Runs `effect` with a logger that records what it is given, at minimum level `minimum`. */
const capture = (effect: Effect.Effect<void>, minimum: LogLevel.LogLevel): ReadonlyArray<Seen> => {
  const seen: Array<Seen> = []
  const recorder = Logger.make<unknown, void>((options) => {
    const messages = Array.isArray(options.message) ? options.message : [options.message]
    seen.push({
      level: options.logLevel.label,
      message: messages.map(String).join(" "),
      annotations: Object.fromEntries(HashMap.toEntries(options.annotations)),
      spans: [...options.spans].map((span) => span.label)
    })
  })
  Effect.runSync(
    effect.pipe(
      Effect.annotateLogs({ component: "daemon", server: "127.0.0.1:1986" }),
      Effect.withLogSpan("serve"),
      Logger.withMinimumLogLevel(minimum),
      Effect.provide(Logger.replace(Logger.defaultLogger, recorder))
    )
  )
  return seen
}

const lines: ReadonlyArray<LogLine> = [
  { level: LogLevel.Info, message: "rejected at filter: jail=\"x\" is not one of [sshd] (server filter)", annotations: { channel: "Fail2ban", message: "jail=x, ip=192.0.2.7" } },
  { level: LogLevel.Warning, message: "rejected at types: ip=\"nope\" is not an IP address", annotations: { channel: "Fail2ban", message: "ip=nope", key: "ip" } },
  { level: LogLevel.Debug, message: "ignored: delivery on unconfigured channel \"Other\"", annotations: {} }
]

const oneByOne = Effect.forEach(lines, (line) => Effect.logWithLevel(line.level, line.message).pipe(Effect.annotateLogs(line.annotations)), {
  discard: true
})

describe("logLines (a chunk's decisions logged in one Effect)", () => {
  it.each([LogLevel.Debug, LogLevel.Info, LogLevel.Warning, LogLevel.Error])("gives the loggers what Effect.logWithLevel gives them, at minimum level %s", (minimum) => {
    const batched = capture(logLines(lines, Date.now()), minimum)
    expect(batched).toEqual(capture(oneByOne, minimum))
    expect(batched.length).toBe(lines.filter((line) => LogLevel.greaterThanEqual(line.level, minimum)).length)
  })

  it("keeps the fiber's annotations and adds each line's own", () => {
    const [first] = capture(logLines(lines, Date.now()), LogLevel.Info)
    expect(first?.annotations).toEqual({ component: "daemon", server: "127.0.0.1:1986", channel: "Fail2ban", message: "jail=x, ip=192.0.2.7" })
    expect(first?.spans).toEqual(["serve"])
  })
})
