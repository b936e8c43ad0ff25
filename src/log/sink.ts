/**
 * Where log lines go: stderr, or an append-only file that can be reopened
 * after logrotate moved it away (SIGHUP).
 */
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as fs from "node:fs"
import type * as Scope from "effect/Scope"

export interface LogSink {
  readonly write: (line: string) => void
  /** Closes and reopens the file (no-op for stderr). */
  readonly reopen: () => void
}

export class LogSinkError extends Data.TaggedError("LogSinkError")<{
  readonly path: string
  readonly cause: unknown
}> {
  override get message(): string {
    return `cannot open log_file ${this.path}: ${this.cause instanceof Error ? this.cause.message : String(this.cause)}`
  }
}

export const stderrSink: LogSink = {
  // process.stderr writes are synchronous for files, TTYs and pipes on Linux.
  write: (line) => void process.stderr.write(line),
  reopen: () => undefined
}

const openFile = (path: string): number => fs.openSync(path, "a", 0o640)

/** Opens the file sink (or stderr when `path` is undefined); closed with the scope. */
export const openSink = (path: string | undefined): Effect.Effect<LogSink, LogSinkError, Scope.Scope> => {
  if (path === undefined) return Effect.succeed(stderrSink)
  return Effect.acquireRelease(
    Effect.try({ try: () => openFile(path), catch: (cause) => new LogSinkError({ path, cause }) }).pipe(
      Effect.map((initial) => {
        let fd = initial
        const sink: LogSink & { readonly close: () => void } = {
          write: (line) => {
            try {
              fs.writeSync(fd, line)
            } catch {
              // A full disk must not stop the daemon; fall back to stderr for this line.
              process.stderr.write(line)
            }
          },
          reopen: () => {
            try {
              const next = openFile(path)
              fs.closeSync(fd)
              fd = next
            } catch (cause) {
              process.stderr.write(`cannot reopen log_file ${path}: ${String(cause)}\n`)
            }
          },
          close: () => fs.closeSync(fd)
        }
        return sink
      })
    ),
    (sink) => Effect.sync(() => sink.close())
  )
}
