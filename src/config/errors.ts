/**
 * Why a config could not be loaded: unreadable file, invalid YAML, or a
 * document that breaks the rules, with every issue named by its path.
 */
import * as Data from "effect/Data"

/** One problem in a config. `path` is like `servers[0].channels[1].action`; "" is the document itself. */
export interface ConfigIssue {
  readonly path: string
  readonly message: string
}

/** `path: message`, or just the message for the document itself. */
export const formatIssue = (issue: ConfigIssue): string =>
  issue.path === "" ? issue.message : `${issue.path}: ${issue.message}`

/**
 * - `Read`: the file could not be read (one issue: the system's reason).
 * - `Syntax`: not valid YAML (one issue per YAML error, message `line L, column C: reason`).
 * - `Invalid`: valid YAML that breaks the config rules (every issue, ordered by path).
 * - `Unsafe`: the config or a secret file could be changed (or a secret read) by others.
 * - `Secret`: a secret file cannot be read, or is too short or too long.
 */
export class ConfigError extends Data.TaggedError("ConfigError")<{
  readonly source: string
  readonly reason: "Read" | "Syntax" | "Invalid" | "Unsafe" | "Secret"
  readonly issues: ReadonlyArray<ConfigIssue>
}> {
  /** `config PATH`, or the flag that named the file (`--secret-file`). */
  private get label(): string {
    return this.source.startsWith("--") ? this.source : `config ${this.source}`
  }

  override get message(): string {
    switch (this.reason) {
      case "Read":
        return `cannot read config ${this.source}: ${this.issues.map((issue) => issue.message).join("; ")}`
      case "Syntax": {
        const [first, ...rest] = this.issues.map((issue) => `at ${issue.message}`)
        return [`invalid YAML in ${this.source} ${first ?? "at an unknown place"}`, ...rest.map((line) => `  ${line}`)]
          .join("\n")
      }
      case "Invalid":
        return [`invalid config ${this.source}:`, ...this.issues.map((issue) => `  ${formatIssue(issue)}`)].join("\n")
      case "Unsafe":
        return [`refusing ${this.label}: unsafe file permissions (others could change what runs as root, or read a secret)`, ...this.issues.map((issue) => `  ${formatIssue(issue)}`)].join("\n")
      case "Secret":
        return [`bad secret in ${this.label}:`, ...this.issues.map((issue) => `  ${formatIssue(issue)}`)].join("\n")
    }
  }
}
