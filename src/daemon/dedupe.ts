/**
 * The daemon's table of executed ids, shared by every server: read by the pure
 * planner, written only here, once an action is queued, with evictions counted and logged.
 */
import * as Effect from "effect/Effect"
import { recordExecuted, type DecideState, type DedupeRecord } from "../decide/decision.js"
import { countEvictions } from "../metrics/metrics.js"
import { makeSeenTable, type SeenEntry, type SeenTable } from "../trust/index.js"

/** The first eviction is logged, then one line per 10 000, so a flood cannot flood the log. */
const EVICTION_LOG_EVERY = 10_000

/** Whether a running total went from `before` to `after` across a logging threshold (or is the first). */
export const crossed = (before: number, after: number, every: number): boolean =>
  before === 0 || Math.floor(before / every) !== Math.floor(after / every)

export interface Dedupe {
  /** What the planner reads. */
  readonly seen: DecideState["seen"]
  /** Records a queued action's id at `nowMs` (the time it was decided). */
  readonly record: (record: DedupeRecord, nowMs: number) => Effect.Effect<void>
}

/**
 * `table` is given when state_dir's journal loaded it; `persist` (the journal's append) is given every
 * pinned id (a signed channel's) once it is recorded, so the replay guard outlives a restart.
 */
export const makeDedupe = (
  capacity: number,
  table: SeenTable = makeSeenTable(capacity),
  persist?: (entry: SeenEntry) => Effect.Effect<void>
): Dedupe => {
  let evicted = 0
  const reportEvictions = (by: number): Effect.Effect<void> => {
    const before = evicted
    evicted += by
    const count = countEvictions(by)
    return crossed(before, evicted, EVICTION_LOG_EVERY)
      ? Effect.zipRight(
        count,
        Effect.logWarning(
          `dedupe table full (dedupe_max_entries ${capacity}): ${evicted} remembered id(s) evicted before expiry so far; ` +
            "an evicted id could run again if it is repeated: raise dedupe_max_entries"
        )
      )
      : count
  }
  return {
    seen: table,
    record: (record, nowMs) =>
      Effect.suspend(() => {
        const by = recordExecuted(table, record, nowMs)
        const persisted = persist !== undefined && record.pinned ? persist({ key: record.key, at: nowMs, expires: record.expiresAtMs }) : Effect.void
        return by === 0 ? persisted : Effect.zipRight(persisted, reportEvictions(by))
      })
  }
}
