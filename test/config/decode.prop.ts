/**
 * Property tests of configuration.md config loading: any text is answered with a Config
 * or a ConfigError; a valid config states its values; an unknown key anywhere is named at its path.
 */
import { FastCheck as fc } from "effect"
import * as Either from "effect/Either"
import { hostname } from "node:os"
import * as nodePath from "node:path"
import { describe, expect, it } from "vitest"
import * as YAML from "yaml"
import { decodeConfig, formatIssue } from "../../src/config/index.js"
import { nodeNameOf, type Range, type ValueType } from "../../src/trust/index.js"

const NUM_RUNS = 300

const word = fc.stringMatching(/^[A-Za-z][A-Za-z0-9_-]{0,7}$/)
const reserved = new Set(["all", "debug"])
const channelName = word.filter((name) => !reserved.has(name))
const seconds = fc.double({ min: 0.001, max: 86_400, noNaN: true })
const filter = fc.uniqueArray(
  fc.record({ key: word, values: fc.array(fc.stringMatching(/^[a-z0-9]{1,6}$/), { minLength: 1, maxLength: 3 }) }),
  { selector: (entry) => entry.key, maxLength: 3 }
)

/** Each type spec a config may write, and the type it resolves to (a /regex/ is anchored to the whole value). */
const typeSpecs: Readonly<Record<string, ValueType>> = {
  ip: { _tag: "ip" },
  cidr: { _tag: "cidr" },
  int: { _tag: "int" },
  name: { _tag: "name" },
  text: { _tag: "text" },
  "/[a-z]+/i": { _tag: "regex", source: "/[a-z]+/i", pattern: /^(?:[a-z]+)$/i }
}
const types = fc.dictionary(word, fc.constantFrom(...Object.keys(typeSpecs)), { maxKeys: 3 })

/** `secret_file:` one path or a list; a relative path is relative to the config's directory (cwd for "<inline>"). */
const secretFile = fc.oneof(
  fc.constantFrom("/etc/f2bc/a.key", "keys/b.key"),
  fc.array(fc.constantFrom("/etc/f2bc/a.key", "keys/b.key", "/etc/f2bc/old.key"), { minLength: 1, maxLength: 3 })
)

/** ignoreip entries and how each resolves. */
const ranges: Readonly<Record<string, Range>> = {
  "192.0.2.0/24": { address: "192.0.2.0", prefix: 24, family: "ipv4", text: "192.0.2.0/24" },
  "10.0.0.1": { address: "10.0.0.1", prefix: 32, family: "ipv4", text: "10.0.0.1" },
  "2001:db8::/32": { address: "2001:db8::", prefix: 32, family: "ipv6", text: "2001:db8::/32" },
  "::1": { address: "::1", prefix: 128, family: "ipv6", text: "::1" },
  "127.0.0.1/8": { address: "127.0.0.1", prefix: 8, family: "ipv4", text: "127.0.0.1/8" }
}
const ignoreList = fc.array(fc.constantFrom(...Object.keys(ranges)), { maxLength: 4 })
/** A list, or fail2ban's whitespace-separated string. */
const ignoreip = fc.oneof(ignoreList, ignoreList.map((entries) => entries.join(" ")))

/** A raw channel with optional keys sometimes present (`undefined` = left out). */
const channel = fc.record(
  {
    name: channelName,
    action: fc.constantFrom("fail2ban-client set %jail% %action% %ip%", "/bin/true", "logger -t f2bc %_msg%"),
    filter,
    missing: fc.constantFrom("reject", "empty"),
    timeout: seconds,
    secret_file: secretFile,
    types
  },
  { requiredKeys: ["name", "action"] }
)

const server = fc.record(
  {
    host: word,
    port: fc.integer({ min: 1, max: 65_535 }),
    ping_timeout: seconds,
    channels: fc.uniqueArray(channel, { selector: (c) => c.name, minLength: 1, maxLength: 3 }),
    filter
  },
  { requiredKeys: ["host", "port", "channels"] }
)

const document = fc.record(
  {
    servers: fc.array(server, { minLength: 1, maxLength: 3 }),
    log_level: fc.constantFrom(0, 1, 2, 3),
    log_file: fc.constant("/var/log/f2bc.log"),
    pid_file: fc.constant("/run/f2bc.pid"),
    max_line_bytes: fc.integer({ min: 1, max: 1 << 20 }),
    node_name: fc.stringMatching(/^[A-Za-z0-9_.][A-Za-z0-9_.-]{0,20}$/),
    types,
    ignoreip,
    max_skew: seconds,
    dedupe_window: seconds,
    dedupe_max_entries: fc.integer({ min: 1, max: 1_000_000 })
  },
  { requiredKeys: ["servers"] }
)

