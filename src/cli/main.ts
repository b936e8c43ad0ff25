/**
 * The `f2bc` command tree, and the mapping of every outcome to an exit
 * code: 0 success, 1 runtime failure, 2 usage or config error.
 */
import * as CliConfig from "@effect/cli/CliConfig"
import * as Command from "@effect/cli/Command"
import * as HelpDoc from "@effect/cli/HelpDoc"
import * as Span from "@effect/cli/HelpDoc/Span"
import * as ValidationError from "@effect/cli/ValidationError"
import * as Cause from "effect/Cause"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import { VERSION } from "../version.js"
import { cliConsole, normalizeArgs } from "./conventions.js"
import { usageError } from "./exit.js"
import { brokerCommand } from "./broker.js"
import { checkCommand } from "./check.js"
import { daemonCommand } from "./daemon.js"
import { publishCommand } from "./publish.js"

/** `f2bc` alone names no command: a usage error (exit 2), like an unknown flag. */
const root = Command.make("f2bc", {}, () =>
  Effect.fail(usageError("a command is required: daemon, publish, broker or check (see f2bc --help)"))
).pipe(
  Command.withDescription("share fail2ban bans across a fleet of servers"),
  Command.withSubcommands([daemonCommand, publishCommand, brokerCommand, checkCommand])
)

/** @effect/cli's built-in options that f2bc keeps, shown once at the end of every help (showBuiltIns is off). */
const builtIns = HelpDoc.sequence(
  HelpDoc.h1("GLOBAL OPTIONS"),
  HelpDoc.descriptionList([
    [Span.text("-h, --help"), HelpDoc.p("show the help of f2bc or of a command (f2bc COMMAND --help)")],
    [Span.text("-v, --version"), HelpDoc.p("show the version")],
    [Span.text("--completions sh | bash | fish | zsh"), HelpDoc.p("print a completion script for that shell")]
  ])
)

const cli = Command.run(root, { name: "f2bc", version: VERSION, footer: builtIns })

const defectMessage = (defect: unknown): string => (defect instanceof Error ? defect.message : String(defect))

/** Runs the CLI on `argv` (process.argv) and yields the process exit code. */
export const main = (argv: ReadonlyArray<string>) =>
  normalizeArgs(argv.slice(2), process.stdin.isTTY === true).pipe(
    Effect.flatMap((args) => cli([...argv.slice(0, 2), ...args])),
    Effect.provide(CliConfig.layer({ showBuiltIns: false })),
    Effect.as(0),
    Effect.catchAll((error) => {
      // @effect/cli has already printed the usage error.
      if (ValidationError.isValidationError(error)) return Effect.succeed(2)
      if (error._tag === "CliExit") {
        const code: number = error.code
        return (error.text === "" ? Effect.void : Console.error(`f2bc: ${error.text}`)).pipe(Effect.as(code))
      }
      return Console.error(`f2bc: ${String(error)}`).pipe(Effect.as(1))
    }),
    // A defect (a bug, or a failure some code forgot to type) is one line too:
    // left to runMain it would be a cause dump with a stack trace.
    Effect.catchAllCause((cause) =>
      Cause.isInterruptedOnly(cause)
        ? Effect.failCause(cause)
        : Console.error(
          process.env["F2BC_DEBUG"] === undefined
            ? `f2bc: unexpected error: ${defectMessage(Cause.squash(cause))} (F2BC_DEBUG=1 shows where)`
            : `f2bc: unexpected error:\n${Cause.pretty(cause)}`
        ).pipe(Effect.as(1))
    ),
    (program) => Effect.flatMap(Effect.console, (base) => Effect.withConsole(program, cliConsole(base, process.env)))
  )
