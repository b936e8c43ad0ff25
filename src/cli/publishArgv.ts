/**
 * The fast path's reading of `f2bc publish …`: the plain argument lists that
 * @effect/cli reads one way only; anything else is left to the full CLI.
 */
import * as Option from "effect/Option"
import { DEFAULT_TIMEOUT } from "./publishPlan.js"
import type { PublishArgs } from "./publishRun.js"

type Flag = "channel" | "message" | "host" | "port" | "config" | "timeout" | "secretFile" | "nodeName" | "banUntil"

/** Every option of `publish` (src/cli/publish.ts) with a value, by each of its exact spellings. */
const FLAGS: ReadonlyMap<string, Flag> = new Map([
  ["--channel", "channel"],
  ["-c", "channel"],
  ["--message", "message"],
  ["-m", "message"],
  ["--host", "host"],
  ["--port", "port"],
  ["-p", "port"],
  ["--config", "config"],
  ["--timeout", "timeout"],
  ["--secret-file", "secretFile"],
  ["--node-name", "nodeName"],
  ["--ban-until", "banUntil"]
])


/** A value no option parser could take for a flag, or split, trim or refuse. */
const isPlainValue = (value: string): boolean => value !== "" && !value.startsWith("-") && value.trim() === value

/** Not given, digits only (@effect/cli's integer, conventions.ts, reads them as Number.parseInt does here), or unreadable (null). */
const integerOf = (text: string | undefined): number | undefined | null =>
  text === undefined ? undefined : /^\d+$/.test(text) ? Number.parseInt(text, 10) : null

/** `publish`'s arguments as the fast path reads them: a value or undefined for each option not given. */
export interface PlainPublishArgs {
  readonly channel: string
  readonly message: string
  readonly host: string | undefined
  readonly port: number | undefined
  readonly config: string | undefined
  readonly timeout: number
  readonly secretFile: string | undefined
  readonly nodeName: string | undefined
  readonly banUntil: number | undefined
}

/**
 * The arguments of `publish` (argv without node and the script) when they are
 * `publish` followed only by `--name value` pairs of its own options, each at most
 * once, in any order, with --channel and --message given, the value neither empty,
 * nor starting with `-`, nor padded with spaces, integers in digits. Otherwise
 * undefined: help, usage errors, `--name=value`, other options and other commands
 * are the full CLI's (src/cli/main.ts). A test checks that @effect/cli reads
 * every list accepted here the same way. Evaluates no Effect module (publishPlain.ts).
 */
export const readPlainPublishArgv = (args: ReadonlyArray<string>): PlainPublishArgs | undefined => {
  if (args[0] !== "publish" || args.length % 2 === 0) return undefined
  const given = new Map<Flag, string>()
  for (let i = 1; i < args.length; i += 2) {
    const flag = FLAGS.get(args[i]!)
    const value = args[i + 1]!
    if (flag === undefined || given.has(flag) || !isPlainValue(value)) return undefined
    given.set(flag, value)
  }
  const channel = given.get("channel")
  const message = given.get("message")
  const port = integerOf(given.get("port"))
  const timeout = integerOf(given.get("timeout"))
  const banUntil = integerOf(given.get("banUntil"))
  if (channel === undefined || message === undefined || port === null || timeout === null || banUntil === null) return undefined
  return {
    channel,
    message,
    host: given.get("host"),
    port,
    config: given.get("config"),
    timeout: timeout ?? DEFAULT_TIMEOUT,
    secretFile: given.get("secretFile"),
    nodeName: given.get("nodeName"),
    banUntil
  }
}

/** readPlainPublishArgv's reading with @effect/cli's Options for what is not given: what publishRun.ts takes. */
export const readPublishArgv = (args: ReadonlyArray<string>): PublishArgs | undefined => {
  const plain = readPlainPublishArgv(args)
  return plain === undefined ? undefined : {
    ...plain,
    host: Option.fromNullable(plain.host),
    port: Option.fromNullable(plain.port),
    config: Option.fromNullable(plain.config),
    secretFile: Option.fromNullable(plain.secretFile),
    nodeName: Option.fromNullable(plain.nodeName),
    banUntil: Option.fromNullable(plain.banUntil)
  }
}
