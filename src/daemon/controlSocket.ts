/**
 * The control socket beside the pid file: a Unix socket, owner-only, that
 * answers one request line (`status` or `reload`) with one JSON line.
 * `daemon status` and `daemon reload` are its clients.
 */
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import * as fs from "node:fs"
import * as net from "node:net"
import * as nodePath from "node:path"

export class ControlError extends Data.TaggedError("ControlError")<{
  readonly reason: "Listen" | "InUse" | "Unavailable" | "Protocol"
  readonly path: string
  readonly detail: string
}> {
  override get message(): string {
    switch (this.reason) {
      case "Listen":
        return `cannot open control socket ${this.path}: ${this.detail}`
      case "InUse":
        return `control socket ${this.path} is in use by a running process: ${this.detail}`
      case "Unavailable":
        return `cannot reach the daemon's control socket ${this.path}: ${this.detail}`
      case "Protocol":
        return `unexpected answer on control socket ${this.path}: ${this.detail}`
    }
  }
}

/** Where the control socket lives by default: the pid file's path with `.sock` for `.pid`. */
export const controlSocketBeside = (pidFile: string): string =>
  pidFile.endsWith(".pid") ? `${pidFile.slice(0, -4)}.sock` : `${pidFile}.sock`

export type ControlRequest = "status" | "reload"

/** Longest request line read; anything longer is refused. */
const MAX_REQUEST = 64

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

/**
 * Serves `handler` on a Unix socket at `path` (mode 0600) for the scope's
 * lifetime; the socket file is removed when the scope closes.
 */
export const serveControl = (
  path: string,
  handler: (request: ControlRequest) => Effect.Effect<unknown>,
  run: <A>(effect: Effect.Effect<A>) => Promise<A>
): Effect.Effect<void, ControlError, Scope.Scope> =>
  Effect.gen(function* () {
    yield* clearStale(path)
    const server = net.createServer((socket) => {
      socket.setTimeout(CLIENT_TIMEOUT_MS, () => socket.destroy())
      socket.on("error", () => undefined)
      let buffer = ""
      socket.on("data", (chunk: Buffer) => {
        buffer += chunk.toString("utf8")
        const newline = buffer.indexOf("\n")
        if (newline === -1) {
          if (buffer.length > MAX_REQUEST) socket.destroy()
          return
        }
        const line = buffer.slice(0, newline).trim()
        socket.removeAllListeners("data")
        if (line !== "status" && line !== "reload") {
          socket.end(`${JSON.stringify({ error: `unknown request ${JSON.stringify(line.slice(0, MAX_REQUEST))}` })}\n`)
          return
        }
        run(handler(line)).then(
          (answer) => socket.end(`${JSON.stringify(answer)}\n`),
          () => socket.destroy()
        )
      })
    })
    yield* Effect.acquireRelease(
      Effect.async<void, ControlError>((resume) => {
        server.once("error", (error) => resume(Effect.fail(new ControlError({ reason: "Listen", path, detail: error.message }))))
        // Created owner-only: no moment when others could connect.
        const umask = process.umask(0o177)
        try {
          server.listen(path, () => resume(Effect.void))
        } finally {
          process.umask(umask)
        }
      }),
      () =>
        Effect.async<void>((resume) => {
          server.close(() => resume(Effect.void))
          fs.rmSync(path, { force: true })
        })
    )
    yield* Effect.sync(() => fs.chmodSync(path, 0o600))
  })

/** Sends one request and reads the JSON answer. */
export const askControl = (path: string, request: ControlRequest, timeoutMs: number): Effect.Effect<unknown, ControlError> =>
  Effect.async<unknown, ControlError>((resume) => {
    const socket = net.connect(nodePath.resolve(path))
    let answer = ""
    const fail = (reason: "Unavailable" | "Protocol", detail: string) => {
      socket.destroy()
      resume(Effect.fail(new ControlError({ reason, path, detail })))
    }
    socket.setTimeout(timeoutMs, () => fail("Unavailable", `no answer within ${timeoutMs / 1000} s`))
    socket.once("error", (error) => fail("Unavailable", error.message))
    socket.once("connect", () => socket.write(`${request}\n`))
    socket.on("data", (chunk: Buffer) => (answer += chunk.toString("utf8")))
    socket.once("end", () => {
      socket.destroy()
      try {
        resume(Effect.succeed(JSON.parse(answer) as unknown))
      } catch {
        fail("Protocol", JSON.stringify(answer.slice(0, 200)))
      }
    })
    return Effect.sync(() => socket.destroy())
  })
