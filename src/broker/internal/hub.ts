/**
 * The broker's protocol state, independent of sockets: clients, channel
 * subscriptions, request handling, fan-out with per-client output bounds, counters.
 * What one received chunk sends a client is queued and handed to its socket in one write.
 */
import * as Either from "effect/Either"
import { splitChunk } from "../../protocol/lineSplitter.js"
import { validateChannelName, validateMessageText } from "../../protocol/names.js"
import type { BrokerOptions, BrokerStats } from "../model.js"
import { type Client, newClient, Outbox, type Peer } from "./client.js"
import { formatInfo } from "./info.js"
import type { Request } from "../../protocol/request.js"
import { parseRequestLine } from "./requestLine.js"
import { Subscriptions } from "./subscriptions.js"

export type { Peer } from "./client.js"

/** What the hub reports for logging. */
export type HubEvent =
  | { readonly _tag: "Connected"; readonly remote: string; readonly clients: number }
  | { readonly _tag: "Disconnected"; readonly remote: string; readonly clients: number }
  | { readonly _tag: "Busy"; readonly remote: string }
  | { readonly _tag: "SlowClient"; readonly remote: string; readonly pendingBytes: number }
  | { readonly _tag: "Overlong"; readonly remote: string; readonly bytes: number }

/** One accepted connection: feed it the bytes received, tell it when the socket closed. */
export interface Session {
  readonly receive: (chunk: Uint8Array) => void
  readonly closed: () => void
}

export interface Hub {
  /** Accepts a connection, or answers `debug!busy`, closes it and returns `undefined` when full. */
  readonly open: (peer: Peer) => Session | undefined
  readonly stats: () => BrokerStats
  /** Disconnects every client (shutdown). */
  readonly closeAll: () => void
}

export type HubOptions = Pick<BrokerOptions, "maxClients" | "maxLineBytes" | "maxOutputBytes" | "maxSubscriptions" | "maxSubscriptionBytes">

const greeting = "debug!connected..."
const busy = "debug!busy\n"
const implicitChannel = "all"

class HubState {
  readonly startedAt: number
  readonly clients = new Set<Client>()
  readonly subscriptions: Subscriptions<Client>
  readonly outbox = new Outbox()
  readonly counters = {
    maxClientsSeen: 0,
    totalConnections: 0,
    busyRejections: 0,
    announcements: 0,
    deliveries: 0,
    droppedAnnouncements: 0,
    subscribes: 0,
    unsubscribes: 0,
    pings: 0,
    ignoredRequests: 0,
    overlongLines: 0,
    slowClientDisconnects: 0
  }

  constructor(
    readonly options: HubOptions,
    readonly notify: (event: HubEvent) => void,
    readonly now: () => number
  ) {
    this.startedAt = now()
    this.subscriptions = new Subscriptions(options.maxSubscriptions, options.maxSubscriptionBytes)
  }

  stats(): BrokerStats {
    return { ...this.counters, clients: this.clients.size, channels: this.subscriptions.channels, subscriptions: this.subscriptions.count }
  }

  subscribe(client: Client, channel: string): void {
    const added = this.subscriptions.add(client, channel)
    if (added === "Added") this.counters.subscribes++
    else if (added === "Full") this.counters.ignoredRequests++
  }

  disconnect(client: Client): void {
    if (!client.open) return
    client.open = false
    this.outbox.discard(client)
    this.clients.delete(client)
    for (const channel of client.channels) this.subscriptions.remove(client, channel)
    client.peer.destroy()
    this.notify({ _tag: "Disconnected", remote: client.peer.remote, clients: this.clients.size })
  }

