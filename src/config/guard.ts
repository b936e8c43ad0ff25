/**
 * Guarded reads of the files that decide what runs as root (docs/security.md): the
 * config and the secret files are refused when others could change (or, for
 * a secret, read) them. Each file is checked on the descriptor it is read from.
 */
import * as Effect from "effect/Effect"
import type { Stats } from "node:fs"
import { open } from "node:fs/promises"
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

/**
 * Reads `path` after checking its owner and mode. `source` and `field` say
 * where it was named (the config file and e.g. `servers[0].channels[0].secret_file`).
 */
export const readGuarded = (path: string, kind: GuardedKind, where: NamedAt): Effect.Effect<Buffer, ConfigError> => {
  // A config that cannot be read is a Read error; a secret's problems are all Secret errors naming the file.
  const unreadable = kind === "config" ? "Read" : "Secret"
  return Effect.acquireUseRelease(
    Effect.tryPromise({
      try: () => open(path, "r"),
      catch: (cause) =>
        refuse(where, unreadable, kind === "config" ? describeReadError(cause) : `cannot read ${path}: ${describeReadError(cause)}`)
    }),
    (handle) =>
      Effect.gen(function* () {
        const stats = yield* Effect.tryPromise({
          try: () => handle.stat(),
          catch: (cause) => refuse(where, unreadable, describeReadError(cause))
        })
        if (!stats.isFile())
          return yield* Effect.fail(refuse(where, unreadable, kind === "config" ? "not a regular file" : `${path} is not a regular file`))
        const problem = fileProblem(stats, kind, currentUid())
        if (problem !== undefined) return yield* Effect.fail(refuse(where, "Unsafe", `${path} ${problem}`))
        if (kind === "secret" && stats.size > SECRET_MAX_BYTES)
          return yield* Effect.fail(refuse(where, "Secret", `${path} is ${stats.size} bytes: a secret file holds at most ${SECRET_MAX_BYTES}`))
        return yield* Effect.tryPromise({
          try: () => handle.readFile(),
          catch: (cause) => refuse(where, unreadable, describeReadError(cause))
        })
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
