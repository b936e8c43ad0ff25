/**
 * The pid file: written atomically by a running daemon, removed when it
 * stops, and read by `daemon start|stop|status`. A stale file never blocks.
 */
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as Predicate from "effect/Predicate"
import * as fs from "node:fs"
import type * as Scope from "effect/Scope"

export class PidFileError extends Data.TaggedError("PidFileError")<{
  readonly reason: "Running" | "Write"
  readonly path: string
  readonly detail: string
}> {
  override get message(): string {
    return this.reason === "Running"
      ? `another f2bc daemon is running (pid file ${this.path}: ${this.detail})`
      : `cannot write pid file ${this.path}: ${this.detail}`
  }
}

/** The pid recorded in `path`, or undefined when the file is absent or unreadable. */
export const readPid = (path: string): number | undefined => {
  try {
    const pid = Number.parseInt(fs.readFileSync(path, "utf8").trim(), 10)
    return Number.isSafeInteger(pid) && pid > 0 ? pid : undefined
  } catch {
    return undefined
  }
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
export const holdPidFile = (path: string): Effect.Effect<void, PidFileError, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.suspend(() => {
      const other = runningPid(path)
      if (other !== undefined && other !== process.pid)
        return Effect.fail(new PidFileError({ reason: "Running", path, detail: `pid ${other} is alive` }))
      return Effect.try({
        try: () => {
          const temporary = `${path}.${process.pid}.tmp`
          fs.writeFileSync(temporary, `${process.pid}\n`, { mode: 0o644 })
          fs.renameSync(temporary, path)
        },
        catch: (cause) => new PidFileError({ reason: "Write", path, detail: cause instanceof Error ? cause.message : String(cause) })
      })
    }),
    () =>
      Effect.sync(() => {
        // Only remove our own file: a successor may have written its pid meanwhile.
        if (readPid(path) === process.pid) fs.rmSync(path, { force: true })
      })
  )
