/**
 * What the outbox owes, in memory: each live entry with the servers still to confirm it, each server's
 * entries in acceptance order, the counts per server, and the fibers waiting for a server's next entry.
 */
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as FiberId from "effect/FiberId"
import type { OutboxFigures, ServerFigures } from "./model.js"
import { encodeRecord, type Entry, type LiveEntry } from "./record.js"

export interface Ledger {
  /** Owes `entry` to `servers` (and wakes their fibers); `bytes` is its record's size when the caller has it encoded. */
  readonly owe: (entry: Entry, servers: ReadonlyArray<string>, bytes?: number) => void
  /** The first `max` entries owed to `server`, in acceptance order. */
  readonly pending: (server: string, max: number) => ReadonlyArray<Entry>
  readonly awaitPending: (server: string) => Effect.Effect<void>
  /** Ends the entries for `server`; returns those that were owed to it (the others were already settled). */
  readonly settle: (server: string, entries: ReadonlyArray<Entry>, how: "delivered" | "dropped") => ReadonlyArray<Entry>
  readonly live: () => ReadonlyArray<LiveEntry>
  /** The bytes the live entries' records take in the file: compaction's measure, kept as entries come and go. */
  readonly liveBytes: () => number
  readonly size: () => number
  readonly oldestAcceptedMs: () => number | undefined
  readonly servers: () => ReadonlyArray<string>
  readonly figures: (nowMs: number) => OutboxFigures
}

export const makeLedger = (): Ledger => {
  const live = new Map<number, { readonly entry: Entry; readonly remaining: Set<string>; readonly bytes: number }>()
  let liveBytes = 0
  const byServer = new Map<string, Map<number, Entry>>()
  const counts = { delivered: new Map<string, number>(), dropped: new Map<string, number>() }
  const waiting = new Map<string, Deferred.Deferred<void>>()
  const oldestAcceptedMs = () => live.values().next().value?.entry.acceptedMs

  return {
    owe: (entry, servers, recordBytes) => {
      if (servers.length === 0) return
      const bytes = recordBytes ?? encodeRecord({ _tag: "Entry", entry }).length
      live.set(entry.seq, { entry, remaining: new Set(servers), bytes })
      liveBytes += bytes
      for (const server of servers) {
        let queue = byServer.get(server)
        if (queue === undefined) byServer.set(server, (queue = new Map()))
        queue.set(entry.seq, entry)
        const waiter = waiting.get(server)
        if (waiter === undefined) continue
        waiting.delete(server)
        Deferred.unsafeDone(waiter, Effect.void)
      }
    },
    pending: (server, max) => {
      const out: Array<Entry> = []
      for (const entry of byServer.get(server)?.values() ?? []) {
        if (out.length >= max) break
        out.push(entry)
      }
      return out
    },
    awaitPending: (server) =>
      Effect.suspend(() => {
        if ((byServer.get(server)?.size ?? 0) > 0) return Effect.void
        let waiter = waiting.get(server)
        if (waiter === undefined) waiting.set(server, (waiter = Deferred.unsafeMake<void>(FiberId.none)))
        return Deferred.await(waiter)
      }),
    settle: (server, entries, how) => {
      const queue = byServer.get(server)
      const settled = entries.filter((entry) => queue?.delete(entry.seq) === true)
      for (const entry of settled) {
        const owed = live.get(entry.seq)
        owed?.remaining.delete(server)
        if (owed !== undefined && owed.remaining.size === 0) {
          live.delete(entry.seq)
          liveBytes -= owed.bytes
        }
      }
      if (queue !== undefined && queue.size === 0) byServer.delete(server)
      counts[how].set(server, (counts[how].get(server) ?? 0) + settled.length)
      return settled
    },
    live: () => [...live.values()].map(({ entry, remaining }) => ({ entry, remaining: entry.targets.filter((t) => remaining.has(t)) })),
    liveBytes: () => liveBytes,
    size: () => live.size,
    oldestAcceptedMs,
    servers: () => [...byServer.keys()],
    figures: (nowMs) => {
      const names = new Set([...byServer.keys(), ...counts.delivered.keys(), ...counts.dropped.keys()])
      const servers: Array<ServerFigures> = [...names].sort().map((server) => ({
        server,
        pending: byServer.get(server)?.size ?? 0,
        delivered: counts.delivered.get(server) ?? 0,
        dropped: counts.dropped.get(server) ?? 0
      }))
      const oldest = oldestAcceptedMs()
      return { entries: live.size, oldest_age_seconds: oldest === undefined ? 0 : Math.max(0, Math.round((nowMs - oldest) / 1000)), servers }
    }
  }
}
