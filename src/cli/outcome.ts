/**
 * How a command's outcome becomes the process exit code and at most one
 * `f2bc:` line on stderr; shared by the full CLI and the fast publish path.
 */
import * as Cause from "effect/Cause"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import { cliConsole } from "./console.js"
import type { CliExit } from "./exit.js"

const defectMessage = (defect: unknown): string => (defect instanceof Error ? defect.message : String(defect))

/**
 * The program's own code on success; a CliExit's code and text; any other failure 1. A defect (a
 * bug, or a failure some code forgot to type) is one line too: left to
 * runMain it would be a cause dump with a stack trace.
 */
export const exitCode = <E, R>(program: Effect.Effect<number, E, R>): Effect.Effect<number, never, R> =>
  program.pipe(
    Effect.catchAll((error) => {
      if (isCliExit(error)) {
        const code: number = error.code
        return (error.text === "" ? Effect.void : Console.error(`f2bc: ${error.text}`)).pipe(Effect.as(code))
      }
      return Console.error(`f2bc: ${String(error)}`).pipe(Effect.as(1))
    }),
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

const isCliExit = (error: unknown): error is CliExit =>
  typeof error === "object" && error !== null && "_tag" in error && error._tag === "CliExit"
