/**
 * The control socket beside the pid file: a Unix socket, owner-only, that answers one request
 * line (`status`, `reload`, `publish <channel> <message>`) with one JSON line, encoded
 * with the protocol's Schemas (`control/protocol.ts`). `control/client.ts` is its client.
 */
import * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import * as fs from "node:fs"
import * as net from "node:net"
import {
  ControlError,
  encodeAnswer,
  parseControlRequest,
  PublishAnswer,
  ReloadAnswer,
  StatusSnapshot,
  UnknownRequest,
  type ControlRequest
} from "../control/protocol.js"
import { closeServer, listenServer } from "../net/listen.js"

export { ControlError, controlSocketBeside, type ControlRequest } from "../control/protocol.js"

/** What the daemon answers each request with. */
export interface ControlHandlers {
  readonly status: Effect.Effect<StatusSnapshot>
  readonly reload: Effect.Effect<ReloadAnswer>
  /** Records a hand-off in the outbox, or refuses it. */
  readonly publish: (channel: string, message: string) => Effect.Effect<PublishAnswer>
  /** Longest request line read, in bytes; a longer one closes the connection unanswered. */
  readonly maxRequestBytes: number
}

/** How much of an unknown request the answer quotes. */
const QUOTED = 64

/** Answers within this long or the client is dropped. */
const CLIENT_TIMEOUT_MS = 30_000

const isListening = (path: string): Promise<boolean> =>
  new Promise((resolve) => {
    const socket = net.connect(path)
    socket.once("connect", () => {
      socket.destroy()
      resolve(true)
    })
    socket.once("error", () => resolve(false))
  })

/** A left-over socket file from a daemon that died is removed; a live one is refused. */
const clearStale = (path: string): Effect.Effect<void, ControlError> =>
  Effect.gen(function* () {
    const stats = yield* Effect.sync(() => fs.lstatSync(path, { throwIfNoEntry: false }))
    if (stats === undefined) return
    if (!stats.isSocket())
      return yield* Effect.fail(new ControlError({ reason: "Listen", path, detail: "a file that is not a socket is in the way" }))
    if (yield* Effect.promise(() => isListening(path)))
      return yield* Effect.fail(new ControlError({ reason: "InUse", path, detail: "another daemon answers on it" }))
    yield* Effect.sync(() => fs.rmSync(path, { force: true }))
  })

/** The answer line to `request`, encoded with its Schema. */
const answer = (request: ControlRequest, handlers: ControlHandlers): Effect.Effect<string> => {
  if (request === "status") return Effect.map(handlers.status, (status) => encodeAnswer(StatusSnapshot, status))
  if (request === "reload") return Effect.map(handlers.reload, (reload) => encodeAnswer(ReloadAnswer, reload))
  return Effect.map(handlers.publish(request.channel, request.message), (published) => encodeAnswer(PublishAnswer, published))
}

/** Reads one request line from `socket` and writes the answer; the connection then ends. */
const serveClient = (socket: net.Socket, handlers: ControlHandlers, run: <A>(effect: Effect.Effect<A>) => Promise<A>): void => {
  socket.setTimeout(CLIENT_TIMEOUT_MS, () => socket.destroy())
  socket.on("error", () => undefined)
  const chunks: Array<Buffer> = []
  let length = 0
  socket.on("data", (chunk: Buffer) => {
    const newline = chunk.indexOf(0x0a)
    chunks.push(newline === -1 ? chunk : chunk.subarray(0, newline))
    length += newline === -1 ? chunk.length : newline
    if (length > handlers.maxRequestBytes) return socket.destroy()
    if (newline === -1) return
    // Decoded once whole: a character split across reads survives.
    const line = Buffer.concat(chunks).toString("utf8")
    socket.removeAllListeners("data")
    const request = parseControlRequest(line)
    if (request === undefined) {
      socket.end(encodeAnswer(UnknownRequest, { error: `unknown request ${JSON.stringify(line.trim().slice(0, QUOTED))}` }))
      return
    }
    // Written from the fiber itself, not from a promise callback queued behind whatever it woke.
    run(Effect.flatMap(answer(request, handlers), (text) => Effect.sync(() => socket.end(text)))).catch(() => socket.destroy())
  })
}

/**
 * Serves `handlers` on a Unix socket at `path` (mode 0600) for the scope's
 * lifetime; the socket file is removed when the scope closes.
 */
export const serveControl = (
  path: string,
  handlers: ControlHandlers,
  run: <A>(effect: Effect.Effect<A>) => Promise<A>
): Effect.Effect<void, ControlError, Scope.Scope> =>
  Effect.gen(function* () {
    yield* clearStale(path)
    const server = net.createServer((socket) => serveClient(socket, handlers, run))
    yield* Effect.acquireRelease(
      // Created owner-only (umask 0177): no moment when others could connect.
      listenServer(server, { path }, { onError: () => undefined, umask: 0o177 }).pipe(
        Effect.mapError((error) =>
          new ControlError({ reason: "Listen", path, detail: error.cause instanceof Error ? error.cause.message : String(error.cause) })
        )
      ),
      () => closeServer(server, () => fs.rmSync(path, { force: true }))
    )
    yield* Effect.sync(() => fs.chmodSync(path, 0o600))
  })
