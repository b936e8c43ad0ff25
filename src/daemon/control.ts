/**
 * `daemon stop|status`: signal a detached daemon and read its state from
 * the pid file (`daemon start` is detach.ts).
 */
import * as Effect from "effect/Effect"
import { isAlive, runningPid } from "./pidfile.js"

const pollUntil = (check: () => boolean, timeoutMs: number, intervalMs = 50): Effect.Effect<boolean> =>
  Effect.gen(function* () {
    const deadline = Date.now() + timeoutMs
    while (Date.now() < deadline) {
      if (check()) return true
      yield* Effect.sleep(intervalMs)
    }
    return check()
  })

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
