/**
 * The fast path's reading of `f2bc publish …`: the plain argument lists that
 * @effect/cli reads one way only; anything else is left to the full CLI.
 */
import * as Option from "effect/Option"
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

/** The default of `--timeout` in publish.ts. */
const DEFAULT_TIMEOUT = 10

/** A value no option parser could take for a flag, or split, trim or refuse. */
const isPlainValue = (value: string): boolean => value !== "" && !value.startsWith("-") && value.trim() === value

/** Digits only: @effect/cli's integer (conventions.ts) reads them as Number.parseInt does here. */
const integerOf = (text: string | undefined): Option.Option<number> | undefined =>
  text === undefined ? Option.none() : /^\d+$/.test(text) ? Option.some(Number.parseInt(text, 10)) : undefined

/**
 * The arguments of `publish` (argv without node and the script) when they are
 * `publish` followed only by `--name value` pairs of its own options, each at most
 * once, in any order, with --channel and --message given, the value neither empty,
 * nor starting with `-`, nor padded with spaces, integers in digits. Otherwise
 * undefined: help, usage errors, `--name=value`, other options and other commands
 * are the full CLI's (src/cli/main.ts). A test checks that @effect/cli reads
 * every list accepted here the same way.
 */
export const readPublishArgv = (args: ReadonlyArray<string>): PublishArgs | undefined => {
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
  if (channel === undefined || message === undefined || port === undefined || timeout === undefined || banUntil === undefined) return undefined
  return {
    channel,
    message,
    host: Option.fromNullable(given.get("host")),
    port,
    config: Option.fromNullable(given.get("config")),
    timeout: Option.getOrElse(timeout, () => DEFAULT_TIMEOUT),
    secretFile: Option.fromNullable(given.get("secretFile")),
    nodeName: Option.fromNullable(given.get("nodeName")),
    banUntil
  }
}
