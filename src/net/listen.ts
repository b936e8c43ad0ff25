/**
 * Listening and closing a `node:net` server (or an `http.Server`) as
 * Effects: shared by the broker, the /metrics server and the control socket.
 */
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import type * as net from "node:net"

/** The server could not listen (EADDRINUSE, EACCES, a bad port…); `cause` is Node's error. */
export class ListenError extends Data.TaggedError("ListenError")<{
  readonly reason: "Listen"
  readonly cause: unknown
}> {}

export interface ListenOptions {
  /** Errors raised after listening (e.g. EMFILE on accept): they must not crash the process. */
  readonly onError: (error: Error) => void
  /** The process umask while `listen` creates a Unix socket file (so it is never created wider). */
  readonly umask?: number
}

const withUmask = (umask: number | undefined, body: () => void): void => {
  if (umask === undefined) return body()
  const previous = process.umask(umask)
  try {
    body()
  } finally {
    process.umask(previous)
  }
}

/**
 * Makes `server` listen on `target` (a host and port, or a Unix socket path).
 * Interrupted before it listens, the server is closed.
 */
export const listenServer = <S extends net.Server>(
  server: S,
  target: net.ListenOptions,
  options: ListenOptions
): Effect.Effect<S, ListenError> =>
  Effect.async<S, ListenError>((resume) => {
    const failed = (cause: unknown): void => {
      server.close()
      resume(Effect.fail(new ListenError({ reason: "Listen", cause })))
    }
    server.once("error", failed)
    try {
      withUmask(options.umask, () =>
        server.listen(target, () => {
          server.off("error", failed)
          server.on("error", options.onError)
          resume(Effect.succeed(server))
        })
      )
    } catch (error) {
      // listen throws synchronously on an invalid port number.
      server.off("error", failed)
      failed(error)
    }
    return Effect.sync(() => {
      server.close()
    })
  })

/** Stops accepting, runs `closeConnections` (the server waits for its connections), and waits for the close. */
export const closeServer = (server: net.Server, closeConnections: () => void): Effect.Effect<void> =>
  Effect.async<void>((resume) => {
    server.close(() => resume(Effect.void))
    closeConnections()
  })
