/**
 * decodeConfig: YAML text to a validated Config with defaults applied, or a
 * ConfigError listing every issue. No I/O; it reads only the host name (the
 * default node_name) and, for an inline config, the working directory (the base of relative secret_file paths).
 */
import * as Either from "effect/Either"
import * as Schema from "effect/Schema"
import { hostname } from "node:os"
import * as nodePath from "node:path"
import { compileTemplate, soleWordOf, type CompiledTemplate } from "../action/index.js"
import { DEFAULT_TYPES, makeIgnoreList, nodeNameOf, parseRange, parseValueType, type Range, type ValueType } from "../trust/index.js"
import { ConfigError } from "./errors.js"
import { friendlyIssues } from "./issues.js"
import { Defaults, type BatchConfig, type ChannelConfig, type Config, type ExpireConfig, type MetricsConfig, type NatsServerConfig, type ServerConfig } from "./model.js"
import { consumerNameOf } from "./nats.js"
import { pathKey, toConfigIssues, type IssuePath, type PathIssue } from "./path.js"
import { resolveQuorum } from "./quorum.js"
import { ignoreEntries, ruleIssues } from "./rules.js"
import { RawConfig, type RawChannel, type RawServer } from "./schema.js"
import { parseYaml } from "./yaml.js"

const decodeRaw = Schema.decodeUnknownEither(RawConfig, { errors: "all", onExcessProperty: "error" })

const invalid = (source: string, issues: ReadonlyArray<PathIssue>): ConfigError =>
  new ConfigError({ source, reason: "Invalid", issues: toConfigIssues(issues) })

/** Decode a config document; `source` names it in messages (a path, or "<inline>"). */
export const decodeConfig = (text: string, source: string): Either.Either<Config, ConfigError> =>
  Either.gen(function*() {
    const document = yield* Either.mapLeft(
      parseYaml(text),
      (issues) => new ConfigError({ source, reason: "Syntax", issues })
    )
    if (document === null || document === undefined) {
      const empty = { path: [], message: "the config is empty: expected a mapping with a servers list" }
      return yield* Either.left(invalid(source, [empty]))
    }
    const decoded = decodeRaw(document)
    const schemaIssues = Either.isLeft(decoded) ? friendlyIssues(decoded.left.issue) : []
    // A rule issue at a path the schema already reported would say the same thing twice (a Set: linear in the issues).
    const reported = new Set(schemaIssues.map((issue) => pathKey(issue.path)))
    const extraIssues = ruleIssues(document).filter((issue) => !reported.has(pathKey(issue.path)))
    const issues = [...schemaIssues, ...extraIssues]
    if (Either.isLeft(decoded) || issues.length > 0) return yield* Either.left(invalid(source, issues))
    return yield* Either.mapLeft(resolveConfig(decoded.right, source), (issues) => invalid(source, issues))
  })

/** What every channel inherits from the top level. */
interface Inherited {
  readonly types: ReadonlyMap<string, ValueType>
  /** Relative paths (secret_file, fail2ban_socket…) are relative to the config file's directory. */
  readonly baseDir: string
  /** Names a JetStream server's durable consumer unless it names its own. */
  readonly nodeName: string
}

type Resolved<A> = Either.Either<A, ReadonlyArray<PathIssue>>

/** `types:` entries over `base`; rules.ts has already reported an invalid type. */
const resolveTypes = (
  base: ReadonlyMap<string, ValueType>,
  raw: Readonly<Record<string, string>>,
  path: ReadonlyArray<string | number>
): Resolved<ReadonlyMap<string, ValueType>> =>
  Either.map(
    Either.all(
      Object.entries(raw).map(([key, spec]) =>
        Either.mapBoth(parseValueType(spec), {
          onLeft: (message) => [{ path: [...path, key], message }],
          onRight: (type) => [key, type] as const
        })
      )
    ),
    (entries) => new Map([...base, ...entries])
  )

const resolveIgnore = (raw: RawConfig["ignoreip"]): Resolved<ReadonlyArray<Range>> =>
  Either.all(
    ignoreEntries(raw).map((entry) =>
      Either.mapLeft(parseRange(entry), (message) => [{ path: ["ignoreip"], message }])
    )
  )

/** `127.0.0.1:9810` or `[::1]:9810` (the schema has checked the shape). */
const listenAddress = (text: string): MetricsConfig => {
  const colon = text.lastIndexOf(":")
  const host = text.slice(0, colon)
  return { host: host.startsWith("[") ? host.slice(1, -1) : host, port: Number(text.slice(colon + 1)) }
}

const resolveConfig = (raw: RawConfig, source: string): Resolved<Config> =>
  Either.gen(function*() {
    const types = yield* resolveTypes(DEFAULT_TYPES, raw.types, ["types"])
    const ignore = yield* resolveIgnore(raw.ignoreip)
    const nodeName = raw.node_name ?? nodeNameOf(hostname())
    const inherited: Inherited = {
      types,
      baseDir: source === "<inline>" ? process.cwd() : nodePath.dirname(nodePath.resolve(source)),
      nodeName
    }
    const servers = yield* Either.all(raw.servers.map((server, i) => resolveServer(server, i, inherited)))
    return {
      servers,
      log_level: raw.log_level,
      log_file: raw.log_file,
      pid_file: raw.pid_file,
      broker: raw.broker === undefined ? undefined : raw.broker === null ? { ...Defaults.broker } : raw.broker,
      max_line_bytes: raw.max_line_bytes,
      node_name: nodeName,
      ignoreip: makeIgnoreList(ignore),
      max_skew: raw.max_skew,
      dedupe_window: raw.dedupe_window,
      dedupe_max_entries: raw.dedupe_max_entries,
      quorum_max_entries: raw.quorum_max_entries,
      queue_limit: raw.queue_limit,
      concurrency: raw.concurrency,
      order_key: raw.order_key,
      shutdown_timeout: raw.shutdown_timeout,
      control_socket: raw.control_socket === undefined ? undefined : nodePath.resolve(inherited.baseDir, raw.control_socket),
      state_dir: nodePath.resolve(inherited.baseDir, raw.state_dir ?? Defaults.state_dir),
      state_dir_set: raw.state_dir !== undefined,
      outbox_max_age: raw.outbox_max_age,
      outbox_max_entries: raw.outbox_max_entries,
      metrics: raw.metrics === undefined ? undefined : listenAddress(raw.metrics === null ? Defaults.metrics.listen : raw.metrics.listen),
      source
    }
  })

