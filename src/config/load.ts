/**
 * Where the config lives (--config, F2BC_CONFIG, /etc/fail2ban-cluster.yml)
 * and loading it from disk.
 */
import * as Effect from "effect/Effect"
import { readFile } from "node:fs/promises"
import { getSystemErrorMap } from "node:util"
import { decodeConfig } from "./decode.js"
import { ConfigError } from "./errors.js"
import type { Config } from "./model.js"

/** The seed README's default location. */
export const DEFAULT_CONFIG_PATH = "/etc/fail2ban-cluster.yml"

/** The environment variable that chooses the config when no --config flag is given. */
export const CONFIG_ENV_VAR = "F2BC_CONFIG"

/** The --config flag, else $F2BC_CONFIG, else the default; an empty flag or variable counts as not given. */
export const resolveConfigPath = (flag: string | undefined, env: Record<string, string | undefined>): string => {
  if (flag !== undefined && flag !== "") return flag
  const fromEnv = env[CONFIG_ENV_VAR]
  return fromEnv !== undefined && fromEnv !== "" ? fromEnv : DEFAULT_CONFIG_PATH
}

/** The system's words for a failed read: `no such file or directory (ENOENT)`. */
export const describeReadError = (cause: unknown): string => {
  if (typeof cause === "object" && cause !== null) {
    const { errno, code } = cause as { readonly errno?: unknown; readonly code?: unknown }
    const text = typeof errno === "number" ? getSystemErrorMap().get(errno)?.[1] : undefined
    if (text !== undefined && typeof code === "string") return `${text} (${code})`
  }
  return cause instanceof Error ? cause.message : String(cause)
}

/** Read and decode the config at `path`. */
export const loadConfig = (path: string): Effect.Effect<Config, ConfigError> =>
  Effect.tryPromise({
    try: (signal) => readFile(path, { encoding: "utf8", signal }),
    catch: (cause) =>
      new ConfigError({ source: path, reason: "Read", issues: [{ path: "", message: describeReadError(cause) }] })
  }).pipe(Effect.flatMap((text) => decodeConfig(text, path)))
