/**
 * The reconnect schedule (operations.md): exponential backoff with jitter, capped.
 */
import { describe, expect, it } from "@effect/vitest"
import * as Chunk from "effect/Chunk"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Schedule from "effect/Schedule"
import { reconnectSchedule } from "../../src/transport/fanout/index.js"

const delaysOf = (count: number, baseMs: number, capMs: number) =>
  Schedule.run(Schedule.delays(reconnectSchedule({ baseMs, capMs })), 0, Array.from({ length: count }, () => undefined)).pipe(
    Effect.map((delays) => Chunk.toReadonlyArray(delays).map(Duration.toMillis))
  )

describe("reconnectSchedule", () => {
  it.effect("never waits longer than the cap, jitter included", () =>
    Effect.gen(function* () {
      for (let run = 0; run < 50; run++) {
        const delays = yield* delaysOf(30, 500, 30_000)
        expect(Math.max(...delays)).toBeLessThanOrEqual(30_000)
      }
    })
  )

  it.effect("starts near the base delay and grows exponentially until the cap", () =>
    Effect.gen(function* () {
      const delays = yield* delaysOf(12, 500, 30_000)
      // Jitter scales each delay by 0.8–1.2.
      expect(delays[0]).toBeGreaterThanOrEqual(400)
      expect(delays[0]).toBeLessThanOrEqual(600)
      expect(delays[3]).toBeGreaterThanOrEqual(0.8 * 4000)
      expect(delays[3]).toBeLessThanOrEqual(1.2 * 4000)
      expect(delays.slice(8)).toEqual([30_000, 30_000, 30_000, 30_000])
    })
  )

  it.effect("is not the same sequence every time (jittered)", () =>
    Effect.gen(function* () {
      const a = yield* delaysOf(5, 500, 30_000)
      const b = yield* delaysOf(5, 500, 30_000)
      const c = yield* delaysOf(5, 500, 30_000)
      expect(new Set([a.join(), b.join(), c.join()]).size).toBeGreaterThan(1)
    })
  )
})
