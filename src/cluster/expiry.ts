/**
 * Scheduled expiries as a pure table: a ban's `expire_action`, due at its
 * `ban_until`, extended by a later ban, cancelled by an unban; no clock, no I/O.
 */

/** `ban_until` meaning "no end": never expires. */
export const NO_END = -1

/** One scheduled expiry: the rendered `expire_action` and when it is due (epoch ms). */
export interface Expiry {
  readonly argv: ReadonlyArray<string>
  readonly dueMs: number
}

/** Keyed by the rendered expire action, so a ban and its unban of one address meet on one key. */
export type ExpiryTable = ReadonlyMap<string, Expiry>

export const emptyExpiryTable: ExpiryTable = new Map()

/** The key of a rendered expire action. */
export const expiryKey = (argv: ReadonlyArray<string>): string => JSON.stringify(argv)

/** What a ban did to the schedule. */
export type ScheduleChange = "Scheduled" | "Extended" | "Kept" | "Unscheduled"

/**
 * A ban until `banUntilS` (unix seconds; `NO_END` for none): scheduled, or
 * an existing expiry moved later; an earlier end keeps the later one; no
 * end removes the expiry (the ban now lasts).
 */
export const scheduleExpiry = (
  table: ExpiryTable,
  argv: ReadonlyArray<string>,
  banUntilS: number
): { readonly table: ExpiryTable; readonly change: ScheduleChange } => {
  const key = expiryKey(argv)
  const existing = table.get(key)
  const next = new Map(table)
  if (banUntilS === NO_END) {
    next.delete(key)
    return { table: next, change: "Unscheduled" }
  }
  const dueMs = banUntilS * 1000
  if (existing !== undefined && existing.dueMs >= dueMs) return { table, change: "Kept" }
  next.set(key, { argv, dueMs })
  return { table: next, change: existing === undefined ? "Scheduled" : "Extended" }
}

/** An unban: the expiry on the same key is cancelled (it would only unban again). */
export const cancelExpiry = (table: ExpiryTable, argv: ReadonlyArray<string>): { readonly table: ExpiryTable; readonly cancelled: boolean } => {
  const key = expiryKey(argv)
  if (!table.has(key)) return { table, cancelled: false }
  const next = new Map(table)
  next.delete(key)
  return { table: next, cancelled: true }
}

/** The expiries due at `nowMs`, earliest first, and the table without them. */
export const takeDue = (table: ExpiryTable, nowMs: number): { readonly table: ExpiryTable; readonly due: ReadonlyArray<Expiry> } => {
  const due = [...table.values()].filter((expiry) => expiry.dueMs <= nowMs).sort((a, b) => a.dueMs - b.dueMs)
  if (due.length === 0) return { table, due }
  const next = new Map(table)
  for (const expiry of due) next.delete(expiryKey(expiry.argv))
  return { table: next, due }
}

/** The next due time, for the timer and for `daemon status`. */
export const nextDue = (table: ExpiryTable): number | undefined => {
  let earliest: number | undefined
  for (const expiry of table.values()) if (earliest === undefined || expiry.dueMs < earliest) earliest = expiry.dueMs
  return earliest
}
