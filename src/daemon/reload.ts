/**
 * Reload in place: servers whose connection key is gone stop, new ones start,
 * kept ones keep their connection and find the new plan at their next chunk.
 */
import * as Effect from "effect/Effect"
import type { ReloadOutcome } from "../control/protocol.js"
import type { Config } from "../config/model.js"
import { setConnected } from "../metrics/metrics.js"
import { serverName } from "../transport/transport.js"
import { connectionKeys, currentOf, type CurrentCell } from "./connections.js"
import { registerServers, warnUnsigned, type Servers } from "./servers.js"

/** Keys whose change a reload cannot apply: they are read once at start. */
const RESTART_KEYS = [
  "broker",
  "log_level",
  "log_file",
  "pid_file",
  "control_socket",
  "metrics",
  "queue_limit",
  "concurrency",
  "dedupe_max_entries",
  "quorum_max_entries",
  "state_dir",
  "outbox_max_entries"
] as const satisfies ReadonlyArray<keyof Config>

/** What was read once at start stays as it was until a restart; the rest is the new config. */
const applicable = (started: Config, next: Config): { readonly applied: Config; readonly needRestart: ReadonlyArray<string> } => ({
  applied: { ...next, ...Object.fromEntries(RESTART_KEYS.map((key) => [key, started[key]])) },
  needRestart: RESTART_KEYS.filter((key) => JSON.stringify(started[key]) !== JSON.stringify(next[key]))
})

/** `reload(next)`, one at a time (a one-permit lock), for a daemon started with `started`. */
export const makeReload = (started: Config, current: CurrentCell, servers: Servers): Effect.Effect<(next: Config) => Effect.Effect<ReloadOutcome>> =>
  Effect.map(Effect.makeSemaphore(1), (lock) => (next) =>
    lock.withPermits(1)(
      Effect.gen(function* () {
        const before = current.get()
        const oldKeys = new Set(before.plans.keys())
        const nextKeys = connectionKeys(next)
        const nextSet = new Set(nextKeys)
        const stopped = [...oldKeys].filter((key) => !nextSet.has(key))
        yield* Effect.forEach(stopped, servers.stop, { discard: true })
        const { applied, needRestart } = applicable(started, next)
        current.set(currentOf(applied))
        const nowServing = new Set(applied.servers.map(serverName))
        yield* Effect.forEach(before.config.servers.filter((server) => !nowServing.has(serverName(server))), (server) =>
          setConnected(serverName(server), false), { discard: true })
        // Only new servers start from "not connected": a kept one stays connected.
        yield* registerServers({ ...applied, servers: applied.servers.filter((_, i) => !oldKeys.has(nextKeys[i]!)) })
        yield* servers.start(applied, nextKeys, (key) => !oldKeys.has(key))
        const outcome: ReloadOutcome = {
          kept: nextKeys.filter((key) => oldKeys.has(key)).length,
          started: nextKeys.filter((key) => !oldKeys.has(key)).length,
          stopped: stopped.length,
          needRestart
        }
        yield* warnUnsigned(next)
        yield* Effect.logInfo(
          `config reloaded from ${next.source}: ${outcome.kept} server(s) kept their connection, ${outcome.started} (re)connecting, ${outcome.stopped} stopped`
        )
        if (needRestart.length > 0) yield* Effect.logWarning(`changed keys that apply only after a restart: ${needRestart.join(", ")}`)
        return outcome
      }).pipe(Effect.annotateLogs({ component: "daemon" }))
    ))
