/**
 * Delivery of the outbox: one fiber per server, sending that server's entries in acceptance order,
 * a batch at a time, each batch confirmed at once; a server that fails is retried with its backoff.
 */
import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as FiberMap from "effect/FiberMap"
import type * as Scope from "effect/Scope"
import type { Config } from "../config/model.js"
import { defaultBackoff, reconnectSchedule } from "../transport/supervise.js"
import { Transport, type Outgoing, type TransportError } from "../transport/transport.js"
import type { Outbox } from "./model.js"
import type { Entry } from "./record.js"
import { endpointOf } from "../transport/endpoint.js"
import { targetFor, targetName, wireText } from "./targets.js"

/**
 * After a server that failed answers again, the wait before its entries go out: subscribers that are
 * themselves reconnecting (a broker restart) are back by then, and fanout keeps nothing for them.
 */
export const RETURN_GRACE_MS = 2_000

/** Entries per batch, at most, and the bytes a batch stops growing at. */
const BATCH_ENTRIES = 1_000
const BATCH_BYTES = 1_048_576

const plural = (n: number): string => `${n} entr${n === 1 ? "y" : "ies"}`

/**
 * When this daemon's own subscription to a server (re)connected, or undefined when it is not connected:
 * a server this daemon just got back is one other subscribers may not have got back yet.
 */
export type ConnectedSince = (name: string) => number | undefined

export interface Delivery {
  /** Starts a fiber for every server of `config` and drops what is owed to servers it no longer has. */
  readonly sync: (config: Config) => Effect.Effect<void>
}

/** Drops, oldest first, the entries owed to `name` that are older than outbox_max_age; true when some remain. */
const expire = (outbox: Outbox, name: string, maxAgeMs: number): Effect.Effect<boolean> =>
  Effect.gen(function* () {
    const now = yield* Clock.currentTimeMillis
    for (;;) {
      const head = outbox.pending(name, BATCH_ENTRIES)
      const old = head.filter((entry) => now - entry.acceptedMs >= maxAgeMs)
      if (old.length > 0) {
        yield* outbox.settle(name, old, "dropped")
        yield* Effect.logWarning(`dropped ${plural(old.length)} older than outbox_max_age (${maxAgeMs / 1000} s), never confirmed`)
      }
      if (old.length < head.length || head.length === 0) return head.length > old.length
    }
  })

/** The next batch for `name` as the server entry in `config` wants it; entries its channel left are dropped. */
const nextBatch = (outbox: Outbox, config: Config, name: string, nowMs: number) =>
  Effect.gen(function* () {
    const entries: Array<Entry> = []
    const messages: Array<Outgoing> = []
    const orphans: Array<Entry> = []
    let bytes = 0
    // Looked up once per channel, not per entry: a batch holds up to BATCH_ENTRIES of a few channels.
    const targets = new Map<string, ReturnType<typeof targetFor>>()
    for (const entry of outbox.pending(name, BATCH_ENTRIES)) {
      if (!targets.has(entry.channel)) targets.set(entry.channel, targetFor(config, name, entry.channel))
      const target = targets.get(entry.channel)
      if (target === undefined) {
        orphans.push(entry)
        continue
      }
      const message = wireText(entry, target.channel.secrets[0], nowMs)
      if (entries.length > 0 && bytes + message.length > BATCH_BYTES) break
      bytes += message.length
      entries.push(entry)
      messages.push({ channel: entry.channel, message })
    }
    if (orphans.length > 0) {
      yield* outbox.settle(name, orphans, "dropped")
      yield* Effect.logWarning(`dropped ${plural(orphans.length)}: the server no longer has their channel`)
    }
    return { entries, messages }
  })

