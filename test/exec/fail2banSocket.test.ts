/**
 * The fail2ban socket client against a scripted stand-in of fail2ban-server's socket (real Unix socket):
 * one kept connection, one request at a time, and a new connection after every error, close or timeout.
 */
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as net from "node:net"
import * as path from "node:path"
import { afterEach, describe, expect, it } from "vitest"
import { makeFail2banSockets, type Fail2banSockets, type SendOptions } from "../../src/exec/fail2banSocket.js"
import { END } from "../../src/fail2ban/index.js"
import { tempDir } from "../support/harness.js"

/** `(0, 2)` and `(1, UnknownJailException('nojail'))` as fail2ban-server 1.0.2 pickles them. */
const DONE_TWO = Buffer.from("80059507000000000000004b004b0286942e", "hex")
const UNKNOWN_JAIL = Buffer.from("gAWVQQAAAAAAAABLAYwTZmFpbDJiYW4uZXhjZXB0aW9uc5SMFFVua25vd25KYWlsRXhjZXB0aW9ulJOUjAZub2phaWyUhZRSlIaULg==", "base64")

/** What the stand-in does with a request: answer these bytes (END is added), stay silent, or close the connection. */
type Reply = Buffer | "silent" | "close"

/** A stand-in fail2ban socket: counts connections, records requests, and how many were outstanding at once. */
const standIn = async (socketPath: string, reply: (request: Buffer, n: number) => Reply) => {
  const requests: Array<Buffer> = []
  const open = new Set<net.Socket>()
  let connections = 0
  let outstanding = 0
  let mostOutstanding = 0
  const server = net.createServer((socket) => {
    connections++
    open.add(socket)
    socket.on("close", () => open.delete(socket))
    socket.on("error", () => undefined)
    let buffer = Buffer.alloc(0)
    socket.on("data", (chunk: Buffer) => {
      buffer = Buffer.concat([buffer, chunk])
      for (let end = buffer.indexOf(END); end !== -1; end = buffer.indexOf(END)) {
        const request = buffer.subarray(0, end)
        buffer = buffer.subarray(end + END.length)
        if (request.toString() === "<F2B_CLOSE_COMMAND>") continue
        requests.push(request)
        outstanding++
        mostOutstanding = Math.max(mostOutstanding, outstanding)
        const answer = reply(request, requests.length)
        if (answer === "close") socket.destroy()
        else if (answer !== "silent") {
          // Answered a little later, so that requests sent without waiting would overlap here.
          setImmediate(() => {
            outstanding--
            socket.write(Buffer.concat([answer, END]))
          })
        }
      }
    })
  })
  await new Promise<void>((resolve) => server.listen(socketPath, resolve))
  return {
    requests,
    connections: () => connections,
    mostOutstanding: () => mostOutstanding,
    /** Closes the connections it holds, as a restarted fail2ban would. */
    dropAll: () => open.forEach((socket) => socket.destroy()),
    close: () => new Promise<void>((resolve) => {
      open.forEach((socket) => socket.destroy())
      server.close(() => resolve())
    })
  }
}

const OPTIONS: SendOptions = { timeoutMs: 2000, maxAnswerBytes: 4096 }
const BAN = ["set", "cluster-sshd", "banip", "192.0.2.7"]

const withSockets = <A, E>(use: (sockets: Fail2banSockets) => Effect.Effect<A, E>): Promise<Exit.Exit<A, E>> =>
  Effect.runPromiseExit(Effect.scoped(Effect.flatMap(makeFail2banSockets, use)))

const failureOf = <A, E>(exit: Exit.Exit<A, E>): E => {
  if (Exit.isSuccess(exit) || exit.cause._tag !== "Fail") throw new Error(`expected a failure, got ${JSON.stringify(exit)}`)
  return exit.cause.error
}

const closers: Array<() => Promise<void>> = []
afterEach(async () => {
  await Promise.all(closers.splice(0).map((close) => close()))
})

const started = async (reply: (request: Buffer, n: number) => Reply) => {
  const socketPath = path.join(tempDir("f2bc-f2bsock-"), "fail2ban.sock")
  const server = await standIn(socketPath, reply)
  closers.push(server.close)
  return { socketPath, server }
}

