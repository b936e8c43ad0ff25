/**
 * The table of executed ids, with `forget`: a message recorded as executed
 * whose action could not be queued (and that its transport will deliver
 * again, JetStream) must not be skipped as a duplicate when it comes back.
 */
import type { SeenTable } from "../trust/index.js"

export interface ForgettingSeenTable extends SeenTable {
  /** Treats the recording of `key` made at `atMs` as never made (a later recording stands). */
  readonly forget: (key: string, atMs: number) => void
}

export const forgetting = (table: SeenTable): ForgettingSeenTable => {
  // key -> the recording time that no longer counts.
  const forgotten = new Map<string, number>()
  return {
    seenAt: (key, nowMs) => {
      const at = table.seenAt(key, nowMs)
      const dropped = forgotten.get(key)
      if (dropped === undefined) return at
      if (at === dropped) return undefined
      forgotten.delete(key)
      return at
    },
    record: (key, nowMs, expiresAtMs, pinned) => {
      forgotten.delete(key)
      return table.record(key, nowMs, expiresAtMs, pinned)
    },
    size: table.size,
    forget: (key, atMs) => {
      forgotten.set(key, atMs)
    }
  }
}