/** One server's loop: wait for entries, send a batch, mark it delivered; on failure, back off until it answers, then wait the grace. */
const serve = (outbox: Outbox, current: () => Config, connectedSince: ConnectedSince, name: string): Effect.Effect<never, never, Transport> =>
  Effect.gen(function* () {
    const transport = yield* Transport
    const serverOf = () => current().servers.find((server) => targetName(server, current()) === name)
    const maxAgeMs = () => current().outbox_max_age * 1000
    // Answers once the server does, or once nothing is owed to it any more (all dropped by age).
    const probe = Effect.gen(function* () {
      if (!(yield* expire(outbox, name, maxAgeMs()))) return
      const server = serverOf()
      if (server === undefined) return
      yield* transport.publishAll(endpointOf(server, current()), [])
    })
    const recover = (error: TransportError) =>
      Effect.gen(function* () {
        yield* Effect.logWarning(`not confirmed: ${error.detail}; ${plural(outbox.pending(name, Infinity).length)} kept, retrying with backoff`)
        // The schedule never ends: this returns once the server answers (or nothing is owed to it).
        yield* Effect.ignore(Effect.retry(probe, reconnectSchedule(defaultBackoff)))
        const owed = outbox.pending(name, Infinity).length
        if (owed === 0) return
        yield* Effect.logInfo(`answers again: sending ${plural(owed)} in ${RETURN_GRACE_MS / 1000} s`)
        yield* Effect.sleep(Duration.millis(RETURN_GRACE_MS))
      })
    // A broker that restarted fast enough for no send to fail: wait the grace from our own subscription's return.
    const settleAfterReturn = Effect.gen(function* () {
      const since = connectedSince(name)
      const wait = since === undefined ? 0 : since + RETURN_GRACE_MS - (yield* Clock.currentTimeMillis)
      if (wait > 0) yield* Effect.sleep(Duration.millis(wait))
    })
    const round = Effect.gen(function* () {
      yield* outbox.awaitPending(name)
      yield* settleAfterReturn
      if (!(yield* expire(outbox, name, maxAgeMs()))) return
      const config = current()
      const server = serverOf()
      if (server === undefined) return yield* Effect.never // sync() drops its entries and stops this fiber
      const { entries, messages } = yield* nextBatch(outbox, config, name, yield* Clock.currentTimeMillis)
      if (entries.length === 0) return
      const sent = yield* Effect.either(transport.publishAll(endpointOf(server, config), messages))
      if (sent._tag === "Right") {
        yield* outbox.settle(name, entries, "delivered")
        return yield* Effect.logDebug(`delivered ${plural(entries.length)}`)
      }
      yield* recover(sent.left)
    })
    return yield* Effect.forever(round)
  }).pipe(Effect.annotateLogs({ component: "outbox", server: name }))

/** Delivery for the daemon's scope: `current` is read at each batch (a reload's new secrets sign the next attempt). */
export const makeDelivery = (
  outbox: Outbox,
  current: () => Config,
  connectedSince: ConnectedSince
): Effect.Effect<Delivery, never, Scope.Scope | Transport> =>
  Effect.gen(function* () {
    const fibers = yield* FiberMap.make<string>()
    const running = new Set<string>()
    const context = yield* Effect.context<Transport>()
    const sync = (config: Config): Effect.Effect<void> =>
      Effect.gen(function* () {
        const names = new Set(config.servers.map((server) => targetName(server, config)))
        for (const name of outbox.servers()) {
          if (names.has(name)) continue
          yield* FiberMap.remove(fibers, name)
          const owed = outbox.pending(name, Infinity)
          yield* outbox.settle(name, owed, "dropped")
          yield* Effect.logWarning(`dropped ${plural(owed.length)} owed to ${name}: the server is no longer in the config`).pipe(
            Effect.annotateLogs({ component: "outbox" })
          )
        }
        for (const name of [...running]) {
          if (names.has(name)) continue
          running.delete(name)
          yield* FiberMap.remove(fibers, name)
        }
        for (const name of names) {
          if (running.has(name)) continue
          running.add(name)
          yield* FiberMap.run(fibers, name, Effect.provide(serve(outbox, current, connectedSince, name), context))
        }
      })
    return { sync }
  })
