/**
 * `daemon start|stop|status`: detach a daemon, signal it, and read its
 * state from the pid file.
 */
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Schedule from "effect/Schedule"
import { spawn } from "node:child_process"
import * as fs from "node:fs"
import { isAlive, runningPid } from "./pidfile.js"

export interface StartOptions {
  readonly configPath: string
  readonly pidFile: string
  readonly logFile: string | undefined
  /** Milliseconds to wait for the child to write its pid file. */
  readonly waitMs: number
}

export type StartOutcome =
  | { readonly _tag: "Started"; readonly pid: number }
  | { readonly _tag: "AlreadyRunning"; readonly pid: number }
  | { readonly _tag: "Failed"; readonly detail: string }

/** Checks every `intervalMs` until `check` holds or `timeoutMs` has passed (Effect's Clock); then once more. */
const pollUntil = (check: () => boolean, timeoutMs: number, intervalMs = 50): Effect.Effect<boolean> =>
  Effect.sync(check).pipe(
    Effect.repeat({ schedule: Schedule.spaced(Duration.millis(intervalMs)), until: (done) => done }),
    Effect.timeoutTo({ duration: Duration.millis(timeoutMs), onSuccess: () => true, onTimeout: () => check() })
  )

/** Starts `f2bc daemon run` detached and waits until it has written its pid file. */
export const start = (options: StartOptions): Effect.Effect<StartOutcome> =>
  Effect.gen(function* () {
    const existing = runningPid(options.pidFile)
    if (existing !== undefined) return { _tag: "AlreadyRunning", pid: existing } as const
    const script = process.argv[1] ?? ""
    // The detached daemon's stderr (anything printed before its logger is
    // up, or a crash) goes to the log file; without one it is discarded.
    const errFd = fs.openSync(options.logFile ?? "/dev/null", "a")
    const child = spawn(
      process.execPath,
      [...process.execArgv, script, "daemon", "run", "--config", options.configPath, "--pid-file", options.pidFile],
      { detached: true, stdio: ["ignore", "ignore", errFd] }
    )
    fs.closeSync(errFd)
    let exited: number | null | undefined
    child.once("exit", (code) => (exited = code))
    child.unref()
    const pid = child.pid
    const up = yield* pollUntil(() => exited !== undefined || (pid !== undefined && runningPid(options.pidFile) === pid), options.waitMs)
    if (up && exited === undefined && pid !== undefined) return { _tag: "Started", pid } as const
    return {
      _tag: "Failed",
      detail:
        (exited !== undefined ? `daemon exited with status ${exited}` : "daemon did not write its pid file in time") +
        (options.logFile !== undefined ? `; see ${options.logFile}` : "; set log_file to keep its logs")
    } as const
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
