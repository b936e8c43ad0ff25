/**
 * The f2bc executable: `f2bc publish` with plain arguments runs without the
 * @effect/cli command tree (start-up time: fail2ban runs it per ban); all else runs the CLI.
 */
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import { exitCode } from "./cli/outcome.js"
import { readPublishArgv } from "./cli/publishArgv.js"
import { publish } from "./cli/publishRun.js"

const publishArgs = readPublishArgv(process.argv.slice(2))

// The command tree is evaluated only when used (esbuild wraps what import() reaches).
const program: Effect.Effect<number> = publishArgs === undefined
  ? Effect.flatMap(Effect.promise(() => import("./cli/main.js")), (cli) => cli.runCli(process.argv))
  : exitCode(Effect.as(publish(publishArgs), 0))

NodeRuntime.runMain(program, {
  disablePrettyLogger: true,
  // The exit code is the program's result; a signal (interruption) exits 0.
  teardown: (exit, onExit) => onExit(Exit.isSuccess(exit) ? (exit.value as number) : Cause.isInterruptedOnly(exit.cause) ? 0 : 1)
})
