/**
 * What makes @effect/cli's output follow Unix conventions: the console of
 * console.ts, integers whose errors name their option, and the built-in
 * flags that do not fit f2bc (`--log-level`, `--wizard` without a terminal) refused.
 */
import * as HelpDoc from "@effect/cli/HelpDoc"
import * as Options from "@effect/cli/Options"
import * as ValidationError from "@effect/cli/ValidationError"
import * as Effect from "effect/Effect"
import { usageError } from "./exit.js"

export { cliConsole } from "./console.js"

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
