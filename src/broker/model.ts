/**
 * The embedded broker's model: its options and their defaults, the stats it
 * reports, the running broker's handle and its error. Imported by `broker.ts` and `internal/`.
 */
import * as Data from "effect/Data"
import type * as Effect from "effect/Effect"
import { Defaults } from "../config/model.js"
import { formatHostPort } from "../net/address.js"

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
  /** Bytes of channel names one client may hold subscribed (`all` included); further subscribes are ignored and counted. */
  readonly maxSubscriptionBytes: number
}

/** The config's `broker:` defaults (`config/model.ts`), which `f2bc broker` uses too. */
export const defaultBrokerOptions: BrokerOptions = {
  host: Defaults.broker.host,
  port: Defaults.broker.port,
  maxClients: Defaults.broker.max_clients,
  maxLineBytes: Defaults.broker.max_line_bytes,
  maxOutputBytes: Defaults.broker.max_output_bytes,
  maxSubscriptions: Defaults.broker.max_subscriptions,
  maxSubscriptionBytes: Defaults.broker.max_subscription_bytes
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
