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

/**
 * Connects, writes `request`, and calls `done` once: with nothing at the first pong, else with
 * the failure. The socket is closed however it ends; the result cancels the exchange (no call).
 */
export const exchange = (endpoint: ExchangeEndpoint, request: string, done: (failure: ExchangeFailure | undefined) => void): () => void => {
  const timeoutMs = endpoint.pingTimeoutMs
  const socket = net.connect({ host: endpoint.host, port: endpoint.port, noDelay: true })
  let connected = false
  let settled = false
  let busy = false
  let splitter = initialSplitter
  let timer = setTimeout(() => end("Connect", "cannot connect: Connection timed out"), timeoutMs)

  function end(reason?: ExchangeFailure["reason"], detail = "") {
    clearTimeout(timer)
    socket.destroy()
    if (settled) return
    settled = true
    done(reason === undefined ? undefined : { _tag: "ExchangeFailure", reason, detail })
  }

  socket.once("connect", () => {
    connected = true
    clearTimeout(timer)
    timer = setTimeout(() => end("Timeout", `no pong within ${timeoutMs} ms`), timeoutMs)
  })
  socket.on("data", (chunk: Buffer) => {
    const result = splitChunk(splitter, chunk, endpoint.maxLineBytes)
    splitter = result.state
    for (const event of result.events) {
      if (event._tag !== "Line") continue
      const frame = parseFrame(event.line)
      if (frame._tag === "Pong") return end()
      if (frame._tag === "Debug" && frame.text === "busy") busy = true
    }
  })
  socket.on("error", (error) => end(connected ? "Read" : "Connect", connected ? error.message : `cannot connect: ${error.message}`))
  socket.on("close", () => end(busy ? "Busy" : "Closed", busy ? "server is full (debug!busy)" : "server closed the connection"))
  socket.write(request)
  return () => {
    settled = true
    end()
  }
}
