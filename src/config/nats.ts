/**
 * NATS names in the config: server URLs, the durable consumer name derived
 * from node_name, and the rules a `transport: nats` server entry obeys.
 */
import { createHash } from "node:crypto"
import type { IssuePath, PathIssue } from "./path.js"

type Mapping = Readonly<Record<string, unknown>>

const isRecord = (value: unknown): value is Mapping => typeof value === "object" && value !== null && !Array.isArray(value)

const has = (value: unknown, key: string): boolean => isRecord(value) && Object.hasOwn(value, key)

/** Keys only a NATS server entry has. */
export const NATS_KEYS = [
  "url",
  "servers",
  "subject_prefix",
  "token",
  "token_file",
  "user",
  "password",
  "password_file",
  "creds_file",
  "nkey_file",
  "tls",
  "jetstream"
] as const

/** Keys only a fanout server entry has. */
export const FANOUT_KEYS = ["host", "port"] as const

/** `nats://host:port`, `tls://host:port` or `host:port`; the port defaults to 4222. */
const NATS_URL = /^(?:(nats|tls):\/\/)?(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(?::([0-9]{1,5}))?$/

/** Why `url` is not a NATS server URL f2bc accepts, or undefined. */
export const natsUrlProblem = (url: string): string | undefined => {
  if (/^[a-z]+:\/\/[^/]*@/i.test(url))
    return "must not carry credentials (user:password@ or token@): use the user/password_file or token_file keys"
  const match = NATS_URL.exec(url)
  if (match === null) return `${JSON.stringify(url)} is not a NATS URL like nats://host:4222 (or tls://host:4222)`
  const port = match[3]
  if (port !== undefined && (Number(port) < 1 || Number(port) > 65_535)) return `port ${port} is not from 1 to 65535`
  return undefined
}

/** The consumer-name characters NATS accepts everywhere (no ".", "*", ">", whitespace or path separators). */
const PLAIN_CONSUMER = /^[A-Za-z0-9_-]{1,200}$/

/**
 * The durable consumer's name for a node: node_name itself when it holds only
 * letters, digits, "_" and "-"; otherwise (a dotted host name) the dots
 * become "_" and 8 hex digits of its SHA-256 follow, so `web1.example.com`
 * and a node named `web1_example_com` never share a consumer (which would
 * split the messages between them).
 */
export const consumerNameOf = (nodeName: string): string => {
  if (PLAIN_CONSUMER.test(nodeName)) return nodeName
  const readable = nodeName.replace(/[^A-Za-z0-9_-]/g, "_").slice(0, 190)
  return `${readable}_${createHash("sha256").update(nodeName).digest("hex").slice(0, 8)}`
}

const AUTH_METHODS: ReadonlyArray<readonly [string, ReadonlyArray<string>]> = [
  ["token", ["token", "token_file"]],
  ["user/password", ["user", "password", "password_file"]],
  ["creds_file", ["creds_file"]],
  ["nkey_file", ["nkey_file"]]
]

/** The rules of one server entry that depend on its transport. */
export const transportIssues = (server: unknown, path: IssuePath): ReadonlyArray<PathIssue> => {
  if (!isRecord(server)) return []
  const transport = server["transport"] ?? "fanout"
  if (transport === "fanout") {
    const issues: Array<PathIssue> = []
    for (const key of FANOUT_KEYS) if (!has(server, key)) issues.push({ path: [...path, key], message: "is missing" })
    for (const key of NATS_KEYS) {
      if (has(server, key))
        issues.push({ path: [...path, key], message: "is a NATS key: it is allowed only with transport: nats" })
    }
    return issues
  }
  if (transport !== "nats") return []
  return natsIssues(server, path)
}

const natsIssues = (server: Mapping, path: IssuePath): ReadonlyArray<PathIssue> => {
  const issues: Array<PathIssue> = []
  for (const key of FANOUT_KEYS) {
    if (has(server, key))
      issues.push({ path: [...path, key], message: "is a fanout key: a NATS server is named by url (nats://host:4222) or servers" })
  }
  if (!has(server, "url") && !has(server, "servers"))
    issues.push({ path: [...path, "url"], message: "is missing (a NATS server needs url, or servers: a list of URLs of one cluster)" })
  if (has(server, "url") && has(server, "servers"))
    issues.push({ path: [...path, "servers"], message: "goes instead of url, not with it (list every URL under servers)" })
  const url = server["url"]
  if (typeof url === "string") {
    const problem = natsUrlProblem(url)
    if (problem !== undefined) issues.push({ path: [...path, "url"], message: problem })
  }
  const servers = server["servers"]
  if (Array.isArray(servers)) {
    servers.forEach((entry: unknown, i) => {
      if (typeof entry !== "string") return
      const problem = natsUrlProblem(entry)
      if (problem !== undefined) issues.push({ path: [...path, "servers", i], message: problem })
    })
  }
  const used = AUTH_METHODS.filter(([, keys]) => keys.some((key) => has(server, key)))
  if (used.length > 1)
    issues.push({
      path: [...path, used[1]![1].find((key) => has(server, key))!],
      message: `one authentication method per server: ${used.map(([name]) => name).join(" and ")} are both given`
    })
  if (has(server, "token") && has(server, "token_file"))
    issues.push({ path: [...path, "token_file"], message: "goes instead of token, not with it" })
  if (has(server, "password") && has(server, "password_file"))
    issues.push({ path: [...path, "password_file"], message: "goes instead of password, not with it" })
  if (has(server, "user") && !has(server, "password") && !has(server, "password_file"))
    issues.push({ path: [...path, "password_file"], message: "is missing (user needs password_file or password)" })
  if (!has(server, "user") && (has(server, "password") || has(server, "password_file")))
    issues.push({ path: [...path, "user"], message: "is missing (a password needs its user)" })
  const tls = server["tls"]
  if (has(tls, "cert_file") !== has(tls, "key_file"))
    issues.push({
      path: [...path, "tls", has(tls, "cert_file") ? "key_file" : "cert_file"],
      message: "is missing (a client certificate needs cert_file and key_file)"
    })
  const channels = server["channels"]
  if (Array.isArray(channels)) {
    channels.forEach((channel: unknown, j) => {
      const name = isRecord(channel) ? channel["name"] : undefined
      if (typeof name === "string" && /[.*>]/.test(name))
        issues.push({
          path: [...path, "channels", j, "name"],
          message: `${JSON.stringify(name)} cannot be a NATS subject token: a channel of a NATS server has no ".", "*" or ">"`
        })
    })
  }
  return issues
}

/** The consumer name a NATS JetStream entry will use, for the uniqueness rule. */
const effectiveConsumer = (server: Mapping, nodeName: string | undefined): string | undefined => {
  if (server["transport"] !== "nats" || !has(server, "jetstream")) return undefined
  const jetstream = server["jetstream"]
  const explicit = isRecord(jetstream) ? jetstream["consumer"] : undefined
  if (typeof explicit === "string") return explicit
  return nodeName === undefined ? "<node_name>" : consumerNameOf(nodeName)
}

/**
 * Two JetStream entries of one file that read one stream through one durable
 * consumer would split its messages between them: each would miss half.
 */
export const consumerIssues = (servers: ReadonlyArray<unknown>, nodeName: unknown): ReadonlyArray<PathIssue> => {
  const first = new Map<string, number>()
  const issues: Array<PathIssue> = []
  servers.forEach((server, i) => {
    if (!isRecord(server)) return
    const consumer = effectiveConsumer(server, typeof nodeName === "string" ? nodeName : undefined)
    if (consumer === undefined) return
    const jetstream = server["jetstream"]
    const stream = isRecord(jetstream) && typeof jetstream["stream"] === "string" ? jetstream["stream"] : "F2BC"
    const key = `${stream}/${consumer}`
    const before = first.get(key)
    if (before === undefined) first.set(key, i)
    else
      issues.push({
        path: ["servers", i, "jetstream", "consumer"],
        message: `servers[${before}] already reads stream ${stream} through consumer ${consumer}: two entries sharing one consumer would each miss half the messages; give one of them its own jetstream.consumer`
      })
  })
  return issues
}
