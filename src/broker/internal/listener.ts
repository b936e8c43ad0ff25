/**
 * The broker's `node:net` side: listening as an Effect, and wiring one
 * accepted socket to the hub as a `Peer`.
 */
import * as net from "node:net"
import * as Effect from "effect/Effect"
import { formatHostPort } from "../../net/address.js"
import { listenServer, type ListenError } from "../../net/listen.js"
import type { Hub, Peer } from "./hub.js"

// How long a refused (`debug!busy`) client may keep its half-closed socket.
const busyLingerMs = 2_000

/** A listening server; `onError` receives errors raised after listening (e.g. EMFILE on accept). */
export const listen = (
  host: string,
  port: number,
  onConnection: (socket: net.Socket) => void,
  onError: (error: Error) => void
): Effect.Effect<net.Server, ListenError> =>
  Effect.suspend(() => listenServer(net.createServer({ noDelay: true, keepAlive: true }, onConnection), { host, port }, { onError }))

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