describe("fail2ban socket client", () => {
  it("sends fail2ban-client's words on one kept connection, one request at a time", async () => {
    const { socketPath, server } = await started(() => DONE_TWO)
    const exit = await withSockets((sockets) =>
      Effect.all(Array.from({ length: 6 }, () => sockets.send(socketPath, BAN, OPTIONS)), { concurrency: "unbounded" }))
    expect(Exit.isSuccess(exit) && exit.value.map((sent) => sent.result)).toEqual(Array(6).fill("2"))
    expect(server.requests).toHaveLength(6)
    expect(server.connections()).toBe(1)
    expect(server.mostOutstanding()).toBe(1)
    // The request is a protocol-2 pickle of the list of words.
    expect(server.requests[0]!.subarray(0, 4)).toEqual(Buffer.from([0x80, 2, 0x5d, 0x28]))
  })

  it("fails with fail2ban's own error text, and keeps the connection", async () => {
    const { socketPath, server } = await started((_, n) => (n === 1 ? UNKNOWN_JAIL : DONE_TWO))
    const exit = await withSockets((sockets) =>
      Effect.all([Effect.exit(sockets.send(socketPath, ["set", "nojail", "banip", "192.0.2.7"], OPTIONS)), sockets.send(socketPath, BAN, OPTIONS)]))
    const [first, second] = Exit.isSuccess(exit) ? exit.value : []
    const error = failureOf(first!)
    expect(error.reason).toBe("Fail2ban")
    expect(error.message).toBe("fail2ban answered: UnknownJailException('nojail')")
    expect(second?.result).toBe("2")
    expect(server.connections()).toBe(1)
  })

  it("a request over the timeout fails as a timeout and drops the connection; the next one connects again", async () => {
    const { socketPath, server } = await started((_, n) => (n === 1 ? "silent" : DONE_TWO))
    const exit = await withSockets((sockets) =>
      Effect.all([Effect.exit(sockets.send(socketPath, BAN, { ...OPTIONS, timeoutMs: 200 })), sockets.send(socketPath, BAN, OPTIONS)]))
    const [first, second] = Exit.isSuccess(exit) ? exit.value : []
    const error = failureOf(first!)
    expect(error.reason).toBe("Timeout")
    expect(error.message).toBe(`timed out after 200 ms on fail2ban's socket ${socketPath}, connection dropped`)
    expect(second?.result).toBe("2")
    expect(server.connections()).toBe(2)
  })

  it("refuses an answer over the size bound and drops the connection", async () => {
    const { socketPath, server } = await started((_, n) => (n === 1 ? Buffer.alloc(5000, 0x4e) : DONE_TWO))
    const exit = await withSockets((sockets) =>
      Effect.all([Effect.exit(sockets.send(socketPath, BAN, OPTIONS)), sockets.send(socketPath, BAN, OPTIONS)]))
    const [first, second] = Exit.isSuccess(exit) ? exit.value : []
    expect(failureOf(first!).message).toBe(`cannot read fail2ban's answer on ${socketPath}: the answer is over 4096 bytes`)
    expect(second?.result).toBe("2")
    expect(server.connections()).toBe(2)
  })

  it("sends again on a new connection when fail2ban closed the kept one (a restart)", async () => {
    const { socketPath, server } = await started(() => DONE_TWO)
    const exit = await withSockets((sockets) =>
      Effect.gen(function* () {
        yield* sockets.send(socketPath, BAN, OPTIONS)
        server.dropAll()
        return yield* sockets.send(socketPath, BAN, OPTIONS)
      }))
    expect(Exit.isSuccess(exit) && exit.value.result).toBe("2")
    expect(server.connections()).toBe(2)
  })

  it("a connection closed while a request waits fails that request", async () => {
    const { socketPath } = await started(() => "close")
    const exit = await withSockets((sockets) => sockets.send(socketPath, BAN, OPTIONS))
    expect(failureOf(exit).reason).toBe("Closed")
  })

  it("a missing socket fails with its path; once it is there, the next request goes through", async () => {
    const socketPath = path.join(tempDir("f2bc-f2bsock-"), "fail2ban.sock")
    const exit = await withSockets((sockets) =>
      Effect.gen(function* () {
        const missing = yield* Effect.flip(sockets.send(socketPath, BAN, OPTIONS))
        const server = yield* Effect.promise(() => standIn(socketPath, () => DONE_TWO))
        closers.push(server.close)
        const sent = yield* sockets.send(socketPath, BAN, OPTIONS)
        return { missing, sent }
      }))
    if (!Exit.isSuccess(exit)) throw new Error(String(exit))
    expect(exit.value.missing.message).toBe(`cannot connect to fail2ban's socket ${socketPath}: ENOENT (is fail2ban-server running?)`)
    expect(exit.value.sent.result).toBe("2")
  })

  it("sends nothing for a word that holds fail2ban's terminator", async () => {
    const { socketPath, server } = await started(() => DONE_TWO)
    const exit = await withSockets((sockets) => sockets.send(socketPath, ["set", "x<F2B_END_COMMAND>", "banip", "192.0.2.7"], OPTIONS))
    expect(failureOf(exit).reason).toBe("Request")
    expect(server.requests).toHaveLength(0)
  })
})
