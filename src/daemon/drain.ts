/**
 * Drain on shutdown: once the servers are stopped, the queued and running
 * actions get what is left of `shutdown_timeout` before the executor kills the rest.
 */
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import type { ExecutorService } from "../exec/executor.js"

export interface Drain {
  /**
   * Registers, in the current scope, the finalizer that notes when the stop
   * began: call it after the servers' fibers exist, so it runs before they are interrupted.
   */
  readonly markStop: Effect.Effect<void, never, Scope.Scope>
}

/**
 * Registers the drain finalizer in the current scope. Register it before the
 * servers' fibers: finalizers run in reverse order, so it runs after they are
 * interrupted (no new deliveries, then drain).
 */
export const makeDrain = (executor: ExecutorService, shutdownTimeout: () => number): Effect.Effect<Drain, never, Scope.Scope> =>
  Effect.gen(function* () {
    let stopStartedAt: number | undefined
    yield* Effect.addFinalizer(() =>
      Effect.gen(function* () {
        const timeout = shutdownTimeout()
        // A JetStream server keeps its connection open while its queued actions finish (to acknowledge
        // them): that wait counts against shutdown_timeout too.
        const spentMs = stopStartedAt === undefined ? 0 : (yield* Clock.currentTimeMillis) - stopStartedAt
        const leftMs = Math.max(0, timeout * 1000 - spentMs)
        const { pending } = yield* executor.stats
        if (pending > 0) yield* Effect.logInfo(`stopping: waiting up to ${Math.round(leftMs / 100) / 10} s for ${pending} action(s)`)
        const outcome = yield* executor.drain(leftMs)
        if (!outcome.finished)
          yield* Effect.logWarning(`shutdown_timeout (${timeout} s) reached: killing ${outcome.left} action(s) still waiting or running`)
      }).pipe(Effect.annotateLogs({ component: "daemon" }))
    )
    const markStop = Effect.addFinalizer(() =>
      Effect.map(Clock.currentTimeMillis, (now) => {
        stopStartedAt = now
      })
    )
    return { markStop }
  })