describe("configuration.md config loading (properties)", () => {
  it("any text gives a Config or a ConfigError with at least one issue, never a throw", () => {
    const texts = fc.oneof(
      fc.string(),
      fc.jsonValue().map((value) => JSON.stringify(value)),
      document.chain((doc) =>
        fc.nat({ max: 200 }).map((cut) => {
          const text = YAML.stringify(doc)
          return text.slice(0, cut % (text.length + 1))
        })
      )
    )
    fc.assert(
      fc.property(texts, (text) => {
        const result = decodeConfig(text, "<inline>")
        if (Either.isLeft(result)) {
          expect(result.left.issues.length).toBeGreaterThan(0)
          expect(result.left.message.length).toBeGreaterThan(0)
        }
      }),
      { numRuns: NUM_RUNS }
    )
  })

  it("a valid config resolves to the values it states, and the defaults for keys it leaves out", () => {
    fc.assert(
      fc.property(document, (doc) => {
        const result = decodeConfig(YAML.stringify(doc), "<inline>")
        if (Either.isLeft(result)) throw new Error(result.left.message)
        const config = result.right
        expect(config.log_level).toBe(doc.log_level ?? 2)
        expect(config.log_file).toBe(doc.log_file)
        expect(config.pid_file).toBe(doc.pid_file)
        expect(config.max_line_bytes).toBe(doc.max_line_bytes ?? 65_536)
        expect(config.broker).toBeUndefined()
        expect(config.node_name).toBe(doc.node_name ?? nodeNameOf(hostname()))
        expect(config.max_skew).toBe(doc.max_skew ?? 120)
        expect(config.dedupe_window).toBe(doc.dedupe_window ?? 300)
        expect(config.dedupe_max_entries).toBe(doc.dedupe_max_entries ?? 100_000)
        const ignoreEntries = doc.ignoreip === undefined
          ? ["127.0.0.1/8", "::1"]
          : typeof doc.ignoreip === "string"
          ? doc.ignoreip.split(" ").filter((entry) => entry !== "")
          : doc.ignoreip
        expect(config.ignoreip.ranges).toEqual(ignoreEntries.map((entry) => ranges[entry]))
        // Defaults (ip: ip, ban_until: int), then the top-level types, then the channel's.
        const typesOf = (...layers: ReadonlyArray<Readonly<Record<string, string>> | undefined>) =>
          new Map<string, ValueType>([
            ["ip", { _tag: "ip" }],
            ["ban_until", { _tag: "int" }],
            ...layers.flatMap((layer) => Object.entries(layer ?? {}).map(([key, spec]) => [key, typeSpecs[spec]!] as const))
          ])
        const secretFiles = (files: string | ReadonlyArray<string> | undefined) =>
          (files === undefined ? [] : typeof files === "string" ? [files] : files).map((file) => nodePath.resolve(process.cwd(), file))
        expect(config.servers.map((s) => ({ ...s, channels: s.channels.map(({ template: _, ...c }) => c) }))).toEqual(
          doc.servers.map((s) => ({
            host: s.host,
            port: s.port,
            ping_timeout: s.ping_timeout ?? 60,
            filter: s.filter ?? [],
            channels: s.channels.map((c) => ({
              name: c.name,
              action: c.action,
              filter: c.filter ?? [],
              shell: false,
              missing: c.missing ?? "reject",
              timeout: c.timeout ?? 30,
              secret_files: secretFiles(c.secret_file),
              // decodeConfig reads no file: loadConfig fills the secrets in.
              secrets: [],
              types: typesOf(doc.types, c.types)
            }))
          }))
        )
      }),
      { numRuns: NUM_RUNS }
    )
  })

  it("an unknown key added at any level is the one issue, at its path, naming the keys expected there", () => {
    const known = new Set(["servers", "log_level", "log_file", "pid_file", "broker", "max_line_bytes", "host", "port",
      "ping_timeout", "channels", "filter", "name", "action", "shell", "missing", "timeout", "key", "values",
      "node_name", "types", "ignoreip", "max_skew", "dedupe_window", "dedupe_max_entries", "secret_file", "batch", "quorum",
      // A NATS server entry's keys (on a fanout entry they are refused as such, not as unknown).
      "transport", "url", "subject_prefix", "token", "token_file", "user", "password", "password_file", "creds_file",
      "nkey_file", "tls", "jetstream"])
    const unknownKey = fc.stringMatching(/^[a-z][a-z_]{0,9}$/).filter((key) => !known.has(key))
    const level = fc.constantFrom("root", "server", "channel", "filter")
    fc.assert(
      fc.property(unknownKey, level, (key, where) => {
        const doc = {
          servers: [{
            host: "a",
            port: 1,
            channels: [{ name: "C", action: "true" }],
            filter: [{ key: "jail", values: ["sshd"] }]
          }]
        }
        const server = doc.servers[0] as Record<string, unknown>
        const targets: Record<string, [Record<string, unknown>, string, string]> = {
          root: [doc, key,
            "servers, log_level, log_file, pid_file, broker, max_line_bytes, node_name, types, ignoreip, max_skew, dedupe_window, dedupe_max_entries, quorum_max_entries, queue_limit, concurrency, order_key, shutdown_timeout, control_socket, state_dir, outbox_max_age, outbox_max_entries, metrics"],
          server: [server, `servers[0].${key}`, "host, port, ping_timeout, channels, filter, transport"],
          channel: [doc.servers[0]!.channels[0]!, `servers[0].channels[0].${key}`,
            "name, action, filter, shell, missing, timeout, secret_file, types, batch, quorum, expire_action, fail2ban_socket"],
          filter: [doc.servers[0]!.filter[0]!, `servers[0].filter[0].${key}`, "key, values"]
        }
        const [target, path, expected] = targets[where]!
        target[key] = 1
        const result = decodeConfig(YAML.stringify(doc), "<inline>")
        expect(Either.isLeft(result) && result.left.issues.map(formatIssue)).toEqual([
          `${path}: unknown key (expected one of: ${expected})`
        ])
      }),
      { numRuns: NUM_RUNS }
    )
  })
})
