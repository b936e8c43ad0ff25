/**
 * An append-only journal file in state_dir (the outbox, the executed ids, the scheduled expiries): recovered and rewritten
 * at open, appended in groups (groupWriter.ts), compacted when the dead part outgrows the live one.
 */
import * as Data from "effect/Data"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Runtime from "effect/Runtime"
import type * as Scope from "effect/Scope"
import * as fs from "node:fs"
import * as nodePath from "node:path"
import { writeStateFile, type StateFileError } from "../daemon/stateFile.js"
import { makeGroupWriter, type Waiter } from "./groupWriter.js"

/** `Open`: the file cannot be read or opened. `Write`: the system refused an append. */
export class JournalError extends Data.TaggedError("JournalError")<{
  readonly reason: "Open" | "Write"
  readonly detail: string
}> {
  override get message(): string {
    return this.detail
  }
}

/** What nobody waited for (a done mark, an executed id) is synced with the next awaited append, or after this long. */
const SYNC_LATER = Duration.seconds(1)

/** Below this size a journal is never compacted: rewriting costs more than it saves. */
export const COMPACT_MIN_BYTES = 64 * 1024

export interface Journal {
  /** Appends `bytes` and resolves once they are on disk; `onDurable` runs first, before any compaction can read the live set. */
  readonly append: (bytes: Buffer, onDurable?: () => void) => Effect.Effect<void, JournalError>
  /** Appends without waiting: written at once or with the next group, synced with the next awaited append or within SYNC_LATER. */
  readonly appendLater: (bytes: Buffer) => Effect.Effect<void>
  /** The file's size now. */
  readonly size: () => number
}

export interface JournalOptions {
  readonly path: string
  /** The file's name in messages (`outbox`, `seen`, `expiries`). */
  readonly what: string
  /** At open: the bytes a previous run left (empty when none); returns the records to keep, encoded. */
  readonly recover: (bytes: Buffer) => ReadonlyArray<Buffer>
  /** The live records' size in bytes (an estimate is enough): compaction is worth it above twice that. */
  readonly liveBytes: () => number
  /** The live records, encoded: what a compaction writes. */
  readonly live: () => ReadonlyArray<Buffer>
}

const describe = (cause: unknown): string => (cause instanceof Error ? cause.message : String(cause))

const READ = fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW | fs.constants.O_NONBLOCK
const APPEND = fs.constants.O_WRONLY | fs.constants.O_APPEND | fs.constants.O_NOFOLLOW

/** The file's bytes (empty when absent); a link or anything but a regular file is refused. */
const readExisting = (path: string): Buffer => {
  let fd: number
  try {
    fd = fs.openSync(path, READ)
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code === "ENOENT") return Buffer.alloc(0)
    throw cause
  }
  try {
    if (!fs.fstatSync(fd).isFile()) throw new Error("is not a regular file")
    return fs.readFileSync(fd)
  } finally {
    fs.closeSync(fd)
  }
}

/** Makes the rename durable: without it a power loss could bring back the old file after newer appends went to the new one. */
const syncDirectory = (dir: string): void => {
  const fd = fs.openSync(dir, fs.constants.O_RDONLY)
  try {
    fs.fsyncSync(fd)
  } finally {
    fs.closeSync(fd)
  }
}

/** Writes `records` to a new file (0600, synced) and renames it over `path`; returns its size. */
const rewrite = (path: string, what: string, records: ReadonlyArray<Buffer>): Effect.Effect<number, StateFileError> => {
  const bytes = Buffer.concat(records)
  return Effect.as(
    Effect.zipRight(writeStateFile(path, what, bytes, 0o600), Effect.sync(() => syncDirectory(nodePath.dirname(path)))),
    bytes.length
  )
}

/** The open file: its descriptor and its size (the end of its last whole record); compaction replaces both. */
interface Handle {
  fd: number
  size: number
}

/** Appends `bytes` with one write() on this thread (the page cache: enough against SIGKILL); a short write is cut back off. */
const writeNow = (path: string, handle: Handle, bytes: Buffer): Either.Either<void, JournalError> => {
  try {
    if (handle.fd === -1) handle.fd = fs.openSync(path, APPEND)
    const written = fs.writeSync(handle.fd, bytes, 0, bytes.length, null)
    if (written === bytes.length) {
      handle.size += bytes.length
      return Either.void
    }
    cutBack(handle, handle.size)
    return Either.left(new JournalError({ reason: "Write", detail: `cannot write ${path}: short write` }))
  } catch (cause) {
    if (handle.fd !== -1) cutBack(handle, handle.size)
    return Either.left(new JournalError({ reason: "Write", detail: `cannot write ${path}: ${describe(cause)}` }))
  }
}

