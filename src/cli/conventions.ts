/**
 * What makes @effect/cli's output follow Unix conventions: no colours into a
 * pipe or under NO_COLOR, every error line prefixed `f2bc:`, usage lines that
 * name the program, integers whose errors name their option, and the built-in
 * flags that do not fit f2bc (`--log-level`, `--wizard` without a terminal) refused.
 */
import * as HelpDoc from "@effect/cli/HelpDoc"
import * as Options from "@effect/cli/Options"
import * as ValidationError from "@effect/cli/ValidationError"
import type * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import { stripVTControlCharacters } from "node:util"
import { usageError } from "./exit.js"

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

/** The console the CLI prints through: @effect/cli's help, errors and ours. */
export const cliConsole = (base: Console.Console, env: NodeJS.ProcessEnv): Console.Console => {
  const out = (arg: unknown): unknown => {
    if (typeof arg !== "string") return arg
    const text = helpText(arg)
    return colours(process.stdout, env) ? text : stripVTControlCharacters(text)
  }
  const err = (arg: unknown): unknown => {
    if (typeof arg !== "string") return arg
    return prefixed(colours(process.stderr, env) ? arg : stripVTControlCharacters(arg))
  }
  return { ...base, log: (...args) => base.log(...args.map(out)), error: (...args) => base.error(...args.map(err)) }
}

/**
 * Checks the arguments (without node and the script) before @effect/cli sees them:
 * `-v` alone is `--version`; `--log-level` (Effect's, beside the config's
 * `log_level` 0–3) is refused; `--wizard` is refused when stdin is not a terminal,
 * where it would wait forever for answers.
 */
export const normalizeArgs = (args: ReadonlyArray<string>, stdinIsTTY: boolean) =>
  Effect.gen(function* () {
    if (args.length === 1 && args[0] === "-v") return ["--version"]
    if (args.some((arg) => arg === "--log-level" || arg.startsWith("--log-level=")))
      return yield* Effect.fail(
        usageError(
          "--log-level is not an f2bc option: the daemon's log level is the config's log_level (0 errors, 1 warnings, 2 info, 3 debug); f2bc broker takes --level"
        )
      )
    if (args.includes("--wizard") && !stdinIsTTY)
      return yield* Effect.fail(usageError("--wizard needs a terminal on stdin to ask its questions"))
    return args
  })

/** An integer option whose error names it (@effect/cli's says only `'abc' is not a integer`). */
export const integer = (name: string): Options.Options<number> =>
  Options.text(name).pipe(
    Options.withPseudoName("integer"),
    Options.mapEffect((text) =>
      /^[+-]?\d+$/.test(text.trim())
        ? Effect.succeed(Number.parseInt(text, 10))
        : Effect.fail(ValidationError.invalidValue(HelpDoc.p(`--${name}: ${JSON.stringify(text)} is not an integer`)))
    )
  )
