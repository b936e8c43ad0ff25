/**
 * The quorum of origins, as a pure table: a rendered action runs only once
 * `origins` distinct `_origin`s sent it within `window`; no clock, no I/O.
 */

/** A channel's `quorum:` setting. */
export interface QuorumRule {
  /** Distinct origins needed (≥ 2; 1 would be no quorum). */
  readonly origins: number
  readonly windowMs: number
}

/** One rendered action waiting for (or past) its quorum. */
export interface Hold {
  /** Each origin counted, with the last time it sent the action (epoch ms). */
  readonly origins: ReadonlyMap<string, number>
  /** When the quorum was reached and the action ran; later copies are skipped until a window after it. */
  readonly ranAtMs: number | undefined
}

/** The table, keyed by the action's key (the channel and its rendered argv). */
export type QuorumTable = ReadonlyMap<string, Hold>

export const emptyQuorumTable: QuorumTable = new Map()

/** What one message does at the quorum. */
export type QuorumVerdict =
  | { readonly _tag: "Run"; readonly counted: number }
  | { readonly _tag: "Held"; readonly counted: number; readonly needed: number; readonly repeated: boolean }
  | { readonly _tag: "Skipped"; readonly ranAtMs: number }

/** The hold's origins still inside the window at `nowMs`. */
const live = (hold: Hold | undefined, rule: QuorumRule, nowMs: number): Map<string, number> => {
  const origins = new Map<string, number>()
  if (hold === undefined) return origins
  for (const [origin, at] of hold.origins) if (nowMs - at < rule.windowMs) origins.set(origin, at)
  return origins
}

const withHold = (table: QuorumTable, key: string, hold: Hold | undefined): QuorumTable => {
  const next = new Map(table)
  if (hold === undefined) next.delete(key)
  else next.set(key, hold)
  return next
}

/**
 * Counts `origin`'s copy of the action `key` at `nowMs`. The same origin
 * twice (a replay, a repeat) is counted once; when the count reaches
 * `rule.origins` the action runs, and copies within a window after that are skipped.
 */
export const countOrigin = (
  table: QuorumTable,
  rule: QuorumRule,
  key: string,
  origin: string,
  nowMs: number
): { readonly table: QuorumTable; readonly verdict: QuorumVerdict } => {
  const hold = table.get(key)
  if (hold?.ranAtMs !== undefined && nowMs - hold.ranAtMs < rule.windowMs)
    return { table, verdict: { _tag: "Skipped", ranAtMs: hold.ranAtMs } }
  const origins = live(hold?.ranAtMs === undefined ? hold : undefined, rule, nowMs)
  const repeated = origins.has(origin)
  origins.set(origin, nowMs)
  if (origins.size >= rule.origins)
    return { table: withHold(table, key, { origins, ranAtMs: nowMs }), verdict: { _tag: "Run", counted: origins.size } }
  return {
    table: withHold(table, key, { origins, ranAtMs: undefined }),
    verdict: { _tag: "Held", counted: origins.size, needed: rule.origins, repeated }
  }
}

/** The table without what no longer matters at `nowMs`: holds and runs older than the window. */
export const pruneQuorum = (table: QuorumTable, rule: QuorumRule, nowMs: number): QuorumTable => {
  const next = new Map<string, Hold>()
  for (const [key, hold] of table) {
    if (hold.ranAtMs !== undefined) {
      if (nowMs - hold.ranAtMs < rule.windowMs) next.set(key, hold)
      continue
    }
    const origins = live(hold, rule, nowMs)
    if (origins.size > 0) next.set(key, { origins, ranAtMs: undefined })
  }
  return next
}

/** The log text of a verdict that does not run: `held at quorum: 1 of 2 origins`. */
export const describeQuorum = (verdict: Exclude<QuorumVerdict, { _tag: "Run" }>): string =>
  verdict._tag === "Held"
    ? `held at quorum: ${verdict.counted} of ${verdict.needed} origins${verdict.repeated ? " (this origin was already counted)" : ""}`
    : "skipped: the quorum was reached and the action ran"
