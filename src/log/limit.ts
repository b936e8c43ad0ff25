/**
 * The log's rate limit, as a pure state machine: at most `perWindow` lines per kind of line
 * in a window, then one summary line (`… and N more rejected at types in the last 10 s`).
 */
import type * as LogLevel from "effect/LogLevel"
import type { LogLine } from "./batch.js"

export interface LimitPolicy {
  readonly windowMs: number
  /** Lines of one kind logged per window; the rest are counted and summed up. */
  readonly perWindow: number
}

/** 20 lines of a kind per 10 s: a flood writes a bounded amount whatever its rate. */
export const LOG_LIMIT: LimitPolicy = { windowMs: 10_000, perWindow: 20 }

interface Window {
  readonly startMs: number
  readonly logged: number
  readonly suppressed: number
  /** The level of the kind's lines: its summary line's level. */
  readonly level: LogLevel.LogLevel
}

/** The open windows, by kind of line (`rejected at types`, `server notice`, …). */
export type LimitState = ReadonlyMap<string, Window>

export const emptyLimit: LimitState = new Map()

/** The line that closes a window in which lines were suppressed. */
export const summaryLine = (kind: string, window: Window, windowMs: number): LogLine => ({
  level: window.level,
  message: `… and ${window.suppressed} more ${kind} in the last ${windowMs / 1000} s`,
  annotations: {}
})

/**
 * The limit at one instant, for one batch of lines (a chunk, a notice): opened
 * from a state, it first closes the windows that have ended (their summary
 * lines), then admits or suppresses each line; `state()` is the state after.
 * Mutable inside (a copy of the state), so a chunk costs one copy of a small map, not one per line.
 */
export class Limiter {
  private readonly windows: Map<string, { startMs: number; logged: number; suppressed: number; level: LogLevel.LogLevel }>
  /** Summary lines of the windows closed when the limiter was opened. */
  readonly summaries: Array<LogLine> = []
  /** Lines suppressed by this batch, by kind. */
  readonly suppressed = new Map<string, number>()

  constructor(state: LimitState, private readonly nowMs: number, private readonly policy: LimitPolicy = LOG_LIMIT) {
    this.windows = new Map()
    for (const [kind, window] of state) {
      if (nowMs - window.startMs < policy.windowMs) this.windows.set(kind, { ...window })
      else if (window.suppressed > 0) this.summaries.push(summaryLine(kind, window, policy.windowMs))
    }
  }

  /** Whether a line of `kind` may be logged now; if not, it is counted for the summary. */
  admit(kind: string, level: LogLevel.LogLevel): boolean {
    const window = this.windows.get(kind)
    if (window === undefined) {
      this.windows.set(kind, { startMs: this.nowMs, logged: 1, suppressed: 0, level })
      return true
    }
    if (window.logged < this.policy.perWindow) {
      window.logged++
      return true
    }
    window.suppressed++
    this.suppressed.set(kind, (this.suppressed.get(kind) ?? 0) + 1)
    return false
  }

  state(): LimitState {
    return this.windows
  }
}
