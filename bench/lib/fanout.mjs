// A raw fanout client for the load generator: write request lines, and use
// `ping` as the acknowledgement (the broker answers in order).
import * as net from "node:net"

/** Connects to a fanout server on loopback; counts the lines it receives. */
export const rawClient = async (port, { onLine } = {}) => {
  const socket = net.connect({ host: "127.0.0.1", port, noDelay: true })
  await new Promise((resolve, reject) => {
    socket.once("connect", resolve)
    socket.once("error", reject)
  })
  socket.on("error", () => undefined)
  const pongWaiters = []
  // A broker that goes away fails the waits on it instead of hanging the run.
  socket.on("close", () => {
    for (const waiter of pongWaiters.splice(0)) waiter(new Error(`connection to 127.0.0.1:${port} closed`))
  })
  let partial = ""
  socket.on("data", (chunk) => {
    const text = partial + chunk.toString("utf8")
    let start = 0
    for (let nl = text.indexOf("\n"); nl !== -1; nl = text.indexOf("\n", start)) {
      const line = text.slice(start, nl)
      start = nl + 1
      if (/^\d+$/.test(line)) pongWaiters.shift()?.()
      else if (onLine !== undefined) onLine(line)
    }
    partial = text.slice(start)
  })
  /** Resolves when the socket's buffer drained (back-pressure for big batches). */
  const send = (text) =>
    new Promise((resolve, reject) => {
      if (socket.destroyed) return reject(new Error(`connection to 127.0.0.1:${port} closed`))
      if (socket.write(text)) return resolve()
      socket.once("drain", resolve)
      socket.once("close", () => reject(new Error(`connection to 127.0.0.1:${port} closed`)))
    })
  return {
    socket,
    send,
    /** Sends `ping` and waits for the pong: everything sent before it was processed by the server. */
    sync: () =>
      new Promise((resolve, reject) => {
        if (socket.destroyed) return reject(new Error(`connection to 127.0.0.1:${port} closed`))
        pongWaiters.push((error) => (error === undefined ? resolve() : reject(error)))
        socket.write("ping\n")
      }),
    close: () => socket.destroy()
  }
}

/** `announce <channel> <message>\n` for each message of `messages(i)`, i in [from, to). */
export const announceBatch = (channel, message, from, to) => {
  let text = ""
  for (let i = from; i < to; i++) text += `announce ${channel} ${message(i)}\n`
  return text
}

/** A 128-bit hex id (what `f2bc publish` puts in `_id`), unique per sequence number and run. */
export const idOf = (run, i) => `${run.toString(16).padStart(8, "0")}${i.toString(16).padStart(24, "0")}`

/** An address of the benchmarking range 198.18.0.0/15 (RFC 2544) per sequence number, so per-ip ordering never serialises a figure. */
export const ipOf = (i) => `198.${18 + ((i >> 16) & 1)}.${(i >> 8) & 255}.${i & 255}`
