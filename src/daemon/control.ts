/**
 * `daemon stop|status`: signal a detached daemon and read its state from
 * the pid file (`daemon start` is detach.ts).
 */
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Schedule from "effect/Schedule"
import { isAlive, runningPid } from "./pidfile.js"

/** Checks every `intervalMs` until `check` holds or `timeoutMs` has passed (Effect's Clock); then once more. */
const pollUntil = (check: () => boolean, timeoutMs: number, intervalMs = 50): Effect.Effect<boolean> =>
  Effect.sync(check).pipe(
    Effect.repeat({ schedule: Schedule.spaced(Duration.millis(intervalMs)), until: (done) => done }),
    Effect.timeoutTo({ duration: Duration.millis(timeoutMs), onSuccess: () => true, onTimeout: () => check() })
  )

export type StopOutcome =
  | { readonly _tag: "Stopped"; readonly pid: number }
  | { readonly _tag: "NotRunning" }
  | { readonly _tag: "StillRunning"; readonly pid: number }

/** Sends SIGTERM and waits until the daemon has exited. */
export const stop = (pidFile: string, waitMs: number): Effect.Effect<StopOutcome> =>
  Effect.gen(function* () {
    const pid = runningPid(pidFile)
    if (pid === undefined) return { _tag: "NotRunning" } as const
    try {
      process.kill(pid, "SIGTERM")
    } catch {
      return { _tag: "NotRunning" } as const
    }
    const gone = yield* pollUntil(() => !isAlive(pid), waitMs)
    return gone ? ({ _tag: "Stopped", pid } as const) : ({ _tag: "StillRunning", pid } as const)
  })
