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

/**
 * Counts `origin`'s copy of one action at `nowMs`, given that action's hold (or none):
 * the hold to keep and the verdict. The same origin twice (a replay, a repeat) is counted
 * once; when the count reaches `rule.origins` the action runs, and copies within a window after that are skipped.
 */
export const countHold = (
  hold: Hold | undefined,
  rule: QuorumRule,
  origin: string,
  nowMs: number
): { readonly hold: Hold; readonly verdict: QuorumVerdict } => {
  if (hold?.ranAtMs !== undefined && nowMs - hold.ranAtMs < rule.windowMs)
    return { hold, verdict: { _tag: "Skipped", ranAtMs: hold.ranAtMs } }
  const origins = live(hold?.ranAtMs === undefined ? hold : undefined, rule, nowMs)
  const repeated = origins.has(origin)
  origins.set(origin, nowMs)
  if (origins.size >= rule.origins) return { hold: { origins, ranAtMs: nowMs }, verdict: { _tag: "Run", counted: origins.size } }
  return { hold: { origins, ranAtMs: undefined }, verdict: { _tag: "Held", counted: origins.size, needed: rule.origins, repeated } }
}

/** `countHold` over a whole table, keyed by the action's key (copies the table: for tests and small tables). */
export const countOrigin = (
  table: QuorumTable,
  rule: QuorumRule,
  key: string,
  origin: string,
  nowMs: number
): { readonly table: QuorumTable; readonly verdict: QuorumVerdict } => {
  const counted = countHold(table.get(key), rule, origin, nowMs)
  if (counted.hold === table.get(key)) return { table, verdict: counted.verdict }
  return { table: new Map(table).set(key, counted.hold), verdict: counted.verdict }
}

/** What of a hold still matters at `nowMs`: a run younger than the window, or the origins inside it; else nothing. */
export const liveHold = (hold: Hold, rule: QuorumRule, nowMs: number): Hold | undefined => {
  if (hold.ranAtMs !== undefined) return nowMs - hold.ranAtMs < rule.windowMs ? hold : undefined
  const origins = live(hold, rule, nowMs)
  return origins.size > 0 ? { origins, ranAtMs: undefined } : undefined
}

/** When a hold stops mattering: a window after its run, or after its latest origin. */
export const holdExpiresAtMs = (hold: Hold, rule: QuorumRule): number =>
  (hold.ranAtMs ?? Math.max(...hold.origins.values())) + rule.windowMs

/** The table without what no longer matters at `nowMs`: holds and runs older than the window. */
export const pruneQuorum = (table: QuorumTable, rule: QuorumRule, nowMs: number): QuorumTable => {
  const next = new Map<string, Hold>()
  for (const [key, hold] of table) {
    const kept = liveHold(hold, rule, nowMs)
    if (kept !== undefined) next.set(key, kept)
  }
  return next
}

/**
 * Why a verdict that does not run does not, as the log shows it after `held at quorum: `
 * or `skipped at quorum: `: `1 of 2 origins`.
 */
export const describeQuorum = (verdict: Exclude<QuorumVerdict, { _tag: "Run" }>, nowMs: number): string =>
  verdict._tag === "Held"
    ? `${verdict.counted} of ${verdict.needed} origins${verdict.repeated ? " (this origin was already counted)" : ""}`
    : `the quorum was reached and the action ran ${((nowMs - verdict.ranAtMs) / 1000).toFixed(1)} s ago`
