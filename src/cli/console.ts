/**
 * The console the CLI prints through (@effect/cli's help and errors, and
 * ours): no colours into a pipe or under NO_COLOR, every error line prefixed `f2bc:`.
 */
import type * as Console from "effect/Console"
import { stripVTControlCharacters } from "node:util"

const SUBCOMMANDS = ["daemon", "publish", "broker", "check"] as const

/** https://no-color.org: set and not empty. */
const colours = (stream: NodeJS.WriteStream, env: NodeJS.ProcessEnv): boolean =>
  stream.isTTY === true && (env["NO_COLOR"] ?? "") === ""

/**
 * @effect/cli prints a subcommand's usage as `$ publish …`, and says "A
 * user-defined piece of text." of every text option (and so of f2bc's integers, see `integer`).
 */
const helpText = (text: string): string =>
  text
    .replace(new RegExp(`^\\$ (${SUBCOMMANDS.join("|")})\\b`, "gm"), "$ f2bc $1")
    .replace(/^ {2}A user-defined piece of text\.\n\n/gm, "")

/** Every line that does not continue another (indented) says it is f2bc's. */
const prefixed = (text: string): string =>
  text
    .replace(/\s+$/, "")
    .split("\n")
    .map((line) => (line === "" || /^\s/.test(line) || line.startsWith("f2bc:") ? line : `f2bc: ${line}`))
    .join("\n")

/** An error text as the CLI prints it on stderr (publishPlain.ts writes its one line with it too). */
export const errorText = (text: string, env: NodeJS.ProcessEnv): string =>
  prefixed(colours(process.stderr, env) ? text : stripVTControlCharacters(text))

/** The console the CLI prints through: @effect/cli's help, errors and ours. */
export const cliConsole = (base: Console.Console, env: NodeJS.ProcessEnv): Console.Console => {
  const out = (arg: unknown): unknown => {
    if (typeof arg !== "string") return arg
    const text = helpText(arg)
    return colours(process.stdout, env) ? text : stripVTControlCharacters(text)
  }
  const err = (arg: unknown): unknown => (typeof arg === "string" ? errorText(arg, env) : arg)
  return { ...base, log: (...args) => base.log(...args.map(out)), error: (...args) => base.error(...args.map(err)) }
}
