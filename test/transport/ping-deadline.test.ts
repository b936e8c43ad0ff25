/**
 * The fanout session's keep-alive against a real loopback server that stops
 * answering, under TestClock: the sockets are real, the waits are virtual,
 * so a 60 s ping_timeout is checked to the millisecond in well under a second.
 */
import { describe, expect, it } from "@effect/vitest"
import * as Chunk from "effect/Chunk"
import * as Clock from "effect/Clock"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Logger from "effect/Logger"
import * as LogLevel from "effect/LogLevel"
import * as Queue from "effect/Queue"
import * as Stream from "effect/Stream"
import * as TestClock from "effect/TestClock"
import * as net from "node:net"
import { superviseDeliveries } from "../../src/transport/fanout/session.js"
import type { SessionObserver } from "../../src/transport/transport.js"

const T = 60_000

/** A server that confirms the subscriptions (answers a connection's first ping) and then never answers again. */
const silentAfterConfirming = Effect.gen(function* () {
  const connections = yield* Queue.unbounded<number>()
  const pings = yield* Queue.unbounded<number>()
  let count = 0
  const server = net.createServer((socket) => {
    const id = ++count
    Queue.unsafeOffer(connections, id)
    let answered = false
    socket.on("error", () => undefined)
    socket.on("data", (chunk) => {
      for (const _ of chunk.toString("latin1").matchAll(/^ping$/gm)) {
        Queue.unsafeOffer(pings, id)
        if (!answered) socket.write("1795605900\n")
        answered = true
      }
    })
  })
  const port = yield* Effect.acquireRelease(
    Effect.async<number>((resume) => void server.listen(0, "127.0.0.1", () => resume(Effect.succeed((server.address() as net.AddressInfo).port)))),
    () => Effect.sync(() => server.close())
  )
  return { port, connections, pings }
})

/** Lets real I/O run until a fiber sleeps until `at` (virtual ms): an event, not a timed wait. */
const untilSleepingUntil = (at: number) =>
  Effect.gen(function* () {
    for (let turn = 0; turn < 10_000; turn++) {
      if (Chunk.some(yield* TestClock.sleeps(), (wakeUp) => wakeUp === at)) return
      yield* Effect.promise(() => new Promise((resolve) => setImmediate(resolve)))
    }
    throw new Error(`no fiber sleeps until ${at}: ${[...(yield* TestClock.sleeps())].join(", ")}`)
  })

/** A guard in real time (the clock is virtual here): a broken session fails the test instead of hanging it. */
const guarded = <A, E>(effect: Effect.Effect<A, E>, what: string) =>
  Effect.raceFirst(
    effect,
    Effect.flatMap(Effect.promise(() => new Promise((resolve) => setTimeout(resolve, 5_000))), () => Effect.dieMessage(`no ${what} within 5 s (real time)`))
  )

describe("fanout session keep-alive (TestClock, real sockets)", () => {
  it.scoped("declares a server silent since its last pong dead at 5/6 of ping_timeout, then reconnects at once", () =>
    Effect.gen(function* () {
      const server = yield* silentAfterConfirming
      const connected = yield* Deferred.make<number>()
      const down = yield* Deferred.make<{ readonly at: number; readonly detail: string }>()
      const observer: SessionObserver = {
        connected: Effect.flatMap(Clock.currentTimeMillis, (at) => Deferred.succeed(connected, at)),
        pong: Effect.void,
        down: (detail) => Effect.flatMap(Clock.currentTimeMillis, (at) => Deferred.succeed(down, { at, detail }))
      }
      const endpoint = { host: "127.0.0.1", port: server.port, channels: ["c"], pingTimeoutMs: T, maxLineBytes: 1024 }
      yield* Stream.runDrain(superviseDeliveries(endpoint, { baseMs: 500, capMs: 30_000 }, observer)).pipe(
        Logger.withMinimumLogLevel(LogLevel.None),
        Effect.forkScoped
      )
      expect(yield* guarded(Queue.take(server.connections), "first connection")).toBe(1)
      // The subscriptions are confirmed by the first ping's pong: the last answer the server gives.
      const upAt = yield* guarded(Deferred.await(connected), "confirmed subscription")
      yield* untilSleepingUntil(upAt + T / 3)
      yield* TestClock.adjust(T / 3)
      expect(yield* guarded(Queue.takeN(server.pings, 2), "keep-alive ping")).toHaveLength(2)
      yield* untilSleepingUntil(upAt + T / 3 + T / 2)
      yield* TestClock.adjust(T / 2 - 1)
      expect(yield* Deferred.isDone(down)).toBe(false)
      yield* TestClock.adjust(1)
      const lost = yield* guarded(Deferred.await(down), "session failure")
      expect(lost.at - upAt).toBe((5 * T) / 6)
      expect(lost.detail).toBe(`no pong within ${T / 2} ms`)
      // The session had been established: the next connection comes without any backoff (the clock stays put).
      expect(yield* guarded(Queue.take(server.connections), "reconnection")).toBe(2)
      expect(yield* Clock.currentTimeMillis).toBe(upAt + (5 * T) / 6)
    })
  )
})
