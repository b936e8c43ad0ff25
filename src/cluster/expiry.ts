/**
 * Scheduled expiries as a table: a ban's `expire_action`, due at its `ban_until`, extended by a later ban,
 * cancelled by an unban; no clock, no I/O. Mutable, so 100 000 bans cost 100 000 map updates, not copies.
 */

/** `ban_until` meaning "no end": never expires (any negative value means the same). */
export const NO_END = -1

/** What an expiry runs: the rendered `expire_action`, its channel and its order key's value. */
export interface ExpiryTarget {
  readonly argv: ReadonlyArray<string>
  readonly channel: string
  readonly orderKey: string
}

/** One scheduled expiry: its target and when it is due (epoch ms). */
export interface Expiry extends ExpiryTarget {
  readonly dueMs: number
}

/** What a ban did to the schedule. */
export type ScheduleChange = "Scheduled" | "Extended" | "Kept" | "Unscheduled"

export interface ExpiryTable {
  /**
   * A ban until `banUntilS` (unix seconds; negative for none): scheduled, or an existing expiry moved
   * later; an earlier end keeps the later one; no end removes the expiry (the ban now lasts).
   */
  readonly schedule: (target: ExpiryTarget, banUntilS: number) => ScheduleChange
  /** An unban: the expiry on the same key is cancelled (it would only unban again). */
  readonly cancel: (argv: ReadonlyArray<string>) => boolean
  /** Removes and returns the expiries due at `nowMs`, earliest first. */
  readonly takeDue: (nowMs: number) => ReadonlyArray<Expiry>
  /** The next due time (for the timer and for `daemon status`). */
  readonly nextDue: () => number | undefined
  readonly size: () => number
  readonly entries: () => ReadonlyArray<Expiry>
}

/** The key of a rendered expire action: a ban and its unban of one address meet on one key. */
export const expiryKey = (argv: ReadonlyArray<string>): string => JSON.stringify(argv)

export const makeExpiryTable = (): ExpiryTable => {
  const table = new Map<string, Expiry>()
  // The exact earliest due time, or undefined when it must be computed again (its entry moved or left).
  let earliest: number | undefined
  let known = true
  const drop = (key: string, expiry: Expiry): void => {
    table.delete(key)
    if (expiry.dueMs === earliest) known = false
  }
  const nextDue = (): number | undefined => {
    if (!known) {
      earliest = undefined
      for (const expiry of table.values()) if (earliest === undefined || expiry.dueMs < earliest) earliest = expiry.dueMs
      known = true
    }
    return earliest
  }
  return {
    schedule: (target, banUntilS) => {
      const key = expiryKey(target.argv)
      const existing = table.get(key)
      if (banUntilS < 0) {
        if (existing !== undefined) drop(key, existing)
        return "Unscheduled"
      }
      const dueMs = banUntilS * 1000
      if (existing !== undefined && existing.dueMs >= dueMs) return "Kept"
      if (existing !== undefined) drop(key, existing)
      table.set(key, { argv: target.argv, channel: target.channel, orderKey: target.orderKey, dueMs })
      if (known && (earliest === undefined || dueMs < earliest)) earliest = dueMs
      return existing === undefined ? "Scheduled" : "Extended"
    },
    cancel: (argv) => {
      const key = expiryKey(argv)
      const existing = table.get(key)
      if (existing === undefined) return false
      drop(key, existing)
      return true
    },
    takeDue: (nowMs) => {
      const first = nextDue()
      if (first === undefined || first > nowMs) return []
      const due = [...table].filter(([, expiry]) => expiry.dueMs <= nowMs)
      for (const [key] of due) table.delete(key)
      known = false
      // A stable sort: expiries due at the same time keep their scheduling order.
      return due.map(([, expiry]) => expiry).sort((a, b) => a.dueMs - b.dueMs)
    },
    nextDue,
    size: () => table.size,
    entries: () => [...table.values()]
  }
}
