/**
 * One fanout connection: open a socket, frame its bytes, answer pongs, and
 * hand deliveries on. Reused by the supervised session and by publish.
 */
import * as NodeSocket from "@effect/platform-node/NodeSocket"
import type * as Socket from "@effect/platform/Socket"
import * as Deferred from "effect/Deferred"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import type * as Scope from "effect/Scope"
import { parseFrame, type Frame } from "../../protocol/frame.js"
import { initialSplitter, splitChunk } from "../../protocol/lineSplitter.js"
import { serverName, TransportError, type FanoutEndpoint as Endpoint } from "../transport.js"

export interface Connection {
  readonly server: string
  /** Writes raw protocol text; bounded by `timeoutMs` because writes wait while the socket opens. */
  readonly write: (text: string) => Effect.Effect<void, TransportError>
  /** Sends `ping` and waits for the pong, failing with Timeout after `timeoutMs`. */
  readonly ping: (timeoutMs: number) => Effect.Effect<void, TransportError>
  /** Fails when the connection ends, however it ends (a clean close included). */
  readonly closed: Effect.Effect<never, TransportError>
}

export interface ConnectOptions {
  readonly connectTimeoutMs: number
  /** Called synchronously, in order, for every delivery frame. */
  readonly onDelivery: (channel: string, message: string) => void
  /** Called for notices worth a log line (debug frames, over-long lines); may return a log effect. */
  readonly onNotice: (notice: Notice) => Effect.Effect<void> | void
}

export type Notice =
  | { readonly _tag: "Debug"; readonly text: string }
  | { readonly _tag: "Overlong"; readonly bytes: number }
  | { readonly _tag: "Other"; readonly line: string }

const describeSocketError = (error: Socket.SocketError): string => {
  if (error.reason === "Close") return "connection closed"
  const cause = error.cause
  return cause instanceof Error ? cause.message : String(cause)
}

/** Opens a connection in the current scope; it is closed when the scope closes. */
export const connect = (endpoint: Endpoint, options: ConnectOptions): Effect.Effect<Connection, never, Scope.Scope> =>
  Effect.gen(function* () {
    const server = serverName(endpoint)
    const socket = yield* NodeSocket.makeNet({
      host: endpoint.host,
      port: endpoint.port,
      openTimeout: Duration.millis(options.connectTimeoutMs),
      noDelay: true
    }).pipe(Effect.orDie) // makeNet only describes the socket; it cannot fail before `run`.
    const write = yield* socket.writer
    // Pongs carry no id: the server answers in order, so waiters form a FIFO.
    const waiting: Array<Deferred.Deferred<void>> = []
    let splitter = initialSplitter
    let busy = false

    const onFrame = (frame: Frame): Effect.Effect<void> | void => {
      switch (frame._tag) {
        case "Pong": {
          const waiter = waiting.shift()
          if (waiter !== undefined) Deferred.unsafeDone(waiter, Exit.void)
          return
        }
        case "Delivery":
          return options.onDelivery(frame.channel, frame.message)
        case "Debug":
          if (frame.text === "busy") busy = true
          return options.onNotice({ _tag: "Debug", text: frame.text })
        case "Other":
          return options.onNotice({ _tag: "Other", line: frame.line })
      }
    }

    // A synchronous handler keeps chunks in order (an Effect-returning one
    // runs each chunk in its own fiber); only rare notices return an Effect.
    const handler = (chunk: Uint8Array): Effect.Effect<void> | void => {
      const result = splitChunk(splitter, chunk, endpoint.maxLineBytes)
      splitter = result.state
      let effects: Array<Effect.Effect<void>> | undefined
      for (const event of result.events) {
        const effect =
          event._tag === "Line" ? onFrame(parseFrame(event.line)) : options.onNotice({ _tag: "Overlong", bytes: event.bytes })
        if (effect !== undefined) (effects ??= []).push(effect)
      }
      return effects === undefined ? undefined : Effect.all(effects, { discard: true })
    }

    const fail = (reason: TransportError["reason"], detail: string) => new TransportError({ reason, server, detail })

    // The connection's end is kept in a Deferred, so the forked reader never
    // ends as an "unhandled" fiber failure: every waiter sees the reason.
    const ended = yield* Deferred.make<never, TransportError>()
    yield* socket.run(handler).pipe(
      Effect.mapError((error) =>
        error.reason === "Open" || error.reason === "OpenTimeout"
          ? fail("Connect", `cannot connect: ${describeSocketError(error)}`)
          : fail(error.reason === "Close" ? "Closed" : error.reason === "Write" ? "Write" : "Read", describeSocketError(error))
      ),
      // A clean close completes `run` successfully: turn it into a failure, or a supervisor would never reconnect.
      Effect.zipRight(Effect.suspend(() => Effect.fail(busy ? fail("Busy", "server is full (debug!busy)") : fail("Closed", "server closed the connection")))),
      Effect.intoDeferred(ended),
      Effect.forkScoped
    )
    const closed: Effect.Effect<never, TransportError> = Deferred.await(ended)

    const timed = <A>(effect: Effect.Effect<A, TransportError>, timeoutMs: number, what: string) =>
      effect.pipe(
        Effect.timeoutFail({ duration: Duration.millis(timeoutMs), onTimeout: () => fail("Timeout", `no ${what} within ${timeoutMs} ms`) }),
        // Whichever comes first: the answer, or the connection failing.
        (effect) => Effect.raceFirst(effect, closed)
      )

    const writeText = (text: string) =>
      timed(
        write(text).pipe(Effect.mapError((error) => fail("Write", describeSocketError(error)))),
        options.connectTimeoutMs,
        "connection"
      )

    const ping = (timeoutMs: number) =>
      Effect.gen(function* () {
        const pong = yield* Deferred.make<void>()
        waiting.push(pong)
        yield* writeText("ping\n")
        yield* timed(Deferred.await(pong), timeoutMs, "pong")
      })

    return { server, write: writeText, ping, closed }
  })
