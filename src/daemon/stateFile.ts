/**
 * Files the daemon creates as root (the pid file, the control socket, state files): only in a directory
 * others cannot write, created O_EXCL|O_NOFOLLOW under a random name and renamed into place; read without following links.
 */
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import { randomBytes } from "node:crypto"
import * as fs from "node:fs"
import * as nodePath from "node:path"

/** `Unsafe`: the directory could be changed by others. `Write`: the system refused. */
export class StateFileError extends Data.TaggedError("StateFileError")<{
  readonly reason: "Unsafe" | "Write"
  /** What the file is, e.g. `pid file`, `control socket`. */
  readonly what: string
  readonly path: string
  readonly detail: string
}> {
  override get message(): string {
    return this.reason === "Unsafe"
      ? `refusing ${this.what} ${this.path}: ${this.detail}`
      : `cannot write ${this.what} ${this.path}: ${this.detail}`
  }
}

const octal = (mode: number): string => `0${(mode & 0o7777).toString(8).padStart(3, "0")}`

/**
 * Why a directory with these stats must not hold a file the daemon creates, or undefined. Anyone who can
 * write it could plant a symlink or a FIFO under the file's name, or swap the file between two calls; the
 * sticky bit (as on /tmp) stops renames and deletions only, not a name planted first, so it is refused too.
 */
export const directoryProblem = (stats: Pick<fs.Stats, "mode" | "uid" | "isDirectory">, uid: number): string | undefined => {
  if (!stats.isDirectory()) return "is not a directory"
  if (stats.uid !== uid && stats.uid !== 0) return `is owned by uid ${stats.uid}, not by root or this user (uid ${uid})`
  const group = (stats.mode & 0o020) !== 0
  const others = (stats.mode & 0o002) !== 0
  if (!group && !others) return undefined
  const who = group && others ? "group and others" : group ? "group" : "others"
  return `is writable by ${who} (mode ${octal(stats.mode)}): they could plant a symlink under the file's name`
}

const currentUid = (): number => (typeof process.getuid === "function" ? process.getuid() : 0)

const describe = (cause: unknown): string => (cause instanceof Error ? cause.message : String(cause))

/** Fails unless `path`'s directory belongs to root or this user and only they can write it. */
export const checkDirectory = (path: string, what: string): Effect.Effect<void, StateFileError> =>
  Effect.suspend(() => {
    const dir = nodePath.dirname(nodePath.resolve(path))
    let stats: fs.Stats
    try {
      stats = fs.statSync(dir)
    } catch (cause) {
      return Effect.fail(new StateFileError({ reason: "Write", what, path, detail: `its directory ${dir}: ${describe(cause)}` }))
    }
    const problem = directoryProblem(stats, currentUid())
    return problem === undefined
      ? Effect.void
      : Effect.fail(new StateFileError({ reason: "Unsafe", what, path, detail: `its directory ${dir} ${problem}; use a directory only root (or this user) can write, e.g. /run/f2bc` }))
  })

const CREATE = fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_NOFOLLOW

/**
 * Writes `data` to `path` atomically: a new file under a random name beside it (O_EXCL|O_NOFOLLOW: never
 * an existing file or a link's target), synced, then renamed over `path` (a link there is replaced, not followed).
 */
export const writeStateFile = (path: string, what: string, data: string | Uint8Array, mode = 0o644): Effect.Effect<void, StateFileError> =>
  Effect.zipRight(
    checkDirectory(path, what),
    Effect.try({
      try: () => {
        const temporary = `${path}.${randomBytes(6).toString("hex")}.tmp`
        const fd = fs.openSync(temporary, CREATE, mode)
        try {
          fs.writeFileSync(fd, data)
          fs.fsyncSync(fd)
        } catch (cause) {
          fs.rmSync(temporary, { force: true })
          throw cause
        } finally {
          fs.closeSync(fd)
        }
        try {
          fs.renameSync(temporary, path)
        } catch (cause) {
          fs.rmSync(temporary, { force: true })
          throw cause
        }
      },
      catch: (cause) => new StateFileError({ reason: "Write", what, path, detail: describe(cause) })
    })
  )

const READ = fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW | fs.constants.O_NONBLOCK

/**
 * The contents of the regular file `path` (at most `limit` bytes), or undefined when it is absent, a link,
 * a FIFO or anything else: O_NONBLOCK, so a FIFO planted there cannot block the reader.
 */
export const readStateFile = (path: string, limit: number): Buffer | undefined => {
  let fd: number
  try {
    fd = fs.openSync(path, READ)
  } catch {
    return undefined
  }
  try {
    if (!fs.fstatSync(fd).isFile()) return undefined
    const buffer = Buffer.alloc(limit)
    const length = fs.readSync(fd, buffer, 0, limit, 0)
    return buffer.subarray(0, length)
  } catch {
    return undefined
  } finally {
    fs.closeSync(fd)
  }
}
