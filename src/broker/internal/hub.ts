/**
 * The broker's protocol state, independent of sockets: clients, channel
 * subscriptions, request handling, fan-out with per-client output bounds, counters.
 * What one received chunk sends a client is queued and handed to its socket in one write.
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
  /** UTF-8 bytes of the channel names in `channels`: what this client makes the broker keep. */
  channelBytes: number
  splitter: SplitterState
  open: boolean
  /** Output not yet handed to the socket: written as one chunk by `flush`. */
  queue: Array<Uint8Array>
  queuedBytes: number
  /** The socket's unsent bytes when the queue was started (it cannot change until `flush` writes). */
  unsentBefore: number
}

const greeting = "debug!connected..."
const busy = "debug!busy\n"
const implicitChannel = "all"

/** The same buffers in the same order (identity, not content: deliveries are encoded once per announce). */
const sameItems = (a: ReadonlyArray<Uint8Array>, b: ReadonlyArray<Uint8Array>): boolean => {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}

export const makeHub = (
  options: Pick<BrokerOptions, "maxClients" | "maxLineBytes" | "maxOutputBytes" | "maxSubscriptions" | "maxSubscriptionBytes">,
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
    // Without these bounds, one client could grow the subscription table without limit: in entries, and in
    // the bytes of their names (1024 names of 64 KiB were 64 MiB).
    const bytes = Buffer.byteLength(channel)
    if (client.channels.size >= options.maxSubscriptions || client.channelBytes + bytes > options.maxSubscriptionBytes) {
      counters.ignoredRequests++
      return
    }
    client.channels.add(channel)
    client.channelBytes += bytes
    const set = subscribers.get(channel)
    if (set === undefined) subscribers.set(channel, new Set([client]))
    else set.add(client)
    subscriptions++
    counters.subscribes++
  }

  const unsubscribe = (client: Client, channel: string): boolean => {
    if (!client.channels.delete(channel)) return false
    client.channelBytes -= Buffer.byteLength(channel)
    const set = subscribers.get(channel)
    if (set !== undefined) {
      set.delete(client)
      if (set.size === 0) subscribers.delete(channel)
    }
    subscriptions--
    return true
  }

  // Clients with a non-empty queue, in the order they got it.
  let dirty: Array<Client> = []

  /** Hands every queued output to its socket, one write per client (one syscall instead of one per line). */
  const flush = (): void => {
    if (dirty.length === 0) return
    const clients = dirty
    dirty = []
    // Subscribers of the same channels queue the same deliveries: concatenate once for all of them.
    let previous: Array<Uint8Array> | undefined
    let joined: Uint8Array | undefined
    for (const client of clients) {
      const queue = client.queue
      const bytes = client.queuedBytes
      client.queue = []
      client.queuedBytes = 0
      if (!client.open || queue.length === 0) continue
      if (queue.length === 1) {
        client.peer.write(queue[0]!)
        continue
      }
      if (joined === undefined || previous === undefined || !sameItems(previous, queue)) {
        joined = Buffer.concat(queue, bytes)
        previous = queue
      }
      client.peer.write(joined)
    }
  }

  const disconnect = (client: Client): void => {
    if (!client.open) return
    client.open = false
    // Unsent output is discarded, as the socket's own buffer is by destroy().
    client.queue = []
    client.queuedBytes = 0
    clients.delete(client)
    for (const channel of client.channels) unsubscribe(client, channel)
    client.peer.destroy()
    notify({ _tag: "Disconnected", remote: client.peer.remote, clients: clients.size })
  }

  /**
   * Queues `data` unless the client's unsent output (the socket's buffer and
   * the queue) is already over the bound; then disconnects it.
   */
  const send = (client: Client, data: Uint8Array): boolean => {
    if (!client.open) return false
    if (client.queue.length === 0) client.unsentBefore = client.peer.writableLength
    const pending = client.unsentBefore + client.queuedBytes
    if (pending > options.maxOutputBytes) {
      counters.slowClientDisconnects++
      notify({ _tag: "SlowClient", remote: client.peer.remote, pendingBytes: pending })
      disconnect(client)
      return false
    }
    if (client.queue.length === 0) dirty.push(client)
    client.queue.push(data)
    client.queuedBytes += data.length
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
        // The pong confirms what came before it: every earlier delivery is handed to its socket first.
        flush()
        send(client, Buffer.from(`${Math.floor(now() / 1000)}\n`))
        return
      case "Info":
        send(client, Buffer.from(formatInfo(stats(), Math.floor((now() - startedAt) / 1000), options.maxClients)))
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
    const client: Client = {
      peer,
      channels: new Set(),
      channelBytes: 0,
      splitter: initialSplitter,
      open: true,
      queue: [],
      queuedBytes: 0,
      unsentBefore: 0
    }
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
        try {
          for (const event of events) {
            if (!client.open) return
            if (event._tag === "Line") {
              handleLine(client, event.line)
            } else {
              counters.overlongLines++
              notify({ _tag: "Overlong", remote: peer.remote, bytes: event.bytes })
            }
          }
        } finally {
          // Before the event loop runs again, everything this chunk produced is on its way.
          flush()
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
