/**
 * The supervision every transport shares: sessions run one after another
 * for as long as the stream runs, with capped, jittered exponential backoff.
 */
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Queue from "effect/Queue"
import * as Schedule from "effect/Schedule"
import * as Stream from "effect/Stream"
import type { Delivery, SessionObserver, TransportError } from "./transport.js"

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

export interface SuperviseOptions {
  readonly backoff: BackoffOptions
  readonly observer: SessionObserver
  readonly component: string
  readonly server: string
}

/**
 * What a session runs once it is up (subscriptions confirmed): the next
 * outage starts from the base delay, the observer hears `connected`, and `message` is logged.
 */
export type Established = (message: string) => Effect.Effect<void>

/**
 * Runs `session` forever. A session fails while it cannot get established
 * (so the backoff grows, each failure logged with its count); one that got
 * established and then ended starts the next at once, and from the base
 * delay. Either way the observer hears that the server is down.
 */
export const supervise = (
  session: (established: Established) => Effect.Effect<unknown, TransportError>,
  options: SuperviseOptions
): Effect.Effect<never, TransportError> => {
  const { observer } = options
  let failures = 0
  const attempt = Effect.suspend(() => {
    let established = false
    const up: Established = (message) =>
      Effect.suspend(() => {
        established = true
        failures = 0
        return Effect.zipRight(observer.connected, Effect.logInfo(message))
      })
    return session(up).pipe(
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

/**
 * One endpoint's deliveries as a stream: `session` feeds `queue` under
 * `supervise`, in a fiber that lives as long as the stream is read.
 */
export const supervisedDeliveries = (
  queue: Effect.Effect<Queue.Queue<Delivery>>,
  session: (out: Queue.Queue<Delivery>, established: Established) => Effect.Effect<unknown, TransportError>,
  options: SuperviseOptions
): Stream.Stream<Delivery> =>
  Stream.unwrapScoped(
    Effect.gen(function* () {
      const out = yield* queue
      yield* supervise((established) => session(out, established), options).pipe(Effect.forkScoped)
      return Stream.fromQueue(out)
    })
  )

/**
 * Keep-alive timings for a ping timeout T: ping T/3 after each answer, with
 * a T/2 deadline, so a server silent since its last answer is declared dead
 * after at most 5T/6, within T even with timer and scheduling slack.
 */
export const pingTimings = (pingTimeoutMs: number): { readonly intervalMs: number; readonly deadlineMs: number } => ({
  intervalMs: Math.max(1, Math.floor(pingTimeoutMs / 3)),
  deadlineMs: Math.max(1, Math.floor(pingTimeoutMs / 2))
})

/** Forever: wait the interval, then `ping` with the deadline; ends with the first ping that fails. */
export const keepPinging = <E>(pingTimeoutMs: number, ping: (deadlineMs: number) => Effect.Effect<void, E>): Effect.Effect<never, E> => {
  const { intervalMs, deadlineMs } = pingTimings(pingTimeoutMs)
  return Effect.forever(Effect.zipRight(Effect.sleep(Duration.millis(intervalMs)), ping(deadlineMs)))
}
