/**
 * Why running an action failed: the tagged outcome of one process execution,
 * or of one request sent over fail2ban's socket in its place.
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

/** How a request on fail2ban's socket failed, before it is told as a Fail2banSocketError. */
export interface SocketFailure {
  readonly reason: "Connect" | "Closed" | "Timeout" | "Protocol"
  readonly detail: string
}

/** Why an action sent over fail2ban's socket (`fail2ban_socket`) failed; `Fail2ban`: fail2ban answered with an error. */
export class Fail2banSocketError extends Data.TaggedError("Fail2banSocketError")<{
  readonly reason: SocketFailure["reason"] | "Fail2ban" | "Request"
  readonly path: string
  readonly detail: string
  readonly durationMs: number
}> {
  override get message(): string {
    switch (this.reason) {
      case "Connect":
        return `cannot connect to fail2ban's socket ${this.path}: ${this.detail}${this.detail === "ENOENT" || this.detail === "ECONNREFUSED" ? " (is fail2ban-server running?)" : ""}`
      case "Closed":
        return `fail2ban's socket ${this.path} closed the connection before answering (${this.detail})`
      case "Timeout":
        return `timed out after ${this.detail} on fail2ban's socket ${this.path}, connection dropped`
      case "Protocol":
        return `cannot read fail2ban's answer on ${this.path}: ${this.detail}`
      case "Fail2ban":
        return `fail2ban answered: ${this.detail}`
      case "Request":
        return `not sent to fail2ban's socket ${this.path}: ${this.detail}`
    }
  }
}
