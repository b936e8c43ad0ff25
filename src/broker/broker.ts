/**
 * The embedded fanout-compatible server (`f2bc broker`, docs/operations.md): its model
 * (`model.ts`) and `makeBroker`, which serves the fanout protocol over TCP in a scope.
 */
import type * as net from "node:net"
import * as Effect from "effect/Effect"
import * as Runtime from "effect/Runtime"
import type * as Scope from "effect/Scope"
import { formatHostPort } from "../net/address.js"
import { closeServer } from "../net/listen.js"
import { type HubEvent, makeHub } from "./internal/hub.js"
import { listen, serveSocket } from "./internal/listener.js"
import { type Broker, BrokerError, type BrokerOptions } from "./model.js"

export * from "./model.js"

const component = { component: "broker" }

// Busy rejections can come in floods: log the first, then at most one summary per interval.
const busyLogIntervalMs = 10_000

type Log = (effect: Effect.Effect<void>, annotations?: Record<string, unknown>) => void

/** The hub's events as log lines; `now` spaces out the busy summaries. */
const reporter = (options: BrokerOptions, log: Log, now: () => number): ((event: HubEvent) => void) => {
  let lastBusyLog = -Infinity
  let busySinceLog = 0
  return (event) => {
    const client = { client: event.remote }
    switch (event._tag) {
      case "Connected":
        return log(Effect.logDebug(`client connected (${event.clients} connected)`), client)
      case "Disconnected":
        return log(Effect.logDebug(`client disconnected (${event.clients} connected)`), client)
      case "Busy": {
        busySinceLog++
        const at = now()
        if (at - lastBusyLog < busyLogIntervalMs) return
        log(Effect.logWarning(`broker full (${options.maxClients} clients): refused ${busySinceLog} connection(s) with debug!busy`), client)
        lastBusyLog = at
        busySinceLog = 0
        return
      }
      case "SlowClient":
        return log(
          Effect.logWarning(`disconnected a slow client: ${event.pendingBytes} bytes unsent exceed the limit of ${options.maxOutputBytes}`),
          client
        )
      case "Overlong":
        return log(Effect.logWarning(`dropped a ${event.bytes}-byte request line (limit ${options.maxLineBytes} bytes)`), client)
    }
  }
}

/**
 * Listens on `options.host:port` and serves the fanout protocol until the
 * scope closes; closing the scope closes the listener and every client.
 */
export const makeBroker = (options: BrokerOptions): Effect.Effect<Broker, BrokerError, Scope.Scope> =>
  Effect.gen(function*() {
    const runtime = yield* Effect.runtime<never>()
    const clock = yield* Effect.clock
    const now = () => clock.unsafeCurrentTimeMillis()
    // Socket callbacks are not Effects: hand each log line to the captured runtime.
    const log: Log = (effect, annotations = {}) => {
      Runtime.runFork(runtime)(effect.pipe(Effect.annotateLogs({ ...component, ...annotations })))
    }
    const hub = makeHub(options, reporter(options, log, now), now)
    const sockets = new Set<net.Socket>()
    const server = yield* Effect.acquireRelease(
      listen(
        options.host,
        options.port,
        (socket) => serveSocket(hub, socket, sockets),
        (error) => log(Effect.logWarning(`accepting a connection failed: ${error.message}`))
      ).pipe(
        Effect.mapError((error) => new BrokerError({ reason: "Listen", host: options.host, port: options.port, cause: error.cause }))
      ),
      (server) =>
        closeServer(server, () => {
          hub.closeAll()
          for (const socket of sockets) socket.destroy()
        }).pipe(Effect.zipRight(Effect.logInfo("broker stopped")), Effect.annotateLogs(component))
    )
    const bound = server.address()
    const address = typeof bound === "object" && bound !== null
      ? { host: bound.address, port: bound.port }
      : { host: options.host, port: options.port }
    yield* Effect.logInfo(`broker listening on ${formatHostPort(address.host, address.port)}`).pipe(Effect.annotateLogs(component))
    return { address, stats: Effect.sync(() => hub.stats()) }
  })
