/**
 * Why running an action failed: the tagged outcome of one process execution.
 */
import * as Data from "effect/Data"

export class ExecError extends Data.TaggedError("ExecError")<{
  readonly reason: "NotFound" | "Spawn" | "Timeout" | "Signal" | "ExitCode"
  readonly argv: ReadonlyArray<string>
  readonly detail: string
  readonly exitCode?: number | undefined
  readonly signal?: string | undefined
  readonly durationMs: number
  readonly stdout: string
  readonly stderr: string
}> {
  override get message(): string {
    switch (this.reason) {
      case "NotFound":
        return `executable not found: ${this.argv[0] ?? ""}`
      case "Spawn":
        return `cannot start ${this.argv[0] ?? ""}: ${this.detail}`
      case "Timeout":
        return `timed out after ${this.detail}, killed`
      case "Signal":
        return `killed by signal ${this.signal ?? "?"}`
      case "ExitCode":
        return `exited with status ${this.exitCode ?? "?"}`
    }
  }
}
