/**
 * The outbox's model: the service the daemon's `publish` verb records into and its delivery fibers
 * read from, its errors and its figures (`daemon status`, metrics).
 */
import * as Data from "effect/Data"
import type * as Effect from "effect/Effect"
import type { Entry } from "./record.js"

/** `Full`: outbox_max_entries reached. `Open`: state_dir or the file cannot be used. `Write`: the system refused an append. `Busy`: another daemon holds state_dir. */
export class OutboxError extends Data.TaggedError("OutboxError")<{
  readonly reason: "Full" | "Open" | "Write" | "Busy"
  readonly detail: string
}> {
  override get message(): string {
    return this.detail
  }
}

/** One server's share of the outbox. */
export interface ServerFigures {
  readonly server: string
  readonly pending: number
  readonly delivered: number
  readonly dropped: number
}

export interface OutboxFigures {
  readonly entries: number
  /** Seconds since the oldest live entry was accepted; 0 when empty. */
  readonly oldest_age_seconds: number
  readonly servers: ReadonlyArray<ServerFigures>
}

/** What an entry is before the outbox gives it its place in the order. */
export type NewEntry = Omit<Entry, "seq">

export interface Outbox {
  /** Records the entry durably (fsync'd) and returns it with its place; `Full` when the outbox holds outbox_max_entries. */
  readonly record: (entry: NewEntry) => Effect.Effect<Entry, OutboxError>
  /** The oldest entries still owed to `server`, in acceptance order, at most `max`. */
  readonly pending: (server: string, max: number) => ReadonlyArray<Entry>
  /** Waits until something is owed to `server`. */
  readonly awaitPending: (server: string) => Effect.Effect<void>
  /** Marks the entries done for `server`: confirmed by it, or dropped. */
  readonly settle: (server: string, entries: ReadonlyArray<Entry>, how: "delivered" | "dropped") => Effect.Effect<void>
  /** The servers something is owed to. */
  readonly servers: () => ReadonlyArray<string>
  readonly figures: (nowMs: number) => OutboxFigures
}
