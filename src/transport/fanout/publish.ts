/**
 * Publish over fanout: announce one message, or a batch, and wait for the pong
 * that confirms the server processed them (the protocol has no other acknowledgement).
 *
 * One short exchange on a plain `node:net` socket rather than connection.ts:
 * @effect/platform's socket brings Schema, Channel and a mailbox with it,
 * ~10 ms of `f2bc publish`'s start-up. The errors read as connection.ts's do.
 */
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as net from "node:net"
import { parseFrame } from "../../protocol/frame.js"
import { initialSplitter, splitChunk } from "../../protocol/lineSplitter.js"
import { encodeRequest } from "../../protocol/request.js"
import { serverName, TransportError, type FanoutEndpoint as Endpoint, type Outgoing } from "../transport.js"

export const publish = (endpoint: Endpoint, channel: string, message: string): Effect.Effect<void, TransportError> =>
  Effect.suspend(() => {
    const server = serverName(endpoint)
    const line = encodeRequest({ _tag: "Announce", channel, message })
    return Either.isLeft(line)
      ? Effect.fail(new TransportError({ reason: "Invalid", server, detail: line.left.message }))
      : exchange(endpoint, server, `${line.right}ping\n`)
  })

/** Every announce in one write on one connection; the pong after them confirms them all (the server answers in order). */
export const publishAll = (endpoint: Endpoint, messages: ReadonlyArray<Outgoing>): Effect.Effect<void, TransportError> =>
  Effect.suspend(() => {
    const server = serverName(endpoint)
    const lines: Array<string> = []
    for (const { channel, message } of messages) {
      const line = encodeRequest({ _tag: "Announce", channel, message })
      if (Either.isLeft(line)) return Effect.fail(new TransportError({ reason: "Invalid", server, detail: line.left.message }))
      lines.push(line.right)
    }
    return exchange(endpoint, server, `${lines.join("")}ping\n`)
  })

/** Connects, writes `request`, and succeeds at the first pong; the socket is closed however it ends. */
const exchange = (endpoint: Endpoint, server: string, request: string) =>
  Effect.async<void, TransportError>((resume) => {
    const timeoutMs = endpoint.pingTimeoutMs
    const socket = net.connect({ host: endpoint.host, port: endpoint.port, noDelay: true })
    let connected = false
    let settled = false
    let busy = false
    let splitter = initialSplitter
    let timer = setTimeout(() => end("Connect", "cannot connect: Connection timed out"), timeoutMs)

    function end(reason?: TransportError["reason"], detail = "") {
      clearTimeout(timer)
      socket.destroy()
      if (settled) return
      settled = true
      resume(reason === undefined ? Effect.void : Effect.fail(new TransportError({ reason, server, detail })))
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
    return Effect.sync(() => end())
  })
