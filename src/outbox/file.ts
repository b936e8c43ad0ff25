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

/**
 * Opens `path` in the scope: reads what a previous run left (a torn last record is ignored and reported
 * in `recovered`), rewrites it compacted, then appends. `live` gives the entries to keep when compacting.
 */
export const openOutboxFile = (
  path: string,
  live: () => ReadonlyArray<LiveEntry>,
  onRecovered: (decoded: Decoded) => ReadonlyArray<LiveEntry>
): Effect.Effect<OutboxFile, OutboxError | StateFileError, Scope.Scope> =>
  Effect.gen(function* () {
    const decoded = yield* Effect.try({
      try: () => decodeRecords(readExisting(path)),
      catch: (cause) => new OutboxError({ reason: "Open", detail: `cannot read ${path}: ${describe(cause)}` })
    })
    let size = yield* rewrite(path, onRecovered(decoded))
    let fd: number = yield* Effect.try({
      try: () => fs.openSync(path, APPEND),
      catch: (cause) => new OutboxError({ reason: "Open", detail: `cannot open ${path}: ${describe(cause)}` })
    })
    // The descriptor changes at each compaction: close whichever is current.
    yield* Effect.addFinalizer(() => Effect.sync(() => fs.closeSync(fd)))
    const queue = yield* Effect.acquireRelease(Queue.unbounded<Pending>(), Queue.shutdown)

    const writeAll = (bytes: Buffer): Effect.Effect<void, OutboxError> =>
      Effect.async<void, OutboxError>((resume) => {
        fs.write(fd, bytes, 0, bytes.length, null, (error, written) => {
          if (error !== null || written !== bytes.length) {
            // A short or failed write would leave a torn record in the middle: cut the file back to its last whole record.
            try {
              fs.ftruncateSync(fd, size)
            } catch {
              // The next compaction rewrites the file from memory.
            }
            return resume(Effect.fail(new OutboxError({ reason: "Write", detail: `cannot write ${path}: ${error?.message ?? "short write"}` })))
          }
          fs.fdatasync(fd, (syncError) => {
            if (syncError !== null) return resume(Effect.fail(new OutboxError({ reason: "Write", detail: `cannot sync ${path}: ${syncError.message}` })))
            size += bytes.length
            resume(Effect.void)
          })
        })
      })

    const compact = Effect.gen(function* () {
      const entries = live()
      const liveBytes = entries.reduce((sum, { entry }) => sum + encodeRecord({ _tag: "Entry", entry }).length, 0)
      if (size < COMPACT_MIN_BYTES || size < 2 * liveBytes) return
      const next = yield* rewrite(path, entries)
      const reopened = fs.openSync(path, APPEND)
      fs.closeSync(fd)
      fd = reopened
      size = next
      yield* Effect.logDebug(`outbox compacted to ${entries.length} live entr${entries.length === 1 ? "y" : "ies"} (${next} bytes)`)
    }).pipe(Effect.catchAllCause((cause) => Effect.logWarning("outbox compaction failed; the file keeps growing until the next one", cause)))

    // The one writer: every append waiting when it wakes goes out in one write and one fsync.
    const writer = Effect.forever(
      Effect.gen(function* () {
        const first = yield* Queue.take(queue)
        const batch = [first, ...(yield* Queue.takeAll(queue))]
        const result = yield* Effect.either(writeAll(Buffer.concat(batch.map((pending) => pending.bytes))))
        for (const pending of batch) {
          if (Either.isRight(result)) pending.onDurable?.()
          if (pending.done !== undefined) Deferred.unsafeDone(pending.done, Either.isRight(result) ? Effect.void : Effect.fail(result.left))
        }
        yield* compact
      })
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
      size: () => size
    }
  })

export type { OutboxRecord }