/** Truncates the file to `size`: no torn or refused record may sit before later ones. */
const cutBack = (handle: Handle, size: number): void => {
  try {
    fs.ftruncateSync(handle.fd, size)
    handle.size = size
  } catch {
    // The next compaction rewrites the file from memory.
  }
}

/** fdatasync in the thread pool: a slow disk never stalls the daemon. */
const syncNow = (path: string, handle: Handle, done: (result: Either.Either<void, JournalError>) => void): void =>
  fs.fdatasync(handle.fd, (error) =>
    done(error === null ? Either.void : Either.left(new JournalError({ reason: "Write", detail: `cannot sync ${path}: ${error.message}` })))
  )

/** Rewrites the file with only the live records (the writer asks once it is over COMPACT_MIN_BYTES and twice their size); a failure is logged, the file kept. */
const compact = (options: JournalOptions, handle: Handle): Effect.Effect<void> =>
  Effect.gen(function* () {
    const live = options.live()
    const size = yield* rewrite(options.path, options.what, live)
    // The old descriptor is the replaced file's: never append to it again (-1 makes the next write reopen).
    fs.closeSync(handle.fd)
    handle.fd = -1
    handle.size = size
    handle.fd = fs.openSync(options.path, APPEND)
    yield* Effect.logDebug(`${options.what} compacted to ${live.length} live record(s) (${size} bytes)`)
  }).pipe(Effect.catchAllCause((cause) => Effect.logWarning(`${options.what} compaction failed; the file keeps growing until the next one`, cause)))

/**
 * Opens the journal in the scope: hands what a previous run left to `recover`, rewrites the file with the
 * records it keeps, then appends. Closing the scope writes what is still queued, then closes the file.
 */
export const openJournal = (options: JournalOptions): Effect.Effect<Journal, JournalError | StateFileError, Scope.Scope> =>
  Effect.gen(function* () {
    const { path } = options
    const existing = yield* Effect.try({
      try: () => readExisting(path),
      catch: (cause) => new JournalError({ reason: "Open", detail: `cannot read ${path}: ${describe(cause)}` })
    })
    const handle: Handle = { fd: -1, size: yield* rewrite(path, options.what, options.recover(existing)) }
    handle.fd = yield* Effect.try({
      try: () => fs.openSync(path, APPEND),
      catch: (cause) => new JournalError({ reason: "Open", detail: `cannot open ${path}: ${describe(cause)}` })
    })
    // The descriptor changes at each compaction: close whichever is current, last (after the writer stopped).
    yield* Effect.addFinalizer(() => Effect.sync(() => handle.fd === -1 || fs.closeSync(handle.fd)))
    const runtime = yield* Effect.runtime<never>()
    const worthCompacting = () => handle.size >= COMPACT_MIN_BYTES && handle.size >= 2 * options.liveBytes()
    const writer = makeGroupWriter({
      write: (bytes) => writeNow(path, handle, bytes),
      sync: (done) => syncNow(path, handle, done),
      cutBack: (size) => cutBack(handle, size),
      size: () => handle.size,
      afterGroup: (done) => (worthCompacting() ? Runtime.runCallback(runtime)(compact(options, handle), { onExit: done }) : done()),
      warn: (detail) => Runtime.runFork(runtime)(Effect.logWarning(`${options.what}: ${detail}`))
    })
    let closed = false
    // On close: what is queued is written and synced, then the file closed (the finalizer above, added first, runs last).
    yield* Effect.addFinalizer(() =>
      Effect.async<void>((resume) => {
        closed = true
        writer.whenIdle(() => writer.syncIfOwed(() => resume(Effect.void)))
      })
    )
    // What nobody waited for is synced within SYNC_LATER.
    yield* Effect.forkScoped(Effect.forever(Effect.zipRight(Effect.sleep(SYNC_LATER), Effect.async<void>((resume) => writer.syncIfOwed(() => resume(Effect.void))))))
    const closedError = Either.left(new JournalError({ reason: "Write", detail: `cannot write ${path}: the journal is closed` }))

    return {
      append: (bytes, onDurable) => {
        // Queued at the call, not when the effect runs: the file keeps the order in which appends were asked for.
        const waiter: Waiter = closed ? { result: closedError, resume: undefined } : writer.append(bytes, onDurable)
        return Effect.async<void, JournalError>((resume) => {
          if (waiter.result !== undefined) return resume(waiter.result)
          waiter.resume = resume
        })
      },
      appendLater: (bytes) => Effect.sync(() => (closed ? undefined : writer.appendLater(bytes))),
      size: () => handle.size
    }
  })
