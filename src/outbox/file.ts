/**
 * The outbox's append-only file in state_dir, a journal (state/journal.ts) of entries and done marks:
 * recovered and compacted at open, compacted again whenever the dead part outgrows the live entries.
 */
import * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import * as fs from "node:fs"
import * as nodePath from "node:path"
import { checkDirectory, type StateFileError } from "../daemon/stateFile.js"
import { openJournal, type JournalError } from "../state/journal.js"
import { OutboxError } from "./model.js"
import { compactRecords, decodeRecords, encodeRecord, type Decoded, type LiveEntry, type OutboxRecord } from "./record.js"

export { COMPACT_MIN_BYTES } from "../state/journal.js"

export interface OutboxFile {
  /** Appends `bytes` and resolves once they are on disk; `onDurable` runs first, before any compaction can read the live set. */
  readonly append: (bytes: Buffer, onDurable: () => void) => Effect.Effect<void, OutboxError>
  /** Appends without waiting (a done mark: losing it only means sending once more). */
  readonly appendLater: (bytes: Buffer) => Effect.Effect<void>
  /** The file's size now. */
  readonly size: () => number
}

const describe = (cause: unknown): string => (cause instanceof Error ? cause.message : String(cause))

const asOutboxError = (error: JournalError): OutboxError => new OutboxError({ reason: error.reason, detail: error.detail })

/** Creates `dir` (0700) unless it exists, then refuses it when others could write it or its parent. */
export const prepareStateDir = (dir: string): Effect.Effect<void, StateFileError | OutboxError> =>
  Effect.zipRight(
    Effect.try({
      try: () => fs.mkdirSync(dir, { recursive: true, mode: 0o700 }),
      catch: (cause) => new OutboxError({ reason: "Open", detail: `cannot create state_dir ${dir}: ${describe(cause)}` })
    }),
    Effect.zipRight(checkDirectory(dir, "state_dir"), checkDirectory(nodePath.join(dir, "outbox"), "outbox"))
  )

/** What compaction keeps: the live entries, and the bytes their records take (kept up to date: read at every append). */
export interface LiveSet {
  readonly live: () => ReadonlyArray<LiveEntry>
  readonly liveBytes: () => number
}

/**
 * Opens `path` in the scope: reads what a previous run left (a torn last record is ignored and reported
 * in `recovered`), rewrites it compacted, then appends. `ledger` gives the entries to keep when compacting.
 */
export const openOutboxFile = (
  path: string,
  ledger: LiveSet,
  onRecovered: (decoded: Decoded) => ReadonlyArray<LiveEntry>
): Effect.Effect<OutboxFile, OutboxError | StateFileError, Scope.Scope> =>
  Effect.map(
    openJournal({
      path,
      what: "outbox",
      recover: (bytes) => compactRecords(onRecovered(decodeRecords(bytes))).map(encodeRecord),
      // Not summed here: the journal asks at every append, and the outbox may hold 100 000 entries.
      liveBytes: ledger.liveBytes,
      live: () => compactRecords(ledger.live()).map(encodeRecord)
    }),
    (journal): OutboxFile => ({
      append: (bytes, onDurable) => Effect.mapError(journal.append(bytes, onDurable), asOutboxError),
      appendLater: journal.appendLater,
      size: journal.size
    })
  ).pipe(Effect.mapError((error) => (error._tag === "JournalError" ? asOutboxError(error) : error)))

export type { OutboxRecord }
