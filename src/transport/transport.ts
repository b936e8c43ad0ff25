/**
 * The Transport interface every pub/sub backend implements: a supervised
 * stream of deliveries per server, and a confirmed publish.
 */
import * as Context from "effect/Context"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import type * as Stream from "effect/Stream"
import { formatHostPort } from "../net/address.js"

/** A fanout server as the transport sees it: where, which channels, how patient. */
export interface FanoutEndpoint {
  readonly kind?: "fanout"
  readonly host: string
  readonly port: number
  readonly channels: ReadonlyArray<string>
  /** A silent connection is declared dead within this many milliseconds. */
  readonly pingTimeoutMs: number
  /** Bound of one received line; longer lines are dropped and logged. */
  readonly maxLineBytes: number
}

/** How a NATS client proves who it is (at most one method; all values already read from their files). */
export interface NatsCredentials {
  readonly token?: string
  readonly user?: string
  readonly password?: string
  /** A `.creds` file's bytes (JWT and NKey seed). */
  readonly creds?: Uint8Array
  readonly nkeySeed?: Uint8Array
}

/** PEM texts; a CA set means the server's certificate must chain to it. */
export interface NatsTls {
  readonly ca?: string
  readonly cert?: string
  readonly key?: string
}

/** JetStream mode: the stream (created when absent) and this daemon's durable consumer. */
export interface JetStreamSettings {
  readonly stream: string
  readonly maxAgeMs: number
  readonly consumer: string
  readonly ackWaitMs: number
  readonly maxAckPending: number
  readonly replicas: number
}

/** A NATS server, or several URLs of one NATS cluster. */
export interface NatsEndpoint {
  readonly kind: "nats"
  readonly urls: ReadonlyArray<string>
  readonly channels: ReadonlyArray<string>
  /** A silent connection is declared dead within about this many milliseconds; also bounds connect and publish. */
  readonly pingTimeoutMs: number
  /** Bound of one message; larger ones are dropped and logged. */
  readonly maxLineBytes: number
  /** Subjects are `<subjectPrefix>.<channel>`. */
  readonly subjectPrefix: string
  readonly credentials: NatsCredentials
  readonly tls: NatsTls | undefined
  /** Unset: core NATS (live messages only). */
  readonly jetstream: JetStreamSettings | undefined
  /** The client name the NATS server shows (the node name). */
  readonly clientName: string
  /**
   * On stop, how long the connection stays open for the deliveries already
   * handed on to be settled (their actions finish: shutdown_timeout).
   */
  readonly settleTimeoutMs: number
}

/** One server as the transport sees it. */
export type Endpoint = FanoutEndpoint | NatsEndpoint

/**
 * How a delivery from an acknowledging transport (JetStream) is settled,
 * once: `ack` when it is finished (never deliver it again), `retry` when it
 * should come back after `delayMs` (the action queue is full, or the daemon stops).
 */
export interface Settle {
  readonly ack: Effect.Effect<void>
  readonly retry: (delayMs: number) => Effect.Effect<void>
}

/** A message received on a subscribed channel of one server. */
export interface Delivery {
  /** `host:port` or the NATS URL(s), the name used in logs. */
  readonly server: string
  readonly channel: string
  readonly message: string
  /** Present when the transport waits for the daemon to settle the message (JetStream). */
  readonly settle?: Settle
}

/** The name of a server in logs, metrics and errors: `host:port`, or its NATS URLs joined by ",". */
export const serverName = (
  endpoint: { readonly host: string; readonly port: number } | { readonly urls: ReadonlyArray<string> }
): string =>
  "urls" in endpoint ? endpoint.urls.join(",") : formatHostPort(endpoint.host, endpoint.port)

export class TransportError extends Data.TaggedError("TransportError")<{
  readonly reason: "Connect" | "Timeout" | "Closed" | "Read" | "Write" | "Busy" | "Invalid" | "Auth" | "Tls" | "Unacknowledged"
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
  /**
   * Sends one message and waits for the server's confirmation: a pong
   * (fanout), a flush (core NATS) or the stream's acknowledgement (JetStream).
   */
  readonly publish: (endpoint: Endpoint, channel: string, message: string) => Effect.Effect<void, TransportError>
  /**
   * Sends every message, in order, over one connection, and waits for one
   * confirmation of them all: a pong after the last announce (fanout), a flush
   * (core NATS), every PubAck (JetStream). An empty list only checks that the server answers.
   */
  readonly publishAll: (endpoint: Endpoint, messages: ReadonlyArray<Outgoing>) => Effect.Effect<void, TransportError>
}

/** One message of a batch publish. */
export interface Outgoing {
  readonly channel: string
  readonly message: string
}

export class Transport extends Context.Tag("f2bc/Transport")<Transport, TransportService>() {}
