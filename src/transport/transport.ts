/**
 * The Transport interface every pub/sub backend implements: a supervised
 * stream of deliveries per server, and a confirmed publish.
 */
import * as Context from "effect/Context"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import type * as Stream from "effect/Stream"

/** One server as the transport sees it: where, which channels, how patient. */
export interface Endpoint {
  readonly host: string
  readonly port: number
  readonly channels: ReadonlyArray<string>
  /** A silent connection is declared dead within this many milliseconds. */
  readonly pingTimeoutMs: number
  /** Bound of one received line; longer lines are dropped and logged. */
  readonly maxLineBytes: number
}

/** A message received on a subscribed channel of one server. */
export interface Delivery {
  /** `host:port`, the name used in logs. */
  readonly server: string
  readonly channel: string
  readonly message: string
}

export const serverName = (endpoint: { readonly host: string; readonly port: number }): string =>
  endpoint.host.includes(":") ? `[${endpoint.host}]:${endpoint.port}` : `${endpoint.host}:${endpoint.port}`

export class TransportError extends Data.TaggedError("TransportError")<{
  readonly reason: "Connect" | "Timeout" | "Closed" | "Read" | "Write" | "Busy" | "Invalid"
  readonly server: string
  readonly detail: string
}> {
  override get message(): string {
    return `${this.server}: ${this.detail}`
  }
}

/** What a supervised subscription reports as it lives: for status and metrics. */
export interface SessionObserver {
  /** Connected and every channel's subscription confirmed. */
  readonly connected: Effect.Effect<void>
  /** A keep-alive ping was answered. */
  readonly pong: Effect.Effect<void>
  /** The connection failed or was lost; a reconnect follows. */
  readonly down: (detail: string) => Effect.Effect<void>
}

export const quietObserver: SessionObserver = {
  connected: Effect.void,
  pong: Effect.void,
  down: () => Effect.void
}

export interface TransportService {
  /**
   * Connects, subscribes every channel, confirms with a ping, pings
   * periodically and reconnects with backoff for as long as the stream runs.
   * Only deliveries on the endpoint's channels are emitted.
   */
  readonly deliveries: (endpoint: Endpoint, observer?: SessionObserver) => Stream.Stream<Delivery>
  /** Announces one message and waits for the server's confirmation (a pong). */
  readonly publish: (endpoint: Endpoint, channel: string, message: string) => Effect.Effect<void, TransportError>
}

export class Transport extends Context.Tag("f2bc/Transport")<Transport, TransportService>() {}
