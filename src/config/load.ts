/**
 * Where the config lives (--config, F2BC_CONFIG, /etc/fail2ban-cluster.yml)
 * and loading it from disk.
 */
import * as Effect from "effect/Effect"
import { decodeConfig } from "./decode.js"
import { stat } from "node:fs/promises"
import { ConfigError } from "./errors.js"
import { fileProblem, readGuarded, readSecret } from "./guard.js"
import type { ChannelConfig, Config, NatsSecrets, NatsServerConfig, ServerConfig } from "./model.js"

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
    Effect.flatMap(attachSecrets),
    Effect.flatMap(attachNatsSecrets)
  )

const text = (bytes: Buffer): string => bytes.toString("utf8").trim()

/** Reads one NATS server's credential and TLS files (each checked like a secret, certificates like the config). */
const natsSecrets = (server: NatsServerConfig, source: string, i: number): Effect.Effect<NatsSecrets, ConfigError> =>
  Effect.gen(function* () {
    const at = (field: string) => ({ source, field: `servers[${i}].${field}` })
    const secret = (file: string | undefined, field: string) =>
      file === undefined ? Effect.succeed(undefined) : readGuarded(file, "secret", at(field))
    const certificate = (file: string | undefined, field: string) =>
      file === undefined ? Effect.succeed(undefined) : readGuarded(file, "certificate", at(field))
    const { auth, tls } = server
    const token = auth.token ?? (yield* Effect.map(secret(auth.token_file, "token_file"), (b) => (b === undefined ? undefined : text(b))))
    const password = auth.password ??
      (yield* Effect.map(secret(auth.password_file, "password_file"), (b) => (b === undefined ? undefined : text(b))))
    const creds = yield* secret(auth.creds_file, "creds_file")
    const nkey = yield* secret(auth.nkey_file, "nkey_file")
    const tlsKey = yield* secret(tls?.key_file, "tls.key_file")
    const tlsCert = yield* certificate(tls?.cert_file, "tls.cert_file")
    const tlsCa = yield* certificate(tls?.ca_file, "tls.ca_file")
    const secrets: { -readonly [K in keyof NatsSecrets]: NatsSecrets[K] } = {}
    if (token !== undefined) secrets.token = token
    if (password !== undefined) secrets.password = password
    if (creds !== undefined) secrets.creds = new Uint8Array(creds)
    if (nkey !== undefined) secrets.nkeySeed = new TextEncoder().encode(text(nkey))
    if (tlsKey !== undefined) secrets.tlsKey = tlsKey.toString("utf8")
    if (tlsCert !== undefined) secrets.tlsCert = tlsCert.toString("utf8")
    if (tlsCa !== undefined) secrets.tlsCa = tlsCa.toString("utf8")
    return secrets
  })

/** An inline token or password is a secret: the config that holds it must not be readable by others. */
const inlineSecretProblem = (config: Config): Effect.Effect<void, ConfigError> => {
  const index = config.servers.findIndex((server) =>
    server.transport === "nats" && (server.auth.token !== undefined || server.auth.password !== undefined)
  )
  if (index === -1 || config.source === "<inline>") return Effect.void
  return Effect.flatMap(
    Effect.promise(() => stat(config.source).catch(() => undefined)),
    (stats) => {
      if (stats === undefined) return Effect.void
      const uid = typeof process.getuid === "function" ? process.getuid() : 0
      const problem = fileProblem(stats, "secret", uid)
      return problem === undefined
        ? Effect.void
        : Effect.fail(
          new ConfigError({
            source: config.source,
            reason: "Unsafe",
            issues: [{ path: `servers[${index}]`, message: `holds an inline token or password, and ${config.source} ${problem} (or use token_file / password_file)` }]
          })
        )
    }
  )
}

/** Reads every NATS server's credential and TLS files into `secrets`. */
export const attachNatsSecrets = (config: Config): Effect.Effect<Config, ConfigError> =>
  Effect.gen(function* () {
    if (!config.servers.some((server) => server.transport === "nats")) return config
    yield* inlineSecretProblem(config)
    const servers = yield* Effect.forEach(config.servers, (server, i): Effect.Effect<ServerConfig, ConfigError> =>
      server.transport === "nats"
        ? Effect.map(natsSecrets(server, config.source, i), (secrets) => ({ ...server, secrets }))
        : Effect.succeed(server))
    return { ...config, servers }
  })
