/**
 * The daemon's server fibers, one per connection key in a `FiberMap`: each
 * runs its transport's deliveries through the ingest; a reload starts and stops them by key.
 */
import * as Chunk from "effect/Chunk"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as FiberMap from "effect/FiberMap"
import * as Schedule from "effect/Schedule"
import * as Stream from "effect/Stream"
import type * as Scope from "effect/Scope"
import type { Config, ServerConfig } from "../config/model.js"
import { LOG_LIMIT } from "../log/limit.js"
import { countDroppedDeliveries, countReconnect, setConnected } from "../metrics/metrics.js"
import { endpointOf } from "../transport/endpoint.js"
import { Transport, serverName } from "../transport/transport.js"
import type { HandleChunk } from "./ingest.js"
import type { StatusBoard } from "./status.js"

export interface Servers {
  /** Starts a fiber for each server of `config` whose key (`keys[i]`) `only` accepts. */
  readonly start: (config: Config, keys: ReadonlyArray<string>, only: (key: string) => boolean) => Effect.Effect<void>
  /** Stops the fiber of `key` (its connection closes) and forgets its status. */
  readonly stop: (key: string) => Effect.Effect<void>
}

export const makeServers = (board: StatusBoard, handleChunk: HandleChunk): Effect.Effect<Servers, never, Transport | Scope.Scope> =>
  Effect.gen(function* () {
    const transport = yield* Transport
    const fibers = yield* FiberMap.make<string>()
    const serve = (key: string, server: ServerConfig, config: Config): Effect.Effect<void> => {
      const name = serverName(server)
      const endpoint = endpointOf(server, config)
      const deliveries = Stream.runForEachChunk(transport.deliveries(endpoint, board.observe(key, name, endpoint.channels)), (chunk) => handleChunk(key, chunk))
      // An empty chunk once per window: the log's rate-limit summaries come out even when the flood has stopped.
      const summaries = Effect.repeat(handleChunk(key, Chunk.empty()), Schedule.spaced(Duration.millis(LOG_LIMIT.windowMs)))
      return Effect.raceFirst(deliveries, Effect.zipRight(summaries, Effect.never)).pipe(
        Effect.annotateLogs({ component: "daemon", server: name })
      )
    }
    return {
      start: (config, keys, only) =>
        Effect.forEach(config.servers, (server, i) => (only(keys[i]!) ? FiberMap.run(fibers, keys[i]!, serve(keys[i]!, server, config)) : Effect.void), {
          discard: true
        }),
      stop: (key) =>
        Effect.zipRight(FiberMap.remove(fibers, key), Effect.sync(() => board.forget(key)))
    }
  })

/** Every server's series exist from the start: connected 0, no reconnects, nothing dropped. */
export const registerServers = (config: Config): Effect.Effect<void> =>
  Effect.forEach(
    config.servers,
    (server) =>
      Effect.all([setConnected(serverName(server), false), countReconnect(serverName(server), 0), countDroppedDeliveries(serverName(server), 0)], {
        discard: true
      }),
    { discard: true }
  )

/** Says once, at start-up and after each reload, which channels accept unsigned messages (the original's behaviour). */
export const warnUnsigned = (config: Config): Effect.Effect<void> =>
  Effect.forEach(config.servers, (server) =>
    Effect.forEach(server.channels.filter((channel) => channel.secret_files.length === 0), (channel) =>
      Effect.logWarning(
        "channel has no secret_file: it accepts unsigned messages from anyone who can reach the server (see docs/security.md)"
      ).pipe(Effect.annotateLogs({ server: serverName(server), channel: channel.name }))), { discard: true })
