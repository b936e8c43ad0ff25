/**
 * The f2bc logger: one line per event with timestamp, level, component and the
 * server/channel it concerns, written to stderr or to `log_file` (docs/operations.md, logging).
 */
import * as Cause from "effect/Cause"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as FiberRef from "effect/FiberRef"
import * as HashMap from "effect/HashMap"
import * as HashSet from "effect/HashSet"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import * as LogLevel from "effect/LogLevel"
import * as Option from "effect/Option"
import { openSink, stderrSink, type LogSink, type LogSinkError } from "./sink.js"
import { escapeUnsafe } from "../text/untrusted.js"

/** The seed's `log_level` table: 0 errors, 1 warnings, 2 info, 3 debug. */
export type SeedLogLevel = 0 | 1 | 2 | 3

export const toLogLevel = (level: SeedLogLevel): LogLevel.LogLevel => {
  switch (level) {
    case 0:
      return LogLevel.Error
    case 1:
      return LogLevel.Warning
    case 2:
      return LogLevel.Info
    case 3:
      return LogLevel.Debug
  }
}

// Annotations printed first, in this order; the rest follow as key=value.
const LEADING = ["component", "server", "channel"] as const

// Network input reaches log lines: escape C0 and C1 control characters, the
// Unicode line separators and the bidirectional formatting characters, so a
// message can never forge a second log line, a terminal escape sequence, or
// text that reads differently from what it is.
// (`text/untrusted.ts` holds the rule, shared with the values a message may carry.)

const show = (value: unknown): string => {
  if (typeof value === "string") return value
  if (typeof value === "number" || typeof value === "boolean" || typeof value === "bigint") return String(value)
  try {
    return JSON.stringify(value) ?? String(value)
  } catch {
    return String(value)
  }
}

const quoteIfNeeded = (text: string): string => (/[\s"=]/.test(text) || text === "" ? JSON.stringify(text) : text)

/** Formats one log event as a single line (without the newline). */
export const formatLine = (options: Logger.Logger.Options<unknown>): string => {
  const parts: Array<string> = [options.date.toISOString(), options.logLevel.label.padEnd(5)]
  const annotations = options.annotations
  const component = HashMap.get(annotations, "component")
  if (Option.isSome(component)) parts.push(`[${show(component.value)}]`)
  for (const key of LEADING.slice(1)) {
    const value = HashMap.get(annotations, key)
    if (Option.isSome(value)) parts.push(`${key}=${quoteIfNeeded(show(value.value))}`)
  }
  const messages = Array.isArray(options.message) ? options.message : [options.message]
  parts.push(messages.map(show).join(" "))
  for (const [key, value] of annotations) {
    if ((LEADING as ReadonlyArray<string>).includes(key)) continue
    // Strings are quoted when needed; arrays and objects print as JSON.
    parts.push(`${key}=${typeof value === "string" ? quoteIfNeeded(value) : show(value)}`)
  }
  if (!Cause.isEmpty(options.cause)) parts.push(`cause=${JSON.stringify(Cause.pretty(options.cause))}`)
  return escapeUnsafe(parts.join(" "))
}

export const makeLogger = (sink: LogSink): Logger.Logger<unknown, void> =>
  Logger.make((options) => sink.write(formatLine(options) + "\n"))

/** The open log destination, for reopening it after logrotate (SIGHUP). */
export class LogOutput extends Context.Tag("f2bc/LogOutput")<LogOutput, LogSink>() {}

export interface LoggingOptions {
  readonly level: SeedLogLevel
  readonly file: string | undefined
}

/**
 * Replaces the default logger with the f2bc line logger at the configured
 * level. The sink is opened when the layer is built and closed with it.
 */
export const layer = (options: LoggingOptions): Layer.Layer<LogOutput, LogSinkError> =>
  Layer.unwrapScoped(
    Effect.map(openSink(options.file), (sink) =>
      Layer.mergeAll(
        Logger.replace(Logger.defaultLogger, makeLogger(sink)),
        Logger.minimumLogLevel(toLogLevel(options.level)),
        Layer.succeed(LogOutput, sink)
      )
    )
  )

/**
 * `layer` on stderr for one effect, without building a Layer: the same logger and
 * level for `f2bc publish`, whose start-up a Layer's construction would slow by several ms.
 */
export const withStderr = (level: SeedLogLevel) => <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
  effect.pipe(
    Effect.locallyWith(FiberRef.currentLoggers, (loggers) => HashSet.add(HashSet.remove(loggers, Logger.defaultLogger), makeLogger(stderrSink))),
    Logger.withMinimumLogLevel(toLogLevel(level))
  )
