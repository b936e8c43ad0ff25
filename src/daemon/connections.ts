/**
 * What makes a server's connection, and the config in force: a server whose
 * connection key a reload leaves unchanged keeps its connection and gets its new plan in place.
 */
import { createHash } from "node:crypto"
import type { Config, ServerConfig } from "../config/model.js"
import { planServer, type ServerPlan } from "../decide/decision.js"

/** What identifies a server's connection: its address, or a NATS server's URLs, credentials, TLS and JetStream settings. */
const connectionIdentity = (server: ServerConfig): ReadonlyArray<unknown> => {
  if (server.transport !== "nats") return [server.host, server.port]
  const { secrets } = server
  // Secrets by a digest of their text, so a key in this string never shows their values.
  const digest = (value: string | Uint8Array | undefined) =>
    value === undefined ? null : createHash("sha256").update(value).digest("hex").slice(0, 16)
  return [
    "nats",
    server.urls,
    server.subject_prefix,
    server.auth,
    server.tls ?? null,
    server.jetstream ?? null,
    [secrets.token, secrets.password, secrets.creds, secrets.nkeySeed, secrets.tlsKey, secrets.tlsCert, secrets.tlsCa].map(digest)
  ]
}

/**
 * What makes a connection: a server whose key is unchanged by a reload keeps
 * its connection (its plan — actions, filters, secrets, types — is swapped in place).
 */
export const connectionKeys = (config: Config): ReadonlyArray<string> => {
  const seen = new Map<string, number>()
  return config.servers.map((server) => {
    const base = JSON.stringify([...connectionIdentity(server), server.ping_timeout, server.channels.map((c) => c.name), config.max_line_bytes])
    const n = seen.get(base) ?? 0
    seen.set(base, n + 1)
    return `${base}#${n}`
  })
}

/** The config in force and each connection's plan, swapped whole by a reload. */
export interface Current {
  readonly config: Config
  readonly plans: ReadonlyMap<string, ServerPlan>
}

export const currentOf = (config: Config): Current => {
  const keys = connectionKeys(config)
  return { config, plans: new Map(config.servers.map((server, i) => [keys[i]!, planServer(server, config)])) }
}

/** The one cell holding `Current`: read synchronously by every chunk, replaced whole by a reload. */
export interface CurrentCell {
  readonly get: () => Current
  readonly set: (next: Current) => void
}

export const makeCurrentCell = (config: Config): CurrentCell => {
  let current = currentOf(config)
  return {
    get: () => current,
    set: (next) => {
      current = next
    }
  }
}
