/**
 * One publish exchange with a fanout server on a plain `node:net` socket, without Effect: connect,
 * write the request, succeed at the first pong. Shared by fanout/publish.ts and `f2bc publish`'s plain path.
 */
import * as net from "node:net"
import { parseFrame } from "../../protocol/frame.js"
import { initialSplitter, splitChunk } from "../../protocol/lineSplitter.js"

/** Where to send, how long to wait for the connection and then for the pong, and the longest line read. */
export interface ExchangeEndpoint {
  readonly host: string
  readonly port: number
  readonly pingTimeoutMs: number
  readonly maxLineBytes: number
}

/** Why an exchange did not end with a pong, as data (fanout/publish.ts makes it a TransportError). */
export interface ExchangeFailure {
  readonly _tag: "ExchangeFailure"
  readonly reason: "Connect" | "Timeout" | "Read" | "Busy" | "Closed"
  readonly detail: string
}

/** A publishing connection: its socket, and whether it is connected yet (a timeout's words depend on it). */
export interface PublishConnection {
  readonly socket: net.Socket
  readonly connected: () => boolean
}

/** Why a publish waiting on `connection` timed out: no connection yet, or no pong. */
export const timeoutFailure = (connection: PublishConnection, timeoutMs: number): Omit<ExchangeFailure, "_tag"> =>
  connection.connected()
    ? { reason: "Timeout", detail: `no pong within ${timeoutMs} ms` }
    : { reason: "Connect", detail: "cannot connect: Connection timed out" }

/**
 * Connects to `endpoint` for publishing: calls `onPong` at each pong (the server answers each ping in order) and
 * `onEnd` once, with why, when the connection fails or closes (`debug!busy` before a close: the server is full).
 * Shared by `exchange` (one request) and publisher.ts (the daemon's kept connection).
 */
export const connectToPublish = (
  endpoint: ExchangeEndpoint,
  onPong: () => void,
  onEnd: (failure: Omit<ExchangeFailure, "_tag">) => void
): PublishConnection => {
  const socket = net.connect({ host: endpoint.host, port: endpoint.port, noDelay: true })
  let connected = false
  let busy = false
  let ended = false
  let splitter = initialSplitter
  const end = (failure: Omit<ExchangeFailure, "_tag">) => {
    if (ended) return
    ended = true
    onEnd(failure)
  }
  socket.once("connect", () => (connected = true))
  socket.on("data", (chunk: Buffer) => {
    const result = splitChunk(splitter, chunk, endpoint.maxLineBytes)
    splitter = result.state
    for (const event of result.events) {
      if (event._tag !== "Line") continue
      const frame = parseFrame(event.line)
      if (frame._tag === "Debug" && frame.text === "busy") busy = true
      if (frame._tag === "Pong") onPong()
    }
  })
  socket.on("error", (error) => end(connected ? { reason: "Read", detail: error.message } : { reason: "Connect", detail: `cannot connect: ${error.message}` }))
  socket.on("close", () => end(busy ? { reason: "Busy", detail: "server is full (debug!busy)" } : { reason: "Closed", detail: "server closed the connection" }))
  return { socket, connected: () => connected }
}

/**
 * Connects, writes `request`, and calls `done` once: with nothing at the first pong, else with
 * the failure. The socket is closed however it ends; the result cancels the exchange (no call).
 */
export const exchange = (endpoint: ExchangeEndpoint, request: string, done: (failure: ExchangeFailure | undefined) => void): () => void => {
  let settled = false
  const end = (failure?: Omit<ExchangeFailure, "_tag">) => {
    clearTimeout(timer)
    connection.socket.destroy()
    if (settled) return
    settled = true
    done(failure === undefined ? undefined : { _tag: "ExchangeFailure", ...failure })
  }
  const connection = connectToPublish(endpoint, () => end(), end)
  // The connect, then the pong, each within ping_timeout.
  let timer = setTimeout(() => end(timeoutFailure(connection, endpoint.pingTimeoutMs)), endpoint.pingTimeoutMs)
  connection.socket.once("connect", () => {
    clearTimeout(timer)
    timer = setTimeout(() => end(timeoutFailure(connection, endpoint.pingTimeoutMs)), endpoint.pingTimeoutMs)
  })
  connection.socket.write(request)
  return () => {
    settled = true
    end()
  }
}
