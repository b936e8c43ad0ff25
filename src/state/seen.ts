/**
 * The replay guard on disk: the executed ids of signed channels, appended to `STATE_DIR/seen` as they are
 * recorded and loaded back at start, so a captured signed message cannot run again after a restart.
 */
import * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import * as nodePath from "node:path"
import { checkDirectory, type StateFileError } from "../daemon/stateFile.js"
import type { SeenEntry, SeenTable } from "../trust/index.js"
import { decodeFrames, encodeFrame } from "./frame.js"
import { openJournal, type JournalError } from "./journal.js"

export const encodeSeen = (entry: SeenEntry): Buffer => encodeFrame({ s: [entry.key, entry.at, entry.expires] })

const seenOf = (json: unknown): SeenEntry | undefined => {
  if (typeof json !== "object" || json === null || !("s" in json) || !Array.isArray(json.s)) return undefined
  const [key, at, expires] = json.s as ReadonlyArray<unknown>
  return typeof key === "string" && typeof at === "number" && typeof expires === "number" ? { key, at, expires } : undefined
}

/** The ids a file holds that are still live at `nowMs` (the last recording of a key wins), and its torn tail. */
export const recoverSeen = (bytes: Uint8Array, nowMs: number): { readonly live: ReadonlyArray<SeenEntry>; readonly tornBytes: number } => {
  const decoded = decodeFrames(bytes, seenOf)
  const byKey = new Map<string, SeenEntry>()
  for (const entry of decoded.records) {
    byKey.delete(entry.key)
    if (entry.expires > nowMs) byKey.set(entry.key, entry)
  }
  return { live: [...byKey.values()], tornBytes: decoded.tornBytes }
}

export interface SeenJournal {
  /** Appends a pinned id as it is recorded; written with the next group (never waited for). */
  readonly persist: (entry: SeenEntry) => Effect.Effect<void>
}

/** A record's size, for the compaction estimate: a key of ~50 characters and two 13-digit times. */
const TYPICAL_RECORD_BYTES = 110

/** Opens `dir/seen`: loads its live ids into `table` as pinned entries, then appends what `persist` is given. */
export const openSeenJournal = (dir: string, table: SeenTable, nowMs: number): Effect.Effect<SeenJournal, JournalError | StateFileError, Scope.Scope> =>
  Effect.gen(function* () {
    const path = nodePath.join(dir, "seen")
    yield* checkDirectory(path, "seen")
    let recovered: { readonly live: ReadonlyArray<SeenEntry>; readonly tornBytes: number } = { live: [], tornBytes: 0 }
    const journal = yield* openJournal({
      path,
      what: "seen",
      recover: (bytes) => {
        recovered = recoverSeen(bytes, nowMs)
        for (const entry of recovered.live) table.record(entry.key, entry.at, entry.expires, true)
        return recovered.live.map(encodeSeen)
      },
      liveBytes: () => table.size() * TYPICAL_RECORD_BYTES,
      live: () => table.pinnedEntries(Date.now()).map(encodeSeen)
    })
    if (recovered.tornBytes > 0) yield* Effect.logWarning(`seen ${path}: ignored ${recovered.tornBytes} byte(s) after the last whole record (a write cut short by a crash)`)
    if (recovered.live.length > 0) yield* Effect.logInfo(`seen ${path}: ${recovered.live.length} executed id(s) of signed channels remembered from before the start`)
    return { persist: (entry) => journal.appendLater(encodeSeen(entry)) }
  })