  /** Queues `data` unless the client's unsent output (the socket's buffer and the queue) is already over the bound; then disconnects it. */
  send(client: Client, data: Uint8Array): boolean {
    if (!client.open) return false
    // The fan-out's innermost step, once per subscriber: written out here: as an Outbox method it cost 2–7 % of fan-out throughput in a hub micro-benchmark.
    if (client.queue.length === 0) client.unsentBefore = client.peer.writableLength
    const pending = client.unsentBefore + client.queuedBytes
    if (pending <= this.options.maxOutputBytes) {
      if (client.queue.length === 0) this.outbox.dirty.push(client)
      client.queue.push(data)
      client.queuedBytes += data.length
      return true
    }
    this.counters.slowClientDisconnects++
    this.notify({ _tag: "SlowClient", remote: client.peer.remote, pendingBytes: pending })
    this.disconnect(client)
    return false
  }

  announce(channel: string, message: string): void {
    const set = this.subscriptions.subscribers(channel)
    if (set === undefined || Either.isLeft(validateMessageText(message))) {
      this.counters.droppedAnnouncements++
      return
    }
    this.counters.announcements++
    // Encoded once, the same bytes go to every subscriber.
    const delivery = Buffer.from(`${channel}!${message}\n`)
    for (const subscriber of set) {
      if (this.send(subscriber, delivery)) this.counters.deliveries++
    }
  }

  handle(client: Client, request: Request): void {
    switch (request._tag) {
      case "Ping":
        this.counters.pings++
        // The pong confirms what came before it: every earlier delivery is handed to its socket first.
        this.outbox.flush()
        this.send(client, Buffer.from(`${Math.floor(this.now() / 1000)}\n`))
        return
      case "Info": {
        const uptime = Math.floor((this.now() - this.startedAt) / 1000)
        this.send(client, Buffer.from(formatInfo(this.stats(), uptime, this.options.maxClients)))
        return
      }
      case "Subscribe":
        if (Either.isLeft(validateChannelName(request.channel))) this.counters.ignoredRequests++
        else this.subscribe(client, request.channel)
        return
      case "Unsubscribe":
        if (this.subscriptions.remove(client, request.channel)) this.counters.unsubscribes++
        return
      case "Announce":
        return this.announce(request.channel, request.message)
    }
  }

  /** Requests of one client are handled in order, synchronously: a reply to a later `ping` is written only after every earlier line took effect. */
  receive(client: Client, chunk: Uint8Array): void {
    if (!client.open) return
    const { events, state } = splitChunk(client.splitter, chunk, this.options.maxLineBytes)
    client.splitter = state
    try {
      for (const event of events) {
        if (!client.open) return
        if (event._tag === "Overlong") {
          this.counters.overlongLines++
          this.notify({ _tag: "Overlong", remote: client.peer.remote, bytes: event.bytes })
          continue
        }
        const request = parseRequestLine(event.line)
        if (request === undefined) this.counters.ignoredRequests++
        else this.handle(client, request)
      }
    } finally {
      // Before the event loop runs again, everything this chunk produced is on its way.
      this.outbox.flush()
    }
  }

  open(peer: Peer): Session | undefined {
    if (this.clients.size >= this.options.maxClients) {
      this.counters.busyRejections++
      peer.end(busy)
      this.notify({ _tag: "Busy", remote: peer.remote })
      return undefined
    }
    const client = newClient(peer)
    this.clients.add(client)
    this.counters.totalConnections++
    this.counters.maxClientsSeen = Math.max(this.counters.maxClientsSeen, this.clients.size)
    peer.write(`${greeting}\n`)
    this.subscribe(client, implicitChannel)
    this.notify({ _tag: "Connected", remote: peer.remote, clients: this.clients.size })
    return { receive: (chunk) => this.receive(client, chunk), closed: () => this.disconnect(client) }
  }
}

/** The hub; `now` (epoch milliseconds) stamps pongs and the uptime `info` reports. */
export const makeHub = (options: HubOptions, notify: (event: HubEvent) => void, now: () => number): Hub => {
  const state = new HubState(options, notify, now)
  return {
    open: (peer) => state.open(peer),
    stats: () => state.stats(),
    closeAll: () => {
      for (const client of [...state.clients]) state.disconnect(client)
    }
  }
}
