/**
 * Sending an action's fail2ban-client command over fail2ban-server's own socket instead of a process:
 * one kept connection per socket path, opened on first use, dropped after any error, close or timeout, one request at a time.
 */
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import type * as Scope from "effect/Scope"
import * as net from "node:net"
import { answerEnd, closeRequest, encodeRequest, END, readAnswer } from "../fail2ban/index.js"
import { Fail2banSocketError, type SocketFailure } from "./errors.js"

export interface SendOptions {
  /** Milliseconds from the connect (or the write, on a kept connection) to the whole answer. */
  readonly timeoutMs: number
  /** An answer longer than this is refused and the connection dropped. */
  readonly maxAnswerBytes: number
}

export interface Sent {
  /** fail2ban's result as Python writes it (`2` for two addresses newly banned). */
  readonly result: string
  readonly durationMs: number
}

export interface Fail2banSockets {
  /** `fail2ban-client WORDS…` over the socket at `path`: its result, or why it failed (fail2ban's error text included). */
  readonly send: (path: string, words: ReadonlyArray<string>, options: SendOptions) => Effect.Effect<Sent, Fail2banSocketError>
}

/** The request in flight on a link: what its socket's events complete. */
interface Waiting {
  readonly chunks: Array<Buffer>
  size: number
  readonly maxBytes: number
  readonly done: (outcome: Either.Either<Uint8Array, SocketFailure>) => void
}

/** One socket path: its kept connection (if any) and the request in flight on it (at most one). */
class Link {
  private socket: net.Socket | undefined
  private waiting: Waiting | undefined
  /** One request at a time: fail2ban-server serves its commands one after another. */
  readonly lock = Effect.unsafeMakeSemaphore(1)

  constructor(readonly path: string) {}

  get connected(): boolean {
    return this.socket !== undefined
  }

  /** Writes `request` and waits for the bytes of its answer (without END); any failure drops the connection. */
  exchange(request: Uint8Array, options: SendOptions): Effect.Effect<Uint8Array, SocketFailure> {
    return Effect.async<Uint8Array, SocketFailure>((resume) => {
      const socket = this.socket ?? this.open()
      const timer = setTimeout(() => this.fail(socket, { reason: "Timeout", detail: `${options.timeoutMs} ms` }), options.timeoutMs)
      this.waiting = {
        chunks: [],
        size: 0,
        maxBytes: options.maxAnswerBytes,
        done: (outcome) => {
          clearTimeout(timer)
          this.waiting = undefined
          resume(outcome)
        }
      }
      socket.write(request)
      // Interrupted mid-request (shutdown): the answer would arrive for nobody, so the connection goes.
      return Effect.sync(() => {
        clearTimeout(timer)
        if (this.waiting === undefined) return
        this.waiting = undefined
        this.drop()
      })
    })
  }

  /** A new connection; its events count only while it is the link's connection. */
  private open(): net.Socket {
    const socket = net.createConnection({ path: this.path })
    let connected = false
    socket.once("connect", () => (connected = true))
    socket.on("data", (chunk: Buffer) => this.received(socket, chunk))
    socket.on("error", (error: NodeJS.ErrnoException) =>
      this.fail(socket, { reason: connected ? "Closed" : "Connect", detail: error.code ?? error.message }))
    socket.on("close", () => this.fail(socket, { reason: "Closed", detail: "closed by fail2ban" }))
    this.socket = socket
    return socket
  }

  private received(socket: net.Socket, chunk: Buffer): void {
    if (this.socket !== socket) return
    const waiting = this.waiting
    // Bytes nobody asked for: the connection is out of step, start over.
    if (waiting === undefined) return this.drop()
    waiting.chunks.push(chunk)
    waiting.size += chunk.length
    if (waiting.size > waiting.maxBytes + END.length) {
      return this.fail(socket, { reason: "Protocol", detail: `the answer is over ${waiting.maxBytes} bytes` })
    }
    const received = Buffer.concat(waiting.chunks)
    const end = answerEnd(received)
    if (end !== undefined) waiting.done(Either.right(received.subarray(0, end)))
  }

  /** The request in flight (if any) fails with `failure`, and the connection goes. */
  private fail(socket: net.Socket, failure: SocketFailure): void {
    if (this.socket !== socket) return
    const waiting = this.waiting
    this.drop()
    waiting?.done(Either.left(failure))
  }

  private drop(): void {
    const socket = this.socket
    this.socket = undefined
    socket?.destroy()
  }

  /** fail2ban-client's goodbye, then the end of the connection. */
  close(): void {
    const socket = this.socket
    this.socket = undefined
    if (socket !== undefined && this.waiting === undefined) socket.end(closeRequest())
    else socket?.destroy()
  }
}

/** A kept connection fails before any answer when fail2ban closed it while idle (a restart): that request is sent once more on a new one. */
const isStale = (failure: SocketFailure): boolean => failure.reason === "Closed"

/**
 * The links of this executor, one per socket path, closed with its scope.
 * A failed request costs the connection, never the link: the next request connects again.
 */
export const makeFail2banSockets: Effect.Effect<Fail2banSockets, never, Scope.Scope> = Effect.gen(function* () {
  const links = new Map<string, Link>()
  yield* Effect.addFinalizer(() => Effect.sync(() => links.forEach((link) => link.close())))
  const linkOf = (path: string): Link => {
    const known = links.get(path)
    if (known !== undefined) return known
    const link = new Link(path)
    links.set(path, link)
    return link
  }

  const send = (path: string, words: ReadonlyArray<string>, options: SendOptions): Effect.Effect<Sent, Fail2banSocketError> =>
    Effect.suspend(() => {
      const started = performance.now()
      const failed = (reason: Fail2banSocketError["reason"], detail: string) =>
        new Fail2banSocketError({ reason, path, detail, durationMs: Math.round(performance.now() - started) })
      const request = encodeRequest(words)
      if (Either.isLeft(request)) return Effect.fail(failed("Request", request.left))
      const link = linkOf(path)
      const attempt = Effect.suspend(() => {
        const reused = link.connected
        return link.exchange(request.right, options).pipe(
          Effect.catchIf((failure) => reused && isStale(failure), () => link.exchange(request.right, options))
        )
      })
      return link.lock.withPermits(1)(attempt).pipe(
        Effect.mapError((failure) => failed(failure.reason, failure.detail)),
        Effect.flatMap((bytes) =>
          Either.match(readAnswer(bytes), {
            onLeft: (why) => Effect.fail(failed("Protocol", why)),
            onRight: (answer) =>
              answer._tag === "Done"
                ? Effect.succeed({ result: answer.result, durationMs: Math.round(performance.now() - started) })
                : Effect.fail(failed("Fail2ban", answer.error))
          })
        )
      )
    })

  return { send }
})
