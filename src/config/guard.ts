/**
 * Guarded reads of the files that decide what runs as root (docs/security.md): the
 * config and the secret files are refused when others could change (or, for
 * a secret, read) them, or when they are not regular files. Each file is checked on the descriptor it is read from.
 */
import * as Effect from "effect/Effect"
import { constants, type Stats } from "node:fs"
import { open, type FileHandle } from "node:fs/promises"
import { ConfigError } from "./errors.js"
import { describeReadError } from "./read-error.js"

/** `certificate`: public but trusted (a TLS CA or client certificate): others may read it, not change it. */
export type GuardedKind = "config" | "secret" | "certificate"

/** Smallest secret accepted, in bytes: below this an HMAC key can be guessed. */
export const SECRET_MIN_BYTES = 16
/** Largest secret file read. */
export const SECRET_MAX_BYTES = 4096

const octal = (mode: number): string => `0${(mode & 0o777).toString(8).padStart(3, "0")}`

/**
 * Why a file with these stats must not be trusted, or undefined. `uid` is the
 * process's user: a file must belong to it or to root.
 */
export const fileProblem = (stats: Pick<Stats, "mode" | "uid">, kind: GuardedKind, uid: number): string | undefined => {
  if (stats.uid !== uid && stats.uid !== 0)
    return `is owned by uid ${stats.uid}, not by root or this user (uid ${uid}): its owner could change it`
  const groupWrite = (stats.mode & 0o020) !== 0
  const otherWrite = (stats.mode & 0o002) !== 0
  if (groupWrite || otherWrite) {
    const who = groupWrite && otherWrite ? "group and others" : groupWrite ? "group" : "others"
    return `is writable by ${who} (mode ${octal(stats.mode)}): run chmod go-w on it`
  }
  if (kind === "secret" && (stats.mode & 0o004) !== 0)
    return `is readable by others (mode ${octal(stats.mode)}): run chmod o-rwx on it (chmod 600 or 640)`
  return undefined
}

const currentUid = (): number => (typeof process.getuid === "function" ? process.getuid() : 0)

/** Where a guarded file was named: the config file, and the key (e.g. `servers[0].channels[0].secret_file`). */
interface NamedAt {
  readonly source: string
  readonly field: string
}

const refuse = (where: NamedAt, reason: ConfigError["reason"], message: string): ConfigError =>
  new ConfigError({ source: where.source, reason, issues: [{ path: where.field, message }] })

/** Largest file read of each kind: a config of a few thousand channels is well under 1 MiB. */
export const MAX_BYTES: Readonly<Record<GuardedKind, number>> = { config: 4 * 1024 * 1024, secret: SECRET_MAX_BYTES, certificate: 1024 * 1024 }

// O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer forever, in a libuv
// thread no signal interrupts (the daemon could then not even stop). Regular files ignore the flag.
const READ_FLAGS = constants.O_RDONLY | constants.O_NONBLOCK

/** `a FIFO`, `a directory`…: what a file that is not a regular file is. */
export const fileKind = (stats: Pick<Stats, "isDirectory" | "isFIFO" | "isSocket" | "isCharacterDevice" | "isBlockDevice" | "isSymbolicLink">): string =>
  stats.isDirectory() ? "a directory"
  : stats.isFIFO() ? "a FIFO"
  : stats.isSocket() ? "a socket"
  : stats.isCharacterDevice() ? "a character device"
  : stats.isBlockDevice() ? "a block device"
  : stats.isSymbolicLink() ? "a symbolic link"
  : "not a regular file"

/** Up to `limit` + 1 bytes: one more than allowed tells a file that grew past the limit while it was read. */
const readAtMost = async (handle: FileHandle, limit: number): Promise<Buffer> => {
  const buffer = Buffer.alloc(limit + 1)
  let filled = 0
  while (filled < buffer.length) {
    const { bytesRead } = await handle.read(buffer, filled, buffer.length - filled, filled)
    if (bytesRead === 0) break
    filled += bytesRead
  }
  return buffer.subarray(0, filled)
}

/**
 * Reads `path` after checking on its descriptor that it is a regular file, its owner and mode, and its size.
 * `where` says where it was named (the config file and e.g. `servers[0].channels[0].secret_file`).
 */
export const readGuarded = (path: string, kind: GuardedKind, where: NamedAt): Effect.Effect<Buffer, ConfigError> => {
  // A config that cannot be read is a Read error; a secret's problems are all Secret errors naming the file.
  const unreadable = kind === "config" ? "Read" : "Secret"
  const named = (detail: string) => (kind === "config" ? detail : `${path} ${detail}`)
  const limit = MAX_BYTES[kind]
  const tooLarge = (size: number) =>
    refuse(where, unreadable, named(`is ${size} bytes: a ${kind} file holds at most ${limit}`))
  return Effect.acquireUseRelease(
    Effect.tryPromise({
      try: () => open(path, READ_FLAGS),
      catch: (cause) =>
        refuse(where, unreadable, kind === "config" ? describeReadError(cause) : `cannot read ${path}: ${describeReadError(cause)}`)
    }),
    (handle) =>
      Effect.gen(function* () {
        const stats = yield* Effect.tryPromise({
          try: () => handle.stat(),
          catch: (cause) => refuse(where, unreadable, describeReadError(cause))
        })
        if (!stats.isFile()) return yield* Effect.fail(refuse(where, unreadable, named(`is ${fileKind(stats)}, not a regular file`)))
        const problem = fileProblem(stats, kind, currentUid())
        if (problem !== undefined) return yield* Effect.fail(refuse(where, "Unsafe", `${path} ${problem}`))
        if (stats.size > limit) return yield* Effect.fail(tooLarge(stats.size))
        const bytes = yield* Effect.tryPromise({
          try: () => readAtMost(handle, limit),
          catch: (cause) => refuse(where, unreadable, describeReadError(cause))
        })
        return bytes.length > limit ? yield* Effect.fail(tooLarge(bytes.length)) : bytes
      }),
    (handle) => Effect.promise(() => handle.close())
  )
}

/** Trailing newlines and blanks are not part of a secret (`echo KEY > file` writes one). */
const trimEnd = (bytes: Buffer): Buffer => {
  let end = bytes.length
  while (end > 0 && (bytes[end - 1] === 0x0a || bytes[end - 1] === 0x0d || bytes[end - 1] === 0x20 || bytes[end - 1] === 0x09)) end--
  return bytes.subarray(0, end)
}

/** A secret file's key: its bytes without trailing whitespace, at least SECRET_MIN_BYTES long. */
export const readSecret = (path: string, where: NamedAt): Effect.Effect<Uint8Array, ConfigError> =>
  readGuarded(path, "secret", where).pipe(
    Effect.map(trimEnd),
    Effect.filterOrFail(
      (secret) => secret.length >= SECRET_MIN_BYTES,
      (secret) =>
        refuse(
          where,
          "Secret",
          `${path} holds ${secret.length} bytes: a secret needs at least ${SECRET_MIN_BYTES} (make one with: openssl rand -base64 32 > FILE)`
        )
    )
  )
