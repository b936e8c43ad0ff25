/**
 * How a subcommand ends other than with success: an exit code (1 runtime
 * failure, 2 usage or config error, 3 "not running") and what to tell the user.
 */
import * as Data from "effect/Data"

export type ExitCode = 1 | 2 | 3

export class CliExit extends Data.TaggedError("CliExit")<{
  readonly code: ExitCode
  /** Printed to stderr; empty when the output was already printed. */
  readonly text: string
}> {}

export const usageError = (text: string) => new CliExit({ code: 2, text })
export const runtimeError = (text: string) => new CliExit({ code: 1, text })
