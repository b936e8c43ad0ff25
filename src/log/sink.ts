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

/** Bytes held before a write happens at once rather than at the end of the tick. */
const BATCH_BYTES = 64 * 1024

/**
 * Lines written during one turn of the event loop go out in one write
 * (setImmediate), in order: one syscall per line cost a third of the
 * daemon's time under a flood. Pending lines are flushed at process exit,
 * so only a SIGKILL can lose them (at most one turn's worth).
 */
const batched = (writeNow: (text: string) => void): { readonly write: (line: string) => void; readonly flush: () => void } => {
  let pending: Array<string> = []
  let bytes = 0
  let scheduled = false
  const flush = (): void => {
    scheduled = false
    if (pending.length === 0) return
    const text = pending.join("")
    pending = []
    bytes = 0
    writeNow(text)
  }
  process.on("exit", flush)
  return {
    write: (line) => {
      pending.push(line)
      bytes += line.length
      if (bytes >= BATCH_BYTES) flush()
      else if (!scheduled) {
        scheduled = true
        setImmediate(flush)
      }
    },
    flush
  }
}

// process.stderr writes are synchronous for files, TTYs and pipes on Linux.
const stderrBatch = batched((text) => void process.stderr.write(text))

export const stderrSink: LogSink = {
  write: stderrBatch.write,
  reopen: () => undefined
}

const NOT_REGULAR = "it is not a regular file (a FIFO, device or directory is refused)"

const APPEND = fs.constants.O_WRONLY | fs.constants.O_APPEND | fs.constants.O_CREAT | fs.constants.O_NOFOLLOW | fs.constants.O_NONBLOCK

/**
 * Opens `path` for appending, never through a symbolic link and never anything but a regular
 * file: the daemon runs as root, and a link planted where log_file points (in a directory
 * someone else can write) would otherwise have it append network text to the link's target.
 */
const openFile = (path: string): number => {
  let fd: number
  try {
    fd = fs.openSync(path, APPEND, 0o640)
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code
    if (code === "ELOOP") throw new Error("it is a symbolic link (refused: a log file is never opened through a link)")
    // O_NONBLOCK: a FIFO without a reader fails here (ENXIO) instead of blocking the daemon's start.
    if (code === "ENXIO") throw new Error(NOT_REGULAR)
    throw cause
  }
  if (!fs.fstatSync(fd).isFile()) {
    fs.closeSync(fd)
    throw new Error(NOT_REGULAR)
  }
  return fd
}

/** Opens the file sink (or stderr when `path` is undefined); closed with the scope. */
export const openSink = (path: string | undefined): Effect.Effect<LogSink, LogSinkError, Scope.Scope> => {
  if (path === undefined) return Effect.succeed(stderrSink)
  return Effect.acquireRelease(
    Effect.try({ try: () => openFile(path), catch: (cause) => new LogSinkError({ path, cause }) }).pipe(
      Effect.map((initial) => {
        let fd = initial
        const batch = batched((text) => {
          try {
            fs.writeSync(fd, text)
          } catch {
            // A full disk must not stop the daemon; fall back to stderr for these lines.
            process.stderr.write(text)
          }
        })
        const sink: LogSink & { readonly close: () => void } = {
          write: batch.write,
          reopen: () => {
            // Lines logged before the signal belong to the old file.
            batch.flush()
            try {
              const next = openFile(path)
              fs.closeSync(fd)
              fd = next
            } catch (cause) {
              process.stderr.write(`cannot reopen log_file ${path}: ${String(cause)}\n`)
            }
          },
          close: () => {
            batch.flush()
            process.off("exit", batch.flush)
            fs.closeSync(fd)
          }
        }
        return sink
      })
    ),
    (sink) => Effect.sync(() => sink.close())
  )
}
