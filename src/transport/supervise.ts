/**
 * The supervision every transport shares: sessions run one after another
 * for as long as the stream runs, with capped, jittered exponential backoff.
 */
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Schedule from "effect/Schedule"
import type { SessionObserver, TransportError } from "./transport.js"

export interface BackoffOptions {
  readonly baseMs: number
  readonly capMs: number
}

export const defaultBackoff: BackoffOptions = { baseMs: 500, capMs: 30_000 }

/** The reconnect delays: exponential from `baseMs`, jittered, then capped (jitter before the cap). */
export const reconnectSchedule = (options: BackoffOptions) =>
  Schedule.exponential(Duration.millis(options.baseMs), 2).pipe(
    Schedule.jittered,
    Schedule.modifyDelay((_, delay) => Duration.min(delay, Duration.millis(options.capMs)))
  )

/**
 * Runs `session` forever. A session fails while it cannot get established
 * (so the backoff grows, each failure logged with its count); one that got
 * established (it called `onEstablished`) and then ended starts the next
 * from the base delay. Either way the observer hears that the server is down.
 */
export const supervise = (
  session: (onEstablished: () => void) => Effect.Effect<unknown, TransportError>,
  options: { readonly backoff: BackoffOptions; readonly observer: SessionObserver; readonly component: string; readonly server: string }
): Effect.Effect<never, TransportError> => {
  const { observer } = options
  let failures = 0
  const attempt = Effect.suspend(() => {
    let established = false
    return session(() => {
      established = true
      failures = 0
    }).pipe(
      Effect.catchAll((error) => {
        if (established)
          return Effect.zipRight(observer.down(error.detail), Effect.logWarning(`connection lost: ${error.detail}; reconnecting`))
        failures++
        return Effect.zipRight(
          Effect.zipRight(observer.down(error.detail), Effect.logWarning(`connection failed: ${error.detail}; retrying with backoff (failure ${failures})`)),
          Effect.fail(error)
        )
      })
    )
  })
  return attempt.pipe(
    Effect.retry(reconnectSchedule(options.backoff)),
    Effect.forever,
    Effect.annotateLogs({ component: options.component, server: options.server })
  )
}
