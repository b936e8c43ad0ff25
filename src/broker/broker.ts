/**
 * The embedded fanout-compatible server (`f2bc broker`, docs/operations.md): its options, stats
 * and errors, and `makeBroker`, which serves the fanout protocol over TCP in a scope.
 */
import type * as net from "node:net"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as Runtime from "effect/Runtime"
import type * as Scope from "effect/Scope"
import { type HubEvent, makeHub } from "./internal/hub.js"
import { closeServer, formatHostPort, listen, serveSocket } from "./internal/listener.js"

export interface BrokerOptions {
  /** Address to bind; loopback by default (docs/operations.md). */
  readonly host: string
  /** TCP port; 0 picks a free one (read it from `Broker.address`). */
  readonly port: number
  /** Connected clients beyond this are told `debug!busy` and closed. */
  readonly maxClients: number
  /** A request line longer than this (bytes before `\n`) is dropped. */
  readonly maxLineBytes: number
  /** A client whose unsent output exceeds this is disconnected instead of buffered further. */
  readonly maxOutputBytes: number
  /** Channels one client may subscribe to (`all` included); further subscribes are ignored and counted. */
  readonly maxSubscriptions: number
}

export const defaultBrokerOptions: BrokerOptions = {
  host: "127.0.0.1",
  port: 1986,
  maxClients: 1024,
  maxLineBytes: 64 * 1024,
  maxOutputBytes: 1024 * 1024,
  maxSubscriptions: 1024
}

/** A snapshot of the broker's gauges and counters (the same numbers `info` reports). */
export interface BrokerStats {
  readonly clients: number
  readonly maxClientsSeen: number
  readonly channels: number
  readonly subscriptions: number
  readonly totalConnections: number
  readonly busyRejections: number
  readonly announcements: number
  readonly deliveries: number
  readonly droppedAnnouncements: number
  readonly subscribes: number
  readonly unsubscribes: number
  readonly pings: number
  readonly ignoredRequests: number
  readonly overlongLines: number
  readonly slowClientDisconnects: number
}

export interface Broker {
  /** The bound address (the real port when 0 was asked for). */
  readonly address: { readonly host: string; readonly port: number }
  readonly stats: Effect.Effect<BrokerStats>
}

export class BrokerError extends Data.TaggedError("BrokerError")<{
  readonly reason: "Listen"
  readonly host: string
  readonly port: number
  readonly cause: unknown
}> {
  override get message(): string {
    const cause = this.cause instanceof Error ? this.cause.message : String(this.cause)
    return `broker cannot listen on ${formatHostPort(this.host, this.port)}: ${cause}`
  }
}

const component = { component: "broker" }

// Busy rejections can come in floods: log the first, then at most one summary per interval.
const busyLogIntervalMs = 10_000

/**
 * Listens on `options.host:port` and serves the fanout protocol until the
 * scope closes; closing the scope closes the listener and every client.
 */
export const makeBroker = (options: BrokerOptions): Effect.Effect<Broker, BrokerError, Scope.Scope> =>
  Effect.gen(function*() {
    const runtime = yield* Effect.runtime<never>()
    const runFork = Runtime.runFork(runtime)
    // Socket callbacks are not Effects: hand each log line to the captured runtime.
    const log = (effect: Effect.Effect<void>, annotations: Record<string, unknown> = {}): void => {
      runFork(effect.pipe(Effect.annotateLogs({ ...component, ...annotations })))
    }
    let lastBusyLog = -Infinity
    let busySinceLog = 0
    const report = (event: HubEvent): void => {
      switch (event._tag) {
        case "Connected":
          return log(Effect.logDebug(`client connected (${event.clients} connected)`), { client: event.remote })
        case "Disconnected":
          return log(Effect.logDebug(`client disconnected (${event.clients} connected)`), { client: event.remote })
        case "Busy": {
          busySinceLog++
          const now = Date.now()
          if (now - lastBusyLog < busyLogIntervalMs) return
          log(
            Effect.logWarning(
              `broker full (${options.maxClients} clients): refused ${busySinceLog} connection(s) with debug!busy`
            ),
            { client: event.remote }
          )
          lastBusyLog = now
          busySinceLog = 0
          return
        }
        case "SlowClient":
          return log(
            Effect.logWarning(
              `disconnected a slow client: ${event.pendingBytes} bytes unsent exceed the limit of ${options.maxOutputBytes}`
            ),
            { client: event.remote }
          )
        case "Overlong":
          return log(
            Effect.logWarning(`dropped a ${event.bytes}-byte request line (limit ${options.maxLineBytes} bytes)`),
            { client: event.remote }
          )
      }
    }

    const hub = makeHub(options, report)
    const sockets = new Set<net.Socket>()
    const server = yield* Effect.acquireRelease(
      listen(
        options.host,
        options.port,
        (socket) => serveSocket(hub, socket, sockets),
        (error) => log(Effect.logWarning(`accepting a connection failed: ${error.message}`))
      ).pipe(
        Effect.mapError((cause) => new BrokerError({ reason: "Listen", host: options.host, port: options.port, cause }))
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
    yield* Effect.logInfo(`broker listening on ${formatHostPort(address.host, address.port)}`).pipe(
      Effect.annotateLogs(component)
    )
    return { address, stats: Effect.sync(() => hub.stats()) }
  })
