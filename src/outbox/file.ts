/**
 * The outbox's append-only file in state_dir: recovered and compacted at open, appended with one write
 * and one fsync for every append waiting at that moment, compacted again whenever the dead part outgrows the live one.
 */
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as FiberId from "effect/FiberId"
import * as Queue from "effect/Queue"
import type * as Scope from "effect/Scope"
import * as fs from "node:fs"
import * as nodePath from "node:path"
import { checkDirectory, writeStateFile, type StateFileError } from "../daemon/stateFile.js"
import { OutboxError } from "./model.js"
import { compactRecords, decodeRecords, encodeRecord, type Decoded, type LiveEntry, type OutboxRecord } from "./record.js"

/** Below this size the file is never compacted: rewriting costs more than it saves. */
export const COMPACT_MIN_BYTES = 64 * 1024

export interface OutboxFile {
  /** Appends `bytes` and resolves once they are on disk; `onDurable` runs first, before any compaction can read the live set. */
  readonly append: (bytes: Buffer, onDurable: () => void) => Effect.Effect<void, OutboxError>
  /** Appends without waiting (a done mark: losing it only means sending once more). */
  readonly appendLater: (bytes: Buffer) => Effect.Effect<void>
  /** The file's size now. */
  readonly size: () => number
}

interface Pending {
  readonly bytes: Buffer
  readonly onDurable?: (() => void) | undefined
  readonly done?: Deferred.Deferred<void, OutboxError> | undefined
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

/** Writes the live entries to a new file (0600, synced) and renames it over `path`; returns its size. */
const rewrite = (path: string, live: ReadonlyArray<LiveEntry>): Effect.Effect<number, StateFileError> => {
  const bytes = Buffer.concat(compactRecords(live).map(encodeRecord))
  return Effect.as(
    Effect.zipRight(writeStateFile(path, "outbox", bytes, 0o600), Effect.sync(() => syncDirectory(nodePath.dirname(path)))),
    bytes.length
  )
}

/** Creates `dir` (0700) unless it exists, then refuses it when others could write it or its parent. */
export const prepareStateDir = (dir: string): Effect.Effect<void, StateFileError | OutboxError> =>
  Effect.zipRight(
    Effect.try({
      try: () => fs.mkdirSync(dir, { recursive: true, mode: 0o700 }),
      catch: (cause) => new OutboxError({ reason: "Open", detail: `cannot create state_dir ${dir}: ${describe(cause)}` })
    }),
    Effect.zipRight(checkDirectory(dir, "state_dir"), checkDirectory(nodePath.join(dir, "outbox"), "outbox"))
  )

/** The open file: its descriptor and its size (the end of its last whole record); compaction replaces both. */
interface Handle {
  fd: number
  size: number
}

/** Appends `bytes` and syncs them; a failed or short write is cut back off, so no torn record sits before later ones. */
const writeAndSync = (path: string, handle: Handle, bytes: Buffer): Effect.Effect<void, OutboxError> =>
  Effect.async<void, OutboxError>((resume) => {
    if (handle.fd === -1) {
      try {
        handle.fd = fs.openSync(path, APPEND)
      } catch (cause) {
        return resume(Effect.fail(new OutboxError({ reason: "Write", detail: `cannot open ${path}: ${describe(cause)}` })))
      }
    }
    fs.write(handle.fd, bytes, 0, bytes.length, null, (error, written) => {
      if (error !== null || written !== bytes.length) {
        try {
          fs.ftruncateSync(handle.fd, handle.size)
        } catch {
          // The next compaction rewrites the file from memory.
        }
        return resume(Effect.fail(new OutboxError({ reason: "Write", detail: `cannot write ${path}: ${error?.message ?? "short write"}` })))
      }
      fs.fdatasync(handle.fd, (syncError) => {
        if (syncError !== null) return resume(Effect.fail(new OutboxError({ reason: "Write", detail: `cannot sync ${path}: ${syncError.message}` })))
        handle.size += bytes.length
        resume(Effect.void)
      })
    })
  })

/** Rewrites the file with only `live` once it is over COMPACT_MIN_BYTES and twice their size; a failure is logged, the file kept. */
const compactIfWorth = (path: string, handle: Handle, ledger: LiveSet): Effect.Effect<void> =>
  Effect.gen(function* () {
    // Checked on every append: the live size is kept as entries come and go, never summed here.
    if (handle.size < COMPACT_MIN_BYTES || handle.size < 2 * ledger.liveBytes()) return
    const live = ledger.live()
    const size = yield* rewrite(path, live)
    // The old descriptor is the replaced file's: never append to it again (-1 makes the next write reopen).
    fs.closeSync(handle.fd)
    handle.fd = -1
    handle.size = size
    handle.fd = fs.openSync(path, APPEND)
    yield* Effect.logDebug(`outbox compacted to ${live.length} live entr${live.length === 1 ? "y" : "ies"} (${size} bytes)`)
  }).pipe(Effect.catchAllCause((cause) => Effect.logWarning("outbox compaction failed; the file keeps growing until the next one", cause)))

/**
 * Opens `path` in the scope: reads what a previous run left (a torn last record is ignored and reported
 * in `recovered`), rewrites it compacted, then appends. `live` gives the entries to keep when compacting.
 */
/** What compaction keeps: the live entries, and the bytes their records take (kept up to date, read at every append). */
export interface LiveSet {
  readonly live: () => ReadonlyArray<LiveEntry>
  readonly liveBytes: () => number
}

export const openOutboxFile = (
  path: string,
  ledger: LiveSet,
  onRecovered: (decoded: Decoded) => ReadonlyArray<LiveEntry>
): Effect.Effect<OutboxFile, OutboxError | StateFileError, Scope.Scope> =>
  Effect.gen(function* () {
    const decoded = yield* Effect.try({
      try: () => decodeRecords(readExisting(path)),
      catch: (cause) => new OutboxError({ reason: "Open", detail: `cannot read ${path}: ${describe(cause)}` })
    })
    const handle: Handle = { fd: -1, size: yield* rewrite(path, onRecovered(decoded)) }
    handle.fd = yield* Effect.try({
      try: () => fs.openSync(path, APPEND),
      catch: (cause) => new OutboxError({ reason: "Open", detail: `cannot open ${path}: ${describe(cause)}` })
    })
    // The descriptor changes at each compaction: close whichever is current, last (after the writer stopped).
    yield* Effect.addFinalizer(() => Effect.sync(() => handle.fd === -1 || fs.closeSync(handle.fd)))
    const queue = yield* Queue.unbounded<Pending>()

    /** Writes a batch and settles its waiters; uninterruptible, so the file is never closed under a write. */
    const writeBatch = (batch: ReadonlyArray<Pending>) =>
      Effect.uninterruptible(Effect.gen(function* () {
        if (batch.length === 0) return
        const result = yield* Effect.either(writeAndSync(path, handle, Buffer.concat(batch.map((pending) => pending.bytes))))
        for (const pending of batch) {
          if (Either.isRight(result)) pending.onDurable?.()
          if (pending.done !== undefined) Deferred.unsafeDone(pending.done, Either.isRight(result) ? Effect.void : Effect.fail(result.left))
        }
        if (Either.isRight(result)) yield* compactIfWorth(path, handle, ledger)
      }))
    // On close, after the writer stopped: what is still queued (done marks) is written, then the file closed.
    yield* Effect.addFinalizer(() => Effect.flatMap(Queue.takeAll(queue), (rest) => writeBatch([...rest])))
    // The one writer: every append waiting when it wakes goes out in one write and one fsync.
    const writer = Effect.forever(
      // Only the wait can be interrupted: an append taken from the queue is always written.
      Effect.uninterruptibleMask((restore) =>
        Effect.flatMap(restore(Queue.take(queue)), (first) => Effect.flatMap(Queue.takeAll(queue), (rest) => writeBatch([first, ...rest])))
      )
    )
    yield* Effect.forkScoped(writer)

    return {
      append: (bytes, onDurable) => {
        // Queued at the call, not when the effect runs: the file keeps the order in which appends were asked for.
        const done = Deferred.unsafeMake<void, OutboxError>(FiberId.none)
        queue.unsafeOffer({ bytes, onDurable, done })
        return Deferred.await(done)
      },
      appendLater: (bytes) => Effect.sync(() => void queue.unsafeOffer({ bytes })),
      size: () => handle.size
    }
  })

export type { OutboxRecord }
