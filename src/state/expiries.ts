/**
 * Scheduled expiries in state_dir: the table of cluster/expiry.ts, journalled in `STATE_DIR/expiries`, and the
 * fiber that hands each due `expire_action` to the executor (due ones missed while the daemon was down run at start).
 */
import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import * as nodePath from "node:path"
import { makeExpiryTable, type Expiry, type ExpiryTable } from "../cluster/expiry.js"
import type { ChannelConfig } from "../config/model.js"
import { checkDirectory, type StateFileError } from "../daemon/stateFile.js"
import type { ExpiryChange } from "../decide/decision.js"
import type { ExecutorService } from "../exec/executor.js"
import { withSocket } from "../fail2ban/index.js"
import { countExpiriesRun, setExpiriesScheduled } from "../metrics/metrics.js"
import { decodeFrames, encodeFrame } from "./frame.js"
import { openJournal, type JournalError } from "./journal.js"

type ExpiryRecord = { readonly _tag: "Set"; readonly expiry: Expiry } | { readonly _tag: "Unset"; readonly argv: ReadonlyArray<string> }

const encodeSet = (e: Expiry): Buffer => encodeFrame({ x: [e.argv, e.channel, e.orderKey, e.dueMs] })
const encodeUnset = (argv: ReadonlyArray<string>): Buffer => encodeFrame({ u: argv })

const isStrings = (value: unknown): value is ReadonlyArray<string> => Array.isArray(value) && value.every((v) => typeof v === "string")

const recordOf = (json: unknown): ExpiryRecord | undefined => {
  if (typeof json !== "object" || json === null) return undefined
  if ("u" in json) return isStrings(json.u) ? { _tag: "Unset", argv: json.u } : undefined
  if (!("x" in json) || !Array.isArray(json.x)) return undefined
  const [argv, channel, orderKey, dueMs] = json.x as ReadonlyArray<unknown>
  if (!isStrings(argv) || typeof channel !== "string" || typeof orderKey !== "string" || typeof dueMs !== "number") return undefined
  return { _tag: "Set", expiry: { argv, channel, orderKey, dueMs } }
}

/** Replays a journal into `table` (a later record of a key replaces an earlier one); returns its torn tail's size. */
export const recoverExpiries = (bytes: Uint8Array, table: ExpiryTable): number => {
  const decoded = decodeFrames(bytes, recordOf)
  for (const record of decoded.records) {
    if (record._tag === "Unset") table.cancel(record.argv)
    else {
      table.cancel(record.expiry.argv)
      table.schedule(record.expiry, record.expiry.dueMs / 1000)
    }
  }
  return decoded.tornBytes
}

export interface ExpiryFigures {
  readonly scheduled: number
  /** Epoch ms of the next expiry, when one is scheduled. */
  readonly next_due_ms: number | undefined
}

export interface Expiries {
  /** Applies a queued action's change (interpret.ts calls it once the action is queued). */
  readonly apply: (change: ExpiryChange) => Effect.Effect<void>
  readonly figures: () => ExpiryFigures
  /** Starts the fiber that runs due expiries (at once for those already due), in the scope. */
  readonly start: (executor: ExecutorService, channelOf: (name: string) => ChannelConfig | undefined) => Effect.Effect<void, never, Scope.Scope>
}

