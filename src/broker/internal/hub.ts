/**
 * The broker's protocol state, independent of sockets: clients, channel
 * subscriptions, request handling, fan-out with per-client output bounds, counters.
 */
import * as Either from "effect/Either"
import { initialSplitter, splitChunk, type SplitterState } from "../../protocol/lineSplitter.js"
import { validateChannelName, validateMessageText } from "../../protocol/names.js"
import type { BrokerOptions, BrokerStats } from "../broker.js"
import { formatInfo } from "./info.js"
import { parseRequestLine } from "./requestLine.js"

/** The hub's view of one connection. */
export interface Peer {
  /** `host:port` of the client, for logs. */
  readonly remote: string
  /** Bytes written but not yet sent. */
  readonly writableLength: number
  readonly write: (data: string | Uint8Array) => void
  /** Send `data`, then close gracefully. */
  readonly end: (data: string) => void
  /** Close now, discarding unsent output. */
  readonly destroy: () => void
}

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

interface Client {
  readonly peer: Peer
  readonly channels: Set<string>
  splitter: SplitterState
  open: boolean
}

const greeting = "debug!connected..."
const busy = "debug!busy\n"
const implicitChannel = "all"

export const makeHub = (
  options: Pick<BrokerOptions, "maxClients" | "maxLineBytes" | "maxOutputBytes" | "maxSubscriptions">,
  notify: (event: HubEvent) => void,
  now: () => number = Date.now
): Hub => {
  const startedAt = now()
  const clients = new Set<Client>()
  const subscribers = new Map<string, Set<Client>>()
  let subscriptions = 0
  const counters = {
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

  const stats = (): BrokerStats => ({
    ...counters,
    clients: clients.size,
    channels: subscribers.size,
    subscriptions
  })

  const subscribe = (client: Client, channel: string): void => {
    if (client.channels.has(channel)) return
    // Without a bound, one client could grow the subscription table without limit.
    if (client.channels.size >= options.maxSubscriptions) {
      counters.ignoredRequests++
      return
    }
    client.channels.add(channel)
    const set = subscribers.get(channel)
    if (set === undefined) subscribers.set(channel, new Set([client]))
    else set.add(client)
    subscriptions++
    counters.subscribes++
  }

  const unsubscribe = (client: Client, channel: string): boolean => {
    if (!client.channels.delete(channel)) return false
    const set = subscribers.get(channel)
    if (set !== undefined) {
      set.delete(client)
      if (set.size === 0) subscribers.delete(channel)
    }
    subscriptions--
    return true
  }

  const disconnect = (client: Client): void => {
    if (!client.open) return
    client.open = false
    clients.delete(client)
    for (const channel of client.channels) unsubscribe(client, channel)
    client.peer.destroy()
    notify({ _tag: "Disconnected", remote: client.peer.remote, clients: clients.size })
  }

  /** Writes unless the client's unsent output is already over the bound; then disconnects it. */
  const send = (client: Client, data: string | Uint8Array): boolean => {
    if (!client.open) return false
    const pending = client.peer.writableLength
    if (pending > options.maxOutputBytes) {
      counters.slowClientDisconnects++
      notify({ _tag: "SlowClient", remote: client.peer.remote, pendingBytes: pending })
      disconnect(client)
      return false
    }
    client.peer.write(data)
    return true
  }

  const announce = (channel: string, message: string): void => {
    const set = subscribers.get(channel)
    if (set === undefined || Either.isLeft(validateMessageText(message))) {
      counters.droppedAnnouncements++
      return
    }
    counters.announcements++
    // Encoded once, the same bytes go to every subscriber.
    const delivery = Buffer.from(`${channel}!${message}\n`)
    for (const subscriber of set) {
      if (send(subscriber, delivery)) counters.deliveries++
    }
  }

  const handleLine = (client: Client, line: string): void => {
    const request = parseRequestLine(line)
    if (request === undefined) {
      counters.ignoredRequests++
      return
    }
    switch (request._tag) {
      case "Ping":
        counters.pings++
        send(client, `${Math.floor(now() / 1000)}\n`)
        return
      case "Info":
        send(client, formatInfo(stats(), Math.floor((now() - startedAt) / 1000), options.maxClients))
        return
      case "Subscribe":
        if (Either.isLeft(validateChannelName(request.channel))) counters.ignoredRequests++
        else subscribe(client, request.channel)
        return
      case "Unsubscribe":
        if (unsubscribe(client, request.channel)) counters.unsubscribes++
        return
      case "Announce":
        announce(request.channel, request.message)
        return
    }
  }

  const open = (peer: Peer): Session | undefined => {
    if (clients.size >= options.maxClients) {
      counters.busyRejections++
      peer.end(busy)
      notify({ _tag: "Busy", remote: peer.remote })
      return undefined
    }
    const client: Client = { peer, channels: new Set(), splitter: initialSplitter, open: true }
    clients.add(client)
    counters.totalConnections++
    counters.maxClientsSeen = Math.max(counters.maxClientsSeen, clients.size)
    peer.write(`${greeting}\n`)
    subscribe(client, implicitChannel)
    notify({ _tag: "Connected", remote: peer.remote, clients: clients.size })
    return {
      receive: (chunk) => {
        if (!client.open) return
        const { events, state } = splitChunk(client.splitter, chunk, options.maxLineBytes)
        client.splitter = state
        // Requests of one client are handled in order, synchronously: a reply to a
        // later `ping` is written only after every earlier line took effect.
        for (const event of events) {
          if (!client.open) return
          if (event._tag === "Line") {
            handleLine(client, event.line)
          } else {
            counters.overlongLines++
            notify({ _tag: "Overlong", remote: peer.remote, bytes: event.bytes })
          }
        }
      },
      closed: () => disconnect(client)
    }
  }

  const closeAll = (): void => {
    for (const client of [...clients]) disconnect(client)
  }

  return { open, stats, closeAll }
}
