/**
 * A process signal handler installed for the lifetime of a scope, so the
 * daemon and the broker never leave a listener behind.
 */
import * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"

export const onSignal = (signal: NodeJS.Signals, handler: () => void): Effect.Effect<void, never, Scope.Scope> =>
  Effect.asVoid(
    Effect.acquireRelease(
      Effect.sync(() => process.on(signal, handler)),
      () => Effect.sync(() => process.off(signal, handler))
    )
  )
