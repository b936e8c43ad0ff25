/**
 * The outbox service: entries handed off to this daemon, owed per server in acceptance order (the
 * ledger, in memory) and kept in the append-only file of state_dir until every target server confirmed them or they were dropped.
 */
import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import * as nodePath from "node:path"
import type { StateFileError } from "../daemon/stateFile.js"
import { countOutbox, setOutboxGauges } from "../metrics/metrics.js"
import { openOutboxFile } from "./file.js"
import { makeLedger } from "./ledger.js"
import { OutboxError, type Outbox } from "./model.js"
import { encodeRecord, liveEntries, type Entry } from "./record.js"

export interface OutboxOptions {
  readonly dir: string
  readonly maxEntries: number
}

const entries = (n: number): string => `${n} entr${n === 1 ? "y" : "ies"}`

/**
 * Opens the outbox of `options.dir` (prepared and held by state/state.ts's openStateDir: one daemon per state_dir, two
 * appending to one file would tear each other's records) for the scope's lifetime: recovers what a previous run left, then serves.
 */
export const makeOutbox = (options: OutboxOptions): Effect.Effect<Outbox, OutboxError | StateFileError, Scope.Scope> =>
  Effect.gen(function* () {
    const ledger = makeLedger()
    let nextSeq = 1
    let reserved = 0
    let torn = 0
    const path = nodePath.join(options.dir, "outbox")
    const file = yield* openOutboxFile(path, ledger, (decoded) => {
      const live = liveEntries(decoded.records)
      for (const { entry, remaining } of live) ledger.owe(entry, remaining)
      nextSeq = decoded.records.reduce((max, r) => Math.max(max, r._tag === "Entry" ? r.entry.seq + 1 : 0), 1)
      torn = decoded.tornBytes
      return live
    })
    if (torn > 0) yield* Effect.logWarning(`outbox ${path}: ignored ${torn} byte(s) after the last whole record (a write cut short by a crash)`)
    if (ledger.size() > 0) yield* Effect.logInfo(`outbox ${path}: ${entries(ledger.size())} left to deliver`)

    const gauges = Effect.flatMap(Clock.currentTimeMillis, (nowMs) => {
      const oldest = ledger.oldestAcceptedMs()
      return setOutboxGauges(ledger.size(), oldest === undefined ? 0 : Math.max(0, (nowMs - oldest) / 1000))
    })
    yield* gauges
    // The oldest entry ages between changes too.
    yield* Effect.forkScoped(Effect.forever(Effect.zipRight(Effect.sleep(Duration.seconds(1)), gauges)))

    const record = (fields: Omit<Entry, "seq">) =>
      Effect.suspend(() => {
        if (ledger.size() + reserved >= options.maxEntries)
          return Effect.fail(new OutboxError({ reason: "Full", detail: `outbox full (${ledger.size() + reserved} entries)` }))
        const entry: Entry = { ...fields, seq: nextSeq++ }
        reserved++
        // Owed (visible to delivery and compaction) only once it is on disk.
        const bytes = encodeRecord({ _tag: "Entry", entry })
        return file.append(bytes, () => ledger.owe(entry, entry.targets, bytes.length)).pipe(
          Effect.ensuring(Effect.sync(() => reserved--)),
          Effect.zipRight(gauges),
          Effect.as(entry)
        )
      })

    const settle = (server: string, settling: ReadonlyArray<Entry>, how: "delivered" | "dropped") =>
      Effect.suspend(() => {
        const settled = ledger.settle(server, settling, how)
        if (settled.length === 0) return Effect.void
        const marks = Buffer.concat(settled.map((entry) => encodeRecord({ _tag: "Done", seq: entry.seq, server })))
        return Effect.all([file.appendLater(marks), countOutbox(how, server, settled.length), gauges], { discard: true })
      })

    return {
      record,
      settle,
      pending: ledger.pending,
      awaitPending: ledger.awaitPending,
      servers: ledger.servers,
      figures: ledger.figures
    } satisfies Outbox
  })
