/**
 * The daemon's fanout publisher: one connection per server kept open while batches follow each other (a storm
 * is one connection, not one per batch), closed after IDLE_MS without one. Each batch is its announces and a
 * ping; the pongs come back in order, so the n-th pong confirms the n-th batch.
 */
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as net from "node:net"
import { parseFrame } from "../../protocol/frame.js"
import { initialSplitter, splitChunk, type SplitterState } from "../../protocol/lineSplitter.js"
import { serverName, TransportError, type FanoutEndpoint as Endpoint, type Outgoing } from "../transport.js"
import { batchPayload } from "./publish.js"

/** An idle connection is closed after this long: the next batch connects again (no connection left to go stale). */
export const IDLE_MS = 5_000

type Outcome = Either.Either<void, TransportError>

interface Link {
  readonly socket: net.Socket
  readonly server: string
  /** One per batch written, in order: the next pong settles the first. */
  readonly waiting: Array<(outcome: Outcome) => void>
  splitter: SplitterState
  connected: boolean
  busy: boolean
  timer: ReturnType<typeof setTimeout> | undefined
}

export interface Publisher {
  /** Sends the batch on `endpoint`'s open connection (or a new one) and succeeds at its pong. */
  readonly publishAll: (endpoint: Endpoint, messages: ReadonlyArray<Outgoing>) => Effect.Effect<void, TransportError>
  /** Closes every connection (the daemon stops). */
  readonly close: () => void
}

export const makePublisher = (): Publisher => {
  const links = new Map<string, Link>()

  /** Ends `link`: every batch still waiting fails with the reason (none when it was idle). */
  const drop = (link: Link, reason: TransportError["reason"], detail: string) => {
    if (links.get(link.server) === link) links.delete(link.server)
    clearTimeout(link.timer)
    link.socket.destroy()
    const failed = Either.left(new TransportError({ reason, server: link.server, detail }))
    for (const settle of link.waiting.splice(0)) settle(failed)
  }

  /** While a batch waits: its pong within ping_timeout. Idle: closed after IDLE_MS. */
  const arm = (link: Link, endpoint: Endpoint) => {
    clearTimeout(link.timer)
    link.timer = link.waiting.length > 0
      ? setTimeout(() => drop(link, link.connected ? "Timeout" : "Connect", link.connected ? `no pong within ${endpoint.pingTimeoutMs} ms` : "cannot connect: Connection timed out"), endpoint.pingTimeoutMs)
      : setTimeout(() => drop(link, "Closed", "idle"), IDLE_MS)
  }

  const open = (endpoint: Endpoint, server: string): Link => {
    const socket = net.connect({ host: endpoint.host, port: endpoint.port, noDelay: true })
    const link: Link = { socket, server, waiting: [], splitter: initialSplitter, connected: false, busy: false, timer: undefined }
    socket.once("connect", () => (link.connected = true))
    socket.on("data", (chunk: Buffer) => {
      const result = splitChunk(link.splitter, chunk, endpoint.maxLineBytes)
      link.splitter = result.state
      for (const event of result.events) {
        if (event._tag !== "Line") continue
        const frame = parseFrame(event.line)
        if (frame._tag === "Debug" && frame.text === "busy") link.busy = true
        if (frame._tag !== "Pong") continue
        link.waiting.shift()?.(Either.void)
        arm(link, endpoint)
      }
    })
    socket.on("error", (error) => drop(link, link.connected ? "Read" : "Connect", link.connected ? error.message : `cannot connect: ${error.message}`))
    socket.on("close", () => drop(link, link.busy ? "Busy" : "Closed", link.busy ? "server is full (debug!busy)" : "server closed the connection"))
    links.set(server, link)
    return link
  }

  /** Writes `payload` on the open connection when `reuse` (else a new one) and settles at its pong. */
  const send = (endpoint: Endpoint, server: string, payload: string, reuse: boolean) =>
    Effect.async<void, TransportError>((resume) => {
      const existing = links.get(server)
      if (existing !== undefined && !reuse) drop(existing, "Closed", "replaced")
      const link = (reuse ? existing : undefined) ?? open(endpoint, server)
      let settled = false
      link.waiting.push((outcome) => {
        settled = true
        resume(outcome)
      })
      arm(link, endpoint)
      link.socket.write(payload)
      // Interrupted while waiting: the pongs no longer line up with the batches, so the connection goes.
      return Effect.sync(() => settled || drop(link, "Closed", "interrupted"))
    })

  const publishAll = (endpoint: Endpoint, messages: ReadonlyArray<Outgoing>): Effect.Effect<void, TransportError> =>
    Effect.suspend(() => {
      const server = serverName(endpoint)
      const batch = batchPayload(server, messages)
      if (Either.isLeft(batch)) return Effect.fail(batch.left)
      const payload = batch.right
      // A kept connection the server closed just as the batch went out: once more on a new one (receivers run an _id once).
      return links.has(server)
        ? Effect.catchIf(send(endpoint, server, payload, true), (error) => error.reason === "Closed" || error.reason === "Read", () => send(endpoint, server, payload, false))
        : send(endpoint, server, payload, false)
    })

  return {
    publishAll,
    close: () => {
      for (const link of [...links.values()]) drop(link, "Closed", "the daemon stops")
    }
  }
}
