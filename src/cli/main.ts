/**
 * The `f2bc` command tree, and the mapping of every outcome to an exit
 * code: 0 success, 1 runtime failure, 2 usage or config error.
 */
import * as CliConfig from "@effect/cli/CliConfig"
import * as Command from "@effect/cli/Command"
import * as HelpDoc from "@effect/cli/HelpDoc"
import * as Span from "@effect/cli/HelpDoc/Span"
import * as ValidationError from "@effect/cli/ValidationError"
import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import * as NodePath from "@effect/platform-node/NodePath"
import * as NodeTerminal from "@effect/platform-node/NodeTerminal"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { VERSION } from "../version.js"
import { normalizeArgs } from "./conventions.js"
import { exitCode } from "./outcome.js"
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

/** Runs the CLI on `argv` (process.argv) and yields the process exit code. */
export const main = (argv: ReadonlyArray<string>) =>
  normalizeArgs(argv.slice(2), process.stdin.isTTY === true).pipe(
    Effect.flatMap((args) => cli([...argv.slice(0, 2), ...args])),
    Effect.provide(CliConfig.layer({ showBuiltIns: false })),
    Effect.as(0),
    // @effect/cli has already printed the usage error.
    Effect.catchIf(ValidationError.isValidationError, () => Effect.succeed(2)),
    exitCode
  )

const platform = Layer.mergeAll(NodeFileSystem.layer, NodePath.layer, NodeTerminal.layer)

/** `main` with the platform layers @effect/cli needs (files, paths, the terminal). */
export const runCli = (argv: ReadonlyArray<string>): Effect.Effect<number> => main(argv).pipe(Effect.provide(platform))
