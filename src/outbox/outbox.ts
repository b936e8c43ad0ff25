/**
 * The outbox service: entries handed off to this daemon, kept in memory per server (in acceptance order)
 * and in the append-only file of state_dir, until every target server confirmed them or they were dropped.
 */
import * as Clock from "effect/Clock"
import * as Deferred from "effect/Deferred"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as FiberId from "effect/FiberId"
import type * as Scope from "effect/Scope"
import * as nodePath from "node:path"
import { holdPidFile, type PidFileError } from "../daemon/pidfile.js"
import type { StateFileError } from "../daemon/stateFile.js"
import { countOutbox, setOutboxGauges } from "../metrics/metrics.js"
import { openOutboxFile, prepareStateDir } from "./file.js"
import { OutboxError, type Outbox, type ServerFigures } from "./model.js"
import { encodeRecord, liveEntries, type Entry, type LiveEntry } from "./record.js"

export interface OutboxOptions {
  readonly dir: string
  readonly maxEntries: number
}

/** What is owed: each live entry with the servers still to confirm it, and per server its entries in order. */
interface State {
  readonly live: Map<number, { readonly entry: Entry; readonly remaining: Set<string> }>
  readonly byServer: Map<string, Map<number, Entry>>
  readonly delivered: Map<string, number>
  readonly dropped: Map<string, number>
  readonly waiting: Map<string, Deferred.Deferred<void>>
}

const owe = (state: State, entry: Entry, servers: ReadonlyArray<string>): void => {
  if (servers.length === 0) return
  state.live.set(entry.seq, { entry, remaining: new Set(servers) })
  for (const server of servers) {
    let queue = state.byServer.get(server)
    if (queue === undefined) state.byServer.set(server, (queue = new Map()))
    queue.set(entry.seq, entry)
    const waiter = state.waiting.get(server)
    if (waiter !== undefined) {
      state.waiting.delete(server)
      Deferred.unsafeDone(waiter, Effect.void)
    }
  }
}

const snapshot = (state: State): ReadonlyArray<LiveEntry> =>
  [...state.live.values()].map(({ entry, remaining }) => ({ entry, remaining: entry.targets.filter((t) => remaining.has(t)) }))

/** Opens the outbox of `options.dir` for the scope's lifetime: recovers what a previous run left, then serves. */
export const makeOutbox = (options: OutboxOptions): Effect.Effect<Outbox, OutboxError | StateFileError | PidFileError, Scope.Scope> =>
  Effect.gen(function* () {
    yield* prepareStateDir(options.dir)
    // One daemon per state_dir: two appending to one file would tear each other's records.
    yield* holdPidFile(nodePath.join(options.dir, "daemon.pid"))
    const state: State = { live: new Map(), byServer: new Map(), delivered: new Map(), dropped: new Map(), waiting: new Map() }
    let nextSeq = 1
    let reserved = 0
    const path = nodePath.join(options.dir, "outbox")
    let torn = 0
    const file = yield* openOutboxFile(path, () => snapshot(state), (decoded) => {
      const live = liveEntries(decoded.records)
      for (const { entry, remaining } of live) owe(state, entry, remaining)
      nextSeq = decoded.records.reduce((max, r) => Math.max(max, r._tag === "Entry" ? r.entry.seq + 1 : 0), 1)
      torn = decoded.tornBytes
      return live
    })
    if (torn > 0) yield* Effect.logWarning(`outbox ${path}: ignored ${torn} byte(s) after the last whole record (a write cut short by a crash)`)
    if (state.live.size > 0) yield* Effect.logInfo(`outbox ${path}: ${state.live.size} entr${state.live.size === 1 ? "y" : "ies"} left to deliver`)

    const gauges = (nowMs: number) => {
      let oldest: number | undefined
      for (const { entry } of state.live.values()) {
        oldest = entry.acceptedMs
        break
      }
      return setOutboxGauges(state.live.size, oldest === undefined ? 0 : Math.max(0, (nowMs - oldest) / 1000))
    }

    yield* Effect.flatMap(Clock.currentTimeMillis, gauges)
    // The oldest entry ages between changes too.
    yield* Effect.forkScoped(Effect.forever(Effect.zipRight(Effect.sleep(Duration.seconds(1)), Effect.flatMap(Clock.currentTimeMillis, gauges))))

    const outbox: Outbox = {
      record: (fields) =>
        Effect.suspend(() => {
          if (state.live.size + reserved >= options.maxEntries)
            return Effect.fail(new OutboxError({ reason: "Full", detail: `outbox full (${state.live.size + reserved} entries)` }))
          const entry: Entry = { ...fields, seq: nextSeq++ }
          reserved++
          return file.append(encodeRecord({ _tag: "Entry", entry }), () => owe(state, entry, entry.targets)).pipe(
            Effect.ensuring(Effect.sync(() => reserved--)),
            Effect.as(entry),
            Effect.tap(() => Effect.flatMap(Clock.currentTimeMillis, gauges))
          )
        }),
      pending: (server, max) => {
        const queue = state.byServer.get(server)
        const out: Array<Entry> = []
        if (queue === undefined) return out
        for (const entry of queue.values()) {
          if (out.length >= max) break
          out.push(entry)
        }
        return out
      },
      awaitPending: (server) =>
        Effect.suspend(() => {
          if ((state.byServer.get(server)?.size ?? 0) > 0) return Effect.void
          let waiter = state.waiting.get(server)
          if (waiter === undefined) state.waiting.set(server, (waiter = Deferred.unsafeMake<void>(FiberId.none)))
          return Deferred.await(waiter)
        }),
      settle: (server, entries, how) =>
        Effect.suspend(() => {
          const queue = state.byServer.get(server)
          const marks: Array<Buffer> = []
          for (const entry of entries) {
            if (queue?.delete(entry.seq) !== true) continue
            marks.push(encodeRecord({ _tag: "Done", seq: entry.seq, server }))
            const owed = state.live.get(entry.seq)
            owed?.remaining.delete(server)
            if (owed !== undefined && owed.remaining.size === 0) state.live.delete(entry.seq)
          }
          if (queue !== undefined && queue.size === 0) state.byServer.delete(server)
          const counts = how === "delivered" ? state.delivered : state.dropped
          counts.set(server, (counts.get(server) ?? 0) + marks.length)
          if (marks.length === 0) return Effect.void
          return Effect.all([
            file.appendLater(Buffer.concat(marks)),
            countOutbox(how, server, marks.length),
            Effect.flatMap(Clock.currentTimeMillis, gauges)
          ], { discard: true })
        }),
      servers: () => [...state.byServer.keys()],
      figures: (nowMs) => {
        const names = new Set([...state.byServer.keys(), ...state.delivered.keys(), ...state.dropped.keys()])
        const servers: Array<ServerFigures> = [...names].sort().map((server) => ({
          server,
          pending: state.byServer.get(server)?.size ?? 0,
          delivered: state.delivered.get(server) ?? 0,
          dropped: state.dropped.get(server) ?? 0
        }))
        const oldest = state.live.values().next()
        return {
          entries: state.live.size,
          oldest_age_seconds: oldest.done === true ? 0 : Math.max(0, Math.round((nowMs - oldest.value.entry.acceptedMs) / 1000)),
          servers
        }
      }
    }
    return outbox
  })
