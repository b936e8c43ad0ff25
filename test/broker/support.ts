/**
 * Test helpers for the broker: a line-reading `node:net` client and a logger
 * that captures log entries, both awaited by events (never by sleeping).
 */
import * as net from "node:net"
import * as Data from "effect/Data"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as HashMap from "effect/HashMap"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import * as LogLevel from "effect/LogLevel"
import * as Queue from "effect/Queue"
import type * as Scope from "effect/Scope"
import { initialSplitter, splitChunk, type SplitterState } from "../../src/protocol/lineSplitter.js"

/** Guards every wait so a broken broker fails the test instead of hanging it. */
const guard = Duration.seconds(5)

export class ClientError extends Data.TaggedError("ClientError")<{ readonly detail: string }> {
  override get message(): string {
    return this.detail
  }
}

type Item = { readonly _tag: "Line"; readonly line: string } | { readonly _tag: "Closed" }

export interface LineClient {
  readonly socket: net.Socket
  /** Writes raw text (the caller adds `\n`). */
  readonly send: (text: string) => Effect.Effect<void>
  /** The next line received; fails when the connection closed first. */
  readonly next: Effect.Effect<string, ClientError>
  /** Sends `ping` and expects the very next line to be a pong: a barrier proving every earlier request was handled and nothing else arrived. */
  readonly pong: Effect.Effect<number, ClientError>
  /** Waits until the connection is closed. */
  readonly closed: Effect.Effect<void, ClientError>
}

/** Opens a raw connection or fails with the socket error (e.g. ECONNREFUSED). */
export const openSocket = (port: number): Effect.Effect<net.Socket, Error> =>
  Effect.async<net.Socket, Error>((resume) => {
    const socket = net.connect({ host: "127.0.0.1", port })
    const onError = (error: Error) => resume(Effect.fail(error))
    socket.once("error", onError)
    socket.once("connect", () => {
      socket.off("error", onError)
      resume(Effect.succeed(socket))
    })
  })

export const connect = (port: number): Effect.Effect<LineClient, Error, Scope.Scope> =>
  Effect.gen(function*() {
    const socket = yield* Effect.acquireRelease(openSocket(port), (s) => Effect.sync(() => s.destroy()))
    socket.on("error", () => {})
    const items = yield* Queue.unbounded<Item>()
    let splitter: SplitterState = initialSplitter
    let isClosed = false
    socket.on("data", (chunk: Buffer) => {
      const result = splitChunk(splitter, chunk, 16 * 1024 * 1024)
      splitter = result.state
      for (const event of result.events) {
        if (event._tag === "Line") Queue.unsafeOffer(items, { _tag: "Line", line: event.line })
      }
    })
    socket.once("close", () => {
      isClosed = true
      Queue.unsafeOffer(items, { _tag: "Closed" })
    })

    const next: Effect.Effect<string, ClientError> = Queue.take(items).pipe(
      Effect.flatMap((item) =>
        item._tag === "Line"
          ? Effect.succeed(item.line)
          : Queue.offer(items, item).pipe(Effect.zipRight(Effect.fail(new ClientError({ detail: "connection closed" }))))
      ),
      Effect.timeoutFail({ duration: guard, onTimeout: () => new ClientError({ detail: "no line within 5 s" }) })
    )
    const send = (text: string) => Effect.sync(() => void socket.write(text))
    const pong = send("ping\n").pipe(
      Effect.zipRight(next),
      Effect.flatMap((line) =>
        /^[0-9]+$/.test(line)
          ? Effect.succeed(Number(line))
          : Effect.fail(new ClientError({ detail: `expected a pong, got ${JSON.stringify(line)}` }))
      )
    )
    const closed: Effect.Effect<void, ClientError> = Effect.async<void>((resume) => {
      if (isClosed) resume(Effect.void)
      else socket.once("close", () => resume(Effect.void))
    }).pipe(Effect.timeoutFail({ duration: guard, onTimeout: () => new ClientError({ detail: "still open after 5 s" }) }))
    return { socket, send, next, pong, closed }
  })

/** A client past the greeting. */
export const connectGreeted = (port: number) =>
  Effect.gen(function*() {
    const client = yield* connect(port)
    const greeting = yield* client.next
    if (greeting !== "debug!connected...") {
      return yield* Effect.fail(new ClientError({ detail: `unexpected greeting ${JSON.stringify(greeting)}` }))
    }
    return client
  })

export interface LogEntry {
  readonly level: string
  readonly message: string
  readonly annotations: Record<string, unknown>
}

/** A logger layer that sends every entry to a queue the test can wait on. */
export const captureLogs = Effect.gen(function*() {
  const entries = yield* Queue.unbounded<LogEntry>()
  const logger = Logger.make(({ annotations, logLevel, message }) => {
    const text = Array.isArray(message) ? message.map(String).join(" ") : String(message)
    Queue.unsafeOffer(entries, {
      level: logLevel.label,
      message: text,
      annotations: Object.fromEntries(HashMap.toEntries(annotations))
    })
  })
  const layer = Layer.merge(Logger.replace(Logger.defaultLogger, logger), Logger.minimumLogLevel(LogLevel.All))
  /** Waits for the first entry matching `predicate`. */
  const waitFor = (predicate: (entry: LogEntry) => boolean): Effect.Effect<LogEntry, ClientError> =>
    Queue.take(entries).pipe(
      Effect.repeat({ until: predicate }),
      Effect.timeoutFail({ duration: guard, onTimeout: () => new ClientError({ detail: "expected log entry not seen" }) })
    )
  return { layer, waitFor }
})
