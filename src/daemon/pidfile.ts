/**
 * The pid file: written atomically by a running daemon (in a directory only root can write, see stateFile.ts),
 * removed when it stops, and read by `daemon start|stop|status`. A stale file never blocks.
 */
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as Predicate from "effect/Predicate"
import * as fs from "node:fs"
import type * as Scope from "effect/Scope"
import { readStateFile, writeStateFile, type StateFileError } from "./stateFile.js"

export class PidFileError extends Data.TaggedError("PidFileError")<{
  readonly reason: "Running"
  readonly path: string
  readonly detail: string
}> {
  override get message(): string {
    return `another f2bc daemon is running (pid file ${this.path}: ${this.detail})`
  }
}

/** A pid file holds a decimal pid and a newline. */
const MAX_PID_FILE_BYTES = 32

/** The pid recorded in `path`, or undefined when the file is absent, unreadable, or not a regular file. */
export const readPid = (path: string): number | undefined => {
  const bytes = readStateFile(path, MAX_PID_FILE_BYTES)
  if (bytes === undefined) return undefined
  const pid = Number.parseInt(bytes.toString("utf8").trim(), 10)
  return Number.isSafeInteger(pid) && pid > 0 ? pid : undefined
}

export const isAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    // EPERM: it exists but belongs to someone else.
    return Predicate.hasProperty(error, "code") && error.code === "EPERM"
  }
}

/**
 * False when the process is known not to be f2bc: after a crash the pid may
 * have been reused by an unrelated process, which `stop` must never signal.
 * Where /proc is not available the answer is "maybe" (true).
 */
const looksLikeF2bc = (pid: number): boolean => {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").includes("f2bc")
  } catch {
    return !fs.existsSync("/proc/self")
  }
}

/** The pid of the live daemon recorded in `path`, if any. */
export const runningPid = (path: string): number | undefined => {
  const pid = readPid(path)
  return pid !== undefined && isAlive(pid) && looksLikeF2bc(pid) ? pid : undefined
}

/** Writes this process's pid to `path` for the scope's lifetime. */
export const holdPidFile = (path: string): Effect.Effect<void, PidFileError | StateFileError, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.suspend((): Effect.Effect<void, PidFileError | StateFileError> => {
      const other = runningPid(path)
      if (other !== undefined && other !== process.pid)
        return Effect.fail(new PidFileError({ reason: "Running", path, detail: `pid ${other} is alive` }))
      return writeStateFile(path, "pid file", `${process.pid}\n`)
    }),
    () =>
      Effect.sync(() => {
        // Only remove our own file: a successor may have written its pid meanwhile.
        if (readPid(path) === process.pid) fs.rmSync(path, { force: true })
      })
  )