const resolveServer = (server: RawServer, i: number, inherited: Inherited): Resolved<ServerConfig> =>
  Either.map(
    Either.all(server.channels.map((channel, j) => resolveChannel(channel, ["servers", i, "channels", j], inherited))),
    (channels): ServerConfig =>
      server.transport === "nats"
        ? resolveNats(server, channels, inherited)
        : {
          // rules.ts has reported a fanout entry without host or port.
          host: server.host ?? "",
          port: server.port ?? 0,
          ping_timeout: server.ping_timeout,
          channels,
          filter: server.filter
        }
  )

const resolveNats = (server: RawServer, channels: ReadonlyArray<ChannelConfig>, inherited: Inherited): NatsServerConfig => {
  const file = (path: string | undefined) => (path === undefined ? undefined : nodePath.resolve(inherited.baseDir, path))
  const jetstream = server.jetstream === undefined
    ? undefined
    : server.jetstream === null
    ? { ...Defaults.jetstream, consumer: undefined }
    : server.jetstream
  return {
    transport: "nats",
    urls: server.servers ?? (server.url === undefined ? [] : [server.url]),
    ping_timeout: server.ping_timeout,
    channels,
    filter: server.filter,
    subject_prefix: server.subject_prefix,
    auth: {
      token: server.token,
      token_file: file(server.token_file),
      user: server.user,
      password: server.password,
      password_file: file(server.password_file),
      creds_file: file(server.creds_file),
      nkey_file: file(server.nkey_file)
    },
    tls: server.tls === undefined
      ? undefined
      : { ca_file: file(server.tls.ca_file), cert_file: file(server.tls.cert_file), key_file: file(server.tls.key_file) },
    jetstream: jetstream === undefined
      ? undefined
      : {
        stream: jetstream.stream,
        max_age: jetstream.max_age,
        consumer: jetstream.consumer ?? consumerNameOf(inherited.nodeName),
        ack_wait: jetstream.ack_wait,
        max_ack_pending: jetstream.max_ack_pending,
        replicas: jetstream.replicas
      },
    secrets: {}
  }
}

// rules.ts has already compiled every action; compiling again here keeps this step total without a cast.
const resolveChannel = (
  channel: RawChannel,
  path: ReadonlyArray<string | number>,
  inherited: Inherited
): Resolved<ChannelConfig> =>
  Either.gen(function*() {
    const template = yield* Either.mapLeft(
      compileTemplate(channel.action, { shell: channel.shell }),
      (error) => [{ path: [...path, "action"], message: error.detail }]
    )
    const types = yield* resolveTypes(inherited.types, channel.types, [...path, "types"])
    const batch = channel.batch === undefined ? undefined : yield* resolveBatch(channel.batch, template, [...path, "batch", "key"])
    const files = channel.secret_file === undefined
      ? []
      : typeof channel.secret_file === "string"
      ? [channel.secret_file]
      : channel.secret_file
    const expire = channel.expire_action === undefined ? undefined : yield* resolveExpire(channel.expire_action, channel.shell, batch, [...path, "expire_action"])
    return {
      name: channel.name,
      action: channel.action,
      template,
      filter: channel.filter,
      shell: channel.shell,
      missing: channel.missing,
      timeout: channel.timeout,
      secret_files: files.map((file) => nodePath.resolve(inherited.baseDir, file)),
      secrets: [],
      types,
      batch,
      ...(channel.quorum === undefined ? {} : { quorum: resolveQuorum(channel.quorum) }),
      ...(expire === undefined ? {} : { expire }),
      ...(channel.fail2ban_socket === undefined ? {} : { fail2ban_socket: nodePath.resolve(inherited.baseDir, channel.fail2ban_socket) })
    }
  })

// rules.ts has already reported an expire_action that does not compile. Expiries batch when the batch key fills a word of their own.
const resolveExpire = (action: string, shell: boolean, batch: BatchConfig | undefined, path: IssuePath): Resolved<ExpireConfig> =>
  Either.mapBoth(compileTemplate(action, { shell }), {
    onLeft: (error) => [{ path, message: error.detail }],
    onRight: (template) => ({
      action,
      template,
      batchWord: batch === undefined ? undefined : Either.getOrUndefined(soleWordOf(template, batch.key))
    })
  })

// rules.ts has already reported a batch key that does not fill a word alone (or a shell action).
const resolveBatch = (raw: NonNullable<RawChannel["batch"]>, template: CompiledTemplate, path: IssuePath): Resolved<BatchConfig> =>
  Either.mapBoth(soleWordOf(template, raw.key), {
    onLeft: (message) => [{ path, message }],
    onRight: (word) => ({ key: raw.key, max: raw.max, linger: raw.linger, word })
  })
