/**
 * The daemon's quorum table, shared by every server: read by the pure planner, written only here
 * (a held message at once, a run once queued), bounded by `quorum_max_entries`, in memory only.
 */
import * as Effect from "effect/Effect"
import { liveHold, type Hold } from "../cluster/quorum.js"
import type { QuorumRecord, QuorumView } from "../decide/decision.js"
import { crossed } from "./dedupe.js"

/** The first hold forgotten for room is logged, then one line per 10 000. */
const EVICTION_LOG_EVERY = 10_000

/** What `daemon status` shows: actions waiting for their quorum, and since when the oldest has waited. */
export interface QuorumFigures {
  readonly held: number
  /** The first counted origin of the oldest held action (epoch ms). */
  readonly oldestMs: number | undefined
}

export interface QuorumHolds {
  readonly view: QuorumView
  /** Keeps a message's count (`Remember`, or a queued run) decided at `nowMs`. */
  readonly record: (record: QuorumRecord, nowMs: number) => Effect.Effect<void>
  readonly figures: (nowMs: number) => QuorumFigures
}

interface Entry {
  readonly hold: Hold
  readonly windowMs: number
}

/**
 * A `Map` in the order of each action's last count: its front is the entry that
 * stopped mattering first (with one window; roughly so with several), so dropping
 * dead entries from the front, and the oldest live one when full, costs no scan.
 */
export const makeQuorumHolds = (capacity: number): QuorumHolds => {
  const entries = new Map<string, Entry>()
  let evicted = 0
  const dropDeadFront = (nowMs: number): void => {
    for (const [key, entry] of entries) {
      if (liveHold(entry.hold, { origins: 2, windowMs: entry.windowMs }, nowMs) !== undefined) return
      entries.delete(key)
    }
  }
  const evictOldest = (): Effect.Effect<void> => {
    const oldest = entries.keys().next()
    if (oldest.done === true) return Effect.void
    entries.delete(oldest.value)
    const before = evicted
    evicted++
    return crossed(before, evicted, EVICTION_LOG_EVERY)
      ? Effect.logWarning(
        `quorum table full (quorum_max_entries ${capacity}): ${evicted} held quorum(s) forgotten before their window ended so far; raise quorum_max_entries`
      )
      : Effect.void
  }
  return {
    view: { holdOf: (key) => entries.get(key)?.hold },
    record: (record, nowMs) =>
      Effect.suspend(() => {
        // Moved to the back: the order stays the order of the last count.
        entries.delete(record.key)
        dropDeadFront(nowMs)
        const room = entries.size >= capacity ? evictOldest() : Effect.void
        entries.set(record.key, { hold: record.hold, windowMs: record.windowMs })
        return room
      }),
    figures: (nowMs) => {
      let held = 0
      let oldestMs: number | undefined
      for (const { hold, windowMs } of entries.values()) {
        const live = liveHold(hold, { origins: 2, windowMs }, nowMs)
        if (live === undefined || live.ranAtMs !== undefined) continue
        held++
        const first = Math.min(...live.origins.values())
        if (oldestMs === undefined || first < oldestMs) oldestMs = first
      }
      return { held, oldestMs }
    }
  }
}
