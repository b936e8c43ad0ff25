/**
 * Where the config lives (--config, F2BC_CONFIG, /etc/fail2ban-cluster.yml)
 * and loading it from disk.
 */
import * as Effect from "effect/Effect"
import { decodeConfig } from "./decode.js"
import type { ConfigError } from "./errors.js"
import { readGuarded, readSecret } from "./guard.js"
import type { ChannelConfig, Config } from "./model.js"

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

/** Reads every channel's secrets; a file named by several channels is read once. */
export const attachSecrets = (config: Config): Effect.Effect<Config, ConfigError> =>
  Effect.gen(function* () {
    const cache = new Map<string, Uint8Array>()
    const read = (file: string, field: string) =>
      Effect.suspend(() => {
        const known = cache.get(file)
        if (known !== undefined) return Effect.succeed(known)
        return readSecret(file, { source: config.source, field }).pipe(Effect.tap((secret) => Effect.sync(() => cache.set(file, secret))))
      })
    const servers = yield* Effect.forEach(config.servers, (server, i) =>
      Effect.map(
        Effect.forEach(server.channels, (channel, j): Effect.Effect<ChannelConfig, ConfigError> =>
          Effect.map(
            Effect.forEach(channel.secret_files, (file) => read(file, `servers[${i}].channels[${j}].secret_file`)),
            (secrets) => ({ ...channel, secrets })
          )),
        (channels) => ({ ...server, channels })
      ))
    return { ...config, servers }
  })

/** Read (refusing a file others could change), decode, and read the secrets the config names. */
export const loadConfig = (path: string): Effect.Effect<Config, ConfigError> =>
  readGuarded(path, "config", { source: path, field: "" }).pipe(
    Effect.flatMap((bytes) => decodeConfig(bytes.toString("utf8"), path)),
    Effect.flatMap(attachSecrets)
  )