/** Opens `dir/expiries` and recovers what a previous run left scheduled. */
export const openExpiries = (dir: string): Effect.Effect<Expiries, JournalError | StateFileError, Scope.Scope> =>
  Effect.gen(function* () {
    const path = nodePath.join(dir, "expiries")
    yield* checkDirectory(path, "expiries")
    const table = makeExpiryTable()
    let torn = 0
    const journal = yield* openJournal({
      path,
      what: "expiries",
      recover: (bytes) => {
        torn = recoverExpiries(bytes, table)
        return table.entries().map(encodeSet)
      },
      liveBytes: () => table.size() * 120,
      live: () => table.entries().map(encodeSet)
    })
    if (torn > 0) yield* Effect.logWarning(`expiries ${path}: ignored ${torn} byte(s) after the last whole record (a write cut short by a crash)`)
    if (table.size() > 0) yield* Effect.logInfo(`expiries ${path}: ${table.size()} expir${table.size() === 1 ? "y" : "ies"} scheduled from before the start`)
    const gauge = Effect.suspend(() => setExpiriesScheduled(table.size()))
    yield* gauge

    const apply = (change: ExpiryChange): Effect.Effect<void> =>
      Effect.suspend(() => {
        if (change._tag === "Cancel") return table.cancel(change.argv) ? Effect.zipRight(journal.appendLater(encodeUnset(change.argv)), gauge) : Effect.void
        const outcome = table.schedule(change.target, change.banUntilS)
        if (outcome === "Kept") return Effect.void
        const bytes = outcome === "Unscheduled" ? encodeUnset(change.target.argv) : encodeSet({ ...change.target, dueMs: change.banUntilS * 1000 })
        return Effect.zipRight(journal.appendLater(bytes), gauge)
      })

    const start = (executor: ExecutorService, channelOf: (name: string) => ChannelConfig | undefined) =>
      Effect.asVoid(Effect.forkScoped(runDueForever(table, journal.appendLater, gauge, executor, channelOf)))

    return { apply, start, figures: () => ({ scheduled: table.size(), next_due_ms: table.nextDue() }) }
  })

/** Hands one due expiry to the executor; one that could not be queued goes back into the table for the next tick. */
const runOne = (
  expiry: Expiry,
  table: ExpiryTable,
  unset: (bytes: Buffer) => Effect.Effect<void>,
  executor: ExecutorService,
  channelOf: (name: string) => ChannelConfig | undefined,
  nowMs: number
): Effect.Effect<void> =>
  Effect.gen(function* () {
    const channel = channelOf(expiry.channel)
    const word = channel?.expire?.batchWord
    const batch = channel?.batch
    const result = yield* executor.submit({
      argv: expiry.argv,
      timeoutMs: Math.round((channel?.timeout ?? 30) * 1000),
      orderKey: expiry.orderKey,
      server: "expiry",
      channel: expiry.channel,
      ...withSocket(channel?.fail2ban_socket, expiry.argv),
      ...(word === undefined || batch === undefined ? {} : { batch: { word, max: batch.max, lingerMs: Math.round(batch.linger * 1000) } })
    })
    const late = ((nowMs - expiry.dueMs) / 1000).toFixed(1)
    if (result !== "Queued") {
      table.schedule(expiry, expiry.dueMs / 1000)
      return yield* Effect.logWarning(`expire_action not queued (${result === "QueueFull" ? "the action queue is full" : "shutting down"}): kept for the next try`)
    }
    yield* Effect.zipRight(unset(encodeUnset(expiry.argv)), countExpiriesRun(1))
    yield* Effect.logInfo(`expired: ban_until reached ${late} s ago, expire_action queued`).pipe(Effect.annotateLogs({ argv: JSON.stringify(expiry.argv) }))
  }).pipe(Effect.annotateLogs({ channel: expiry.channel }))

/** Every whole second (ban_until is in seconds), just after it: the due expiries, earliest first. */
const runDueForever = (
  table: ExpiryTable,
  unset: (bytes: Buffer) => Effect.Effect<void>,
  gauge: Effect.Effect<void>,
  executor: ExecutorService,
  channelOf: (name: string) => ChannelConfig | undefined
): Effect.Effect<never> => {
  const tick = Effect.gen(function* () {
    const nowMs = yield* Clock.currentTimeMillis
    const due = table.takeDue(nowMs)
    if (due.length === 0) return
    yield* Effect.forEach(due, (expiry) => runOne(expiry, table, unset, executor, channelOf, nowMs), { discard: true })
    yield* gauge
  })
  const untilNextSecond = Effect.flatMap(Clock.currentTimeMillis, (nowMs) => Effect.sleep(Duration.millis(1000 - (nowMs % 1000) + 10)))
  return Effect.forever(Effect.zipRight(tick, untilNextSecond)).pipe(Effect.annotateLogs({ component: "expiry" }))
}
