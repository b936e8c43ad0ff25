/**
 * Supervision under TestClock (virtual time, runs in milliseconds): the
 * reconnect delays, their cap and jitter, the reset after a session that
 * got established, and the keep-alive's interval.
 */
import { describe, expect, it } from "@effect/vitest"
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Logger from "effect/Logger"
import * as TestClock from "effect/TestClock"
import { keepPinging, pingTimings, supervise } from "../../src/transport/supervise.js"
import { TransportError, type SessionObserver } from "../../src/transport/transport.js"

const refused = new TransportError({ reason: "Connect", server: "s", detail: "cannot connect: ECONNREFUSED" })

/** Moves the clock to the next wake-up of a sleeping fiber, once the supervised fiber is asleep. */
const toNextWakeUp = Effect.gen(function* () {
  for (let turn = 0; turn < 1000; turn++) {
    const sleeps = yield* TestClock.sleeps()
    if (sleeps.length > 0) return yield* TestClock.setTime(Math.min(...sleeps))
    yield* Effect.yieldNow()
  }
  throw new Error("nothing is sleeping: the supervisor stopped")
})

const recording = () => {
  const events: Array<string> = []
  const logs: Array<string> = []
  const observer: SessionObserver = {
    connected: Effect.sync(() => void events.push("connected")),
    pong: Effect.void,
    down: (detail) => Effect.sync(() => void events.push(`down ${detail}`))
  }
  const logger = Logger.replace(Logger.defaultLogger, Logger.make(({ message }) => void logs.push([message].flat().join(" "))))
  return { events, logs, observer, logger }
}

// Jittered delays are fractions of a millisecond: compare to the microsecond.
const diffs = (times: ReadonlyArray<number>) => times.slice(1).map((t, i) => Math.round((t - times[i]!) * 1000) / 1000)

describe("supervise (TestClock)", () => {
  it.scoped("retries a session that cannot connect after delays doubling from 0.5 s, jittered by ±20 %, capped at 30 s", () =>
    Effect.gen(function* () {
      const { events, logs, observer, logger } = recording()
      const attempts: Array<number> = []
      const session = () => Effect.flatMap(Clock.currentTimeMillis, (now) => (attempts.push(now), Effect.fail(refused)))
      yield* supervise(session, { backoff: { baseMs: 500, capMs: 30_000 }, observer, component: "test", server: "s" }).pipe(
        Effect.provide(logger),
        Effect.forkScoped
      )
      while (attempts.length < 14) yield* toNextWakeUp
      const delays = diffs(attempts)
      delays.forEach((delay, n) => {
        const nominal = 500 * 2 ** n
        expect(delay).toBeGreaterThanOrEqual(Math.min(30_000, 0.8 * nominal))
        expect(delay).toBeLessThanOrEqual(Math.min(30_000, 1.2 * nominal))
      })
      // 0.8 × 64 s is over the cap: from the 8th delay on, exactly the cap.
      expect(delays.slice(7)).toEqual(Array(delays.length - 7).fill(30_000))
      // Jittered: the early delays are not the bare powers of two.
      expect(delays.slice(0, 6).some((delay, n) => delay !== 500 * 2 ** n)).toBe(true)
      expect(events.length).toBeGreaterThanOrEqual(13)
      expect(events.every((event) => event === "down cannot connect: ECONNREFUSED")).toBe(true)
      expect(logs[2]).toBe("connection failed: cannot connect: ECONNREFUSED; retrying with backoff (failure 3)")
    })
  )

  it.scoped("after a session that got established, reconnects at once and starts the backoff again from its base", () =>
    Effect.gen(function* () {
      const { events, logs, observer, logger } = recording()
      const attempts: Array<number> = []
      // Four refusals (the delays grow to ~4 s), then a session that works for a minute, then refusals again.
      const session = (established: (message: string) => Effect.Effect<void>) =>
        Effect.gen(function* () {
          attempts.push(yield* Clock.currentTimeMillis)
          if (attempts.length !== 5) return yield* Effect.fail(refused)
          yield* established("connected, subscribed to c")
          yield* Effect.sleep("60 seconds")
          return yield* Effect.fail(new TransportError({ reason: "Timeout", server: "s", detail: "no pong within 30000 ms" }))
        })
      yield* supervise(session, { backoff: { baseMs: 500, capMs: 30_000 }, observer, component: "test", server: "s" }).pipe(
        Effect.provide(logger),
        Effect.forkScoped
      )
      while (attempts.length < 8) yield* toNextWakeUp
      const delays = diffs(attempts)
      expect(delays[3]).toBeGreaterThanOrEqual(3200)
      // Attempt 6 starts the moment the working session ended: no backoff after it.
      expect(delays[4]).toBe(60_000)
      // Then the delays start again from 0.5 s, not from where they were (~8 s).
      expect(delays[5]).toBeGreaterThanOrEqual(400)
      expect(delays[5]).toBeLessThanOrEqual(600)
      expect(delays[6]).toBeGreaterThanOrEqual(800)
      expect(delays[6]).toBeLessThanOrEqual(1200)
      expect(events.filter((event) => event === "connected")).toHaveLength(1)
      expect(logs).toContain("connection lost: no pong within 30000 ms; reconnecting")
      // The failure count starts over too.
      expect(logs.filter((line) => line.endsWith("(failure 1)"))).toHaveLength(2)
    })
  )
})

describe("keepPinging (TestClock)", () => {
  it("pings T/3 after each answer with a T/2 deadline: silence is detected within 5T/6", () => {
    expect(pingTimings(60_000)).toEqual({ intervalMs: 20_000, deadlineMs: 30_000 })
    expect(pingTimings(1)).toEqual({ intervalMs: 1, deadlineMs: 1 })
  })

  it.scoped("pings every T/3 while the server answers, each with the T/2 deadline", () =>
    Effect.gen(function* () {
      const pings: Array<readonly [number, number]> = []
      const ping = (deadlineMs: number) => Effect.map(Clock.currentTimeMillis, (now) => void pings.push([now, deadlineMs]))
      yield* Effect.forkScoped(keepPinging(60_000, ping))
      yield* TestClock.adjust("200 seconds")
      expect(pings).toEqual(Array.from({ length: 10 }, (_, i) => [(i + 1) * 20_000, 30_000]))
    })
  )
})
