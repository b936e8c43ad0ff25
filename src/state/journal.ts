/**
 * An append-only journal file in state_dir (the outbox, the executed ids, the scheduled expiries): recovered
 * and rewritten at open, appended with one write and one fsync per group, compacted when the dead part outgrows the live one.
 */
import * as Data from "effect/Data"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as FiberId from "effect/FiberId"
import * as Queue from "effect/Queue"
import type * as Scope from "effect/Scope"
import * as fs from "node:fs"
import * as nodePath from "node:path"
import { writeStateFile, type StateFileError } from "../daemon/stateFile.js"

/** `Open`: the file cannot be read or opened. `Write`: the system refused an append. */
export class JournalError extends Data.TaggedError("JournalError")<{
  readonly reason: "Open" | "Write"
  readonly detail: string
}> {
  override get message(): string {
    return this.detail
  }
}

/** Below this size a journal is never compacted: rewriting costs more than it saves. */
export const COMPACT_MIN_BYTES = 64 * 1024

export interface Journal {
  /** Appends `bytes` and resolves once they are on disk; `onDurable` runs first, before any compaction can read the live set. */
  readonly append: (bytes: Buffer, onDurable?: () => void) => Effect.Effect<void, JournalError>
  /** Appends without waiting: written with the next group. */
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

interface Pending {
  readonly bytes: Buffer
  readonly onDurable?: (() => void) | undefined
  readonly done?: Deferred.Deferred<void, JournalError> | undefined
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

/** Appends `bytes` and syncs them; a failed or short write is cut back off, so no torn record sits before later ones. */
const writeAndSync = (path: string, handle: Handle, bytes: Buffer): Effect.Effect<void, JournalError> =>
  Effect.async<void, JournalError>((resume) => {
    if (handle.fd === -1) {
      try {
        handle.fd = fs.openSync(path, APPEND)
      } catch (cause) {
        return resume(Effect.fail(new JournalError({ reason: "Write", detail: `cannot open ${path}: ${describe(cause)}` })))
      }
    }
    fs.write(handle.fd, bytes, 0, bytes.length, null, (error, written) => {
      if (error !== null || written !== bytes.length) {
        try {
          fs.ftruncateSync(handle.fd, handle.size)
        } catch {
          // The next compaction rewrites the file from memory.
        }
        return resume(Effect.fail(new JournalError({ reason: "Write", detail: `cannot write ${path}: ${error?.message ?? "short write"}` })))
      }
      fs.fdatasync(handle.fd, (syncError) => {
        if (syncError !== null) return resume(Effect.fail(new JournalError({ reason: "Write", detail: `cannot sync ${path}: ${syncError.message}` })))
        handle.size += bytes.length
        resume(Effect.void)
      })
    })
  })

/** Rewrites the file with only the live records once it is over COMPACT_MIN_BYTES and twice their size; a failure is logged, the file kept. */
const compactIfWorth = (options: JournalOptions, handle: Handle): Effect.Effect<void> =>
  Effect.gen(function* () {
    if (handle.size < COMPACT_MIN_BYTES || handle.size < 2 * options.liveBytes()) return
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
    const queue = yield* Queue.unbounded<Pending>()

    /** Writes a group and settles its waiters; uninterruptible, so the file is never closed under a write. */
    const writeGroup = (group: ReadonlyArray<Pending>) =>
      Effect.uninterruptible(Effect.gen(function* () {
        if (group.length === 0) return
        const result = yield* Effect.either(writeAndSync(path, handle, Buffer.concat(group.map((pending) => pending.bytes))))
        for (const pending of group) {
          if (Either.isRight(result)) pending.onDurable?.()
          if (pending.done !== undefined) Deferred.unsafeDone(pending.done, Either.isRight(result) ? Effect.void : Effect.fail(result.left))
        }
        if (Either.isRight(result)) yield* compactIfWorth(options, handle)
        else if (group.every((pending) => pending.done === undefined)) yield* Effect.logWarning(`${options.what}: ${result.left.detail}`)
      }))
    // On close, after the writer stopped: what is still queued is written, then the file closed.
    yield* Effect.addFinalizer(() => Effect.flatMap(Queue.takeAll(queue), (rest) => writeGroup([...rest])))
    // The one writer: every append waiting when it wakes goes out in one write and one fsync.
    const writer = Effect.forever(
      // Only the wait can be interrupted: an append taken from the queue is always written.
      Effect.uninterruptibleMask((restore) =>
        Effect.flatMap(restore(Queue.take(queue)), (first) => Effect.flatMap(Queue.takeAll(queue), (rest) => writeGroup([first, ...rest])))
      )
    )
    yield* Effect.forkScoped(writer)

    return {
      append: (bytes, onDurable) => {
        // Queued at the call, not when the effect runs: the file keeps the order in which appends were asked for.
        const done = Deferred.unsafeMake<void, JournalError>(FiberId.none)
        queue.unsafeOffer({ bytes, onDurable, done })
        return Deferred.await(done)
      },
      appendLater: (bytes) => Effect.sync(() => void queue.unsafeOffer({ bytes })),
      size: () => handle.size
    }
  })
