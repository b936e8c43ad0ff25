/**
 * Deliveries a session had to drop because the pipeline is behind (its
 * queue was full): counted as they happen, reported once a second while
 * it lasts and when the session ends, so none goes uncounted.
 */
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Schedule from "effect/Schedule"
import type * as Scope from "effect/Scope"
import { countDroppedDeliveries } from "../metrics/metrics.js"

/** Deliveries waiting for the pipeline, per server; beyond this they are dropped and counted. */
export const DELIVERY_BUFFER = 10_000

/** Starts the reporter in the current scope; `drop()` counts one delivery dropped. */
export const droppedDeliveries = (server: string): Effect.Effect<{ readonly drop: () => void }, never, Scope.Scope> =>
  Effect.gen(function* () {
    let dropped = 0
    const report = Effect.suspend(() => {
      if (dropped === 0) return Effect.void
      const count = dropped
      dropped = 0
      return Effect.zipRight(countDroppedDeliveries(server, count), Effect.logWarning(`dropped ${count} deliveries: the pipeline is behind`))
    })
    yield* Effect.addFinalizer(() => report)
    yield* Effect.forkScoped(Effect.repeat(report, Schedule.spaced(Duration.seconds(1))))
    return {
      drop: () => {
        dropped++
      }
    }
  })
