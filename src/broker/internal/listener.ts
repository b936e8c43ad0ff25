/**
 * The broker's `node:net` side: listening and closing as Effects, and wiring
 * one accepted socket to the hub as a `Peer`.
 */
import * as net from "node:net"
import * as Effect from "effect/Effect"
import type { Hub, Peer } from "./hub.js"

// How long a refused (`debug!busy`) client may keep its half-closed socket.
const busyLingerMs = 2_000

export const formatHostPort = (host: string, port: number): string =>
  host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`

/** A listening server; `onError` receives errors raised after listening (e.g. EMFILE on accept). */
export const listen = (
  host: string,
  port: number,
  onConnection: (socket: net.Socket) => void,
  onError: (error: Error) => void
): Effect.Effect<net.Server, unknown> =>
  Effect.async<net.Server, unknown>((resume) => {
    const server = net.createServer({ noDelay: true, keepAlive: true }, onConnection)
    const failed = (error: Error): void => {
      server.close()
      resume(Effect.fail(error))
    }
    server.once("error", failed)
    try {
      server.listen({ host, port }, () => {
        server.off("error", failed)
        server.on("error", onError)
        resume(Effect.succeed(server))
      })
    } catch (error) {
      // listen throws synchronously on a bad port number
      server.off("error", failed)
      resume(Effect.fail(error))
    }
    return Effect.sync(() => {
      server.close()
    })
  })

/** Stops accepting, runs `closeConnections`, and waits until the listener is closed. */
export const closeServer = (server: net.Server, closeConnections: () => void): Effect.Effect<void> =>
  Effect.async<void>((resume) => {
    server.close(() => resume(Effect.void))
    closeConnections()
  })

const peerOf = (socket: net.Socket): Peer => ({
  remote: formatHostPort(socket.remoteAddress ?? "?", socket.remotePort ?? 0),
  get writableLength() {
    return socket.writableLength
  },
  write: (data) => {
    if (!socket.destroyed) socket.write(data)
  },
  end: (data) => {
    socket.end(data)
    // Read and discard until the client closes its side, but not forever.
    socket.resume()
    socket.setTimeout(busyLingerMs, () => socket.destroy())
  },
  destroy: () => {
    socket.destroy()
  }
})

/** Hands an accepted socket to the hub and keeps it in `sockets` until it closes. */
export const serveSocket = (hub: Hub, socket: net.Socket, sockets: Set<net.Socket>): void => {
  sockets.add(socket)
  // Errors (ECONNRESET, EPIPE…) are always followed by "close", which does the cleanup.
  socket.on("error", () => {})
  const session = hub.open(peerOf(socket))
  socket.once("close", () => {
    sockets.delete(socket)
    session?.closed()
  })
  if (session !== undefined) socket.on("data", session.receive)
}
