/**
 * A fanout server's notices in the log (debug frames, over-long and unknown lines): network text
 * cut to a bounded prefix, and each kind rate-limited like the daemon's decision lines (`log/limit.ts`).
 */
import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as FiberRef from "effect/FiberRef"
import * as LogLevel from "effect/LogLevel"
import * as Schedule from "effect/Schedule"
import type * as Scope from "effect/Scope"
import { logLines, type LogLine } from "../../log/batch.js"
import { emptyLimit, LOG_LIMIT, Limiter, type LimitState } from "../../log/limit.js"
import { countSuppressed } from "../../metrics/metrics.js"
import { clip } from "../../text/untrusted.js"
import type { Notice } from "./connection.js"

/** The kind (as a summary line names it) and the line of a notice. */
const lineOf = (notice: Notice): readonly [string, LogLine] => {
  const line = (level: LogLevel.LogLevel, message: string): LogLine => ({ level, message, annotations: {} })
  switch (notice._tag) {
    case "Debug":
      return notice.text === "busy"
        ? ["server busy notices", line(LogLevel.Warning, "server is full (debug!busy)")]
        : ["server notices", line(LogLevel.Debug, `server notice: ${clip(notice.text)}`)]
    case "Overlong":
      return ["over-long lines", line(LogLevel.Warning, `dropped an over-long line of ${notice.bytes} bytes`)]
    case "Other":
      return ["ignored lines", line(LogLevel.Debug, `ignored line: ${clip(notice.line)}`)]
  }
}

/**
 * The session's notice logger, with its rate limit: windows are closed (their
 * summary lines logged) at the next notice, once per window, and when the session ends.
 */
export const noticeLog = (): Effect.Effect<(notice: Notice) => Effect.Effect<void>, never, Scope.Scope> =>
  Effect.gen(function* () {
    let state: LimitState = emptyLimit
    const run = (nowMs: number, minLevel: LogLevel.LogLevel, notice: Notice | undefined, end: boolean): Effect.Effect<void> => {
      // At the end every window closes, however young.
      const limiter = new Limiter(state, end ? Number.POSITIVE_INFINITY : nowMs)
      const lines = limiter.summaries.filter((summary) => LogLevel.greaterThanEqual(summary.level, minLevel))
      if (notice !== undefined) {
        const [kind, line] = lineOf(notice)
        // At log_level 3 (debug) the operator asked for every line: no limit.
        const limited = LogLevel.greaterThan(minLevel, LogLevel.Debug)
        if (LogLevel.greaterThanEqual(line.level, minLevel) && (!limited || limiter.admit(kind, line.level))) lines.push(line)
      }
      state = limiter.state()
      const counted = Effect.forEach(limiter.suppressed, ([kind, n]) => countSuppressed(kind, n), { discard: true })
      return Effect.zipRight(counted, logLines(lines, nowMs))
    }
    const at = (notice: Notice | undefined, end = false) =>
      Effect.flatMap(Effect.zip(Clock.currentTimeMillis, FiberRef.get(FiberRef.currentMinimumLogLevel)), ([nowMs, minLevel]) =>
        run(nowMs, minLevel, notice, end))
    yield* Effect.addFinalizer(() => at(undefined, true))
    yield* Effect.forkScoped(Effect.repeat(at(undefined), Schedule.spaced(Duration.millis(LOG_LIMIT.windowMs))))
    return (notice) => at(notice)
  })
