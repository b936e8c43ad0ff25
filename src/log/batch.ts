/**
 * Many log lines in one Effect: each line goes to the fiber's loggers as
 * `Effect.logWithLevel` would send it, without an Effect per line.
 */
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as FiberRef from "effect/FiberRef"
import * as HashMap from "effect/HashMap"
import * as LogLevel from "effect/LogLevel"

/** One line: its level, text and the annotations it adds to the fiber's. */
export interface LogLine {
  readonly level: LogLevel.LogLevel
  readonly message: string
  readonly annotations: Readonly<Record<string, string>>
}

/**
 * Logs `lines` in order, at `nowMs`, through the same loggers, minimum level,
 * annotations and spans as `Effect.logWithLevel` in this fiber. A flood of
 * rejected deliveries logs one line each: built one Effect at a time, with
 * a FiberRef update for each line's annotations, that was most of the
 * daemon's time (docs/performance.md).
 */
export const logLines = (lines: ReadonlyArray<LogLine>, nowMs: number): Effect.Effect<void> =>
  lines.length === 0
    ? Effect.void
    : Effect.withFiberRuntime<void>((fiber) => {
        const minimum = fiber.getFiberRef(FiberRef.currentMinimumLogLevel)
        const loggers = fiber.getFiberRef(FiberRef.currentLoggers)
        const base = fiber.getFiberRef(FiberRef.currentLogAnnotations)
        const spans = fiber.getFiberRef(FiberRef.currentLogSpan)
        const context = fiber.getFiberRefs()
        const fiberId = fiber.id()
        const date = new Date(nowMs)
        for (const line of lines) {
          if (LogLevel.greaterThan(minimum, line.level)) continue
          let annotations = base
          for (const key in line.annotations) annotations = HashMap.set(annotations, key, line.annotations[key])
          for (const logger of loggers) {
            logger.log({ fiberId, logLevel: line.level, message: line.message, cause: Cause.empty, context, spans, annotations, date })
          }
        }
        return Effect.void
      })
