/**
 * decodeConfig: YAML text to a validated Config with defaults applied, or a
 * ConfigError listing every issue. Pure: no I/O.
 */
import * as Either from "effect/Either"
import * as Schema from "effect/Schema"
import { compileTemplate } from "../action/index.js"
import { ConfigError } from "./errors.js"
import { friendlyIssues } from "./issues.js"
import { Defaults, type ChannelConfig, type Config, type ServerConfig } from "./model.js"
import { samePath, toConfigIssues, type PathIssue } from "./path.js"
import { ruleIssues } from "./rules.js"
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
    // A rule issue at a path the schema already reported would say the same thing twice.
    const extraIssues = ruleIssues(document).filter(
      (issue) => !schemaIssues.some((reported) => samePath(reported.path, issue.path))
    )
    const issues = [...schemaIssues, ...extraIssues]
    if (Either.isLeft(decoded) || issues.length > 0) return yield* Either.left(invalid(source, issues))
    return yield* Either.mapLeft(resolveConfig(decoded.right, source), (issues) => invalid(source, issues))
  })

const resolveConfig = (raw: RawConfig, source: string): Either.Either<Config, ReadonlyArray<PathIssue>> =>
  Either.map(
    Either.all(raw.servers.map((server, i) => resolveServer(server, i))),
    (servers): Config => ({
      servers,
      log_level: raw.log_level,
      log_file: raw.log_file,
      pid_file: raw.pid_file,
      broker: raw.broker === undefined ? undefined : raw.broker === null ? { ...Defaults.broker } : raw.broker,
      max_line_bytes: raw.max_line_bytes,
      source
    })
  )

const resolveServer = (server: RawServer, i: number): Either.Either<ServerConfig, ReadonlyArray<PathIssue>> =>
  Either.map(
    Either.all(server.channels.map((channel, j) => resolveChannel(channel, ["servers", i, "channels", j]))),
    (channels): ServerConfig => ({
      host: server.host,
      port: server.port,
      ping_timeout: server.ping_timeout,
      channels,
      filter: server.filter
    })
  )

// rules.ts has already compiled every action; compiling again here keeps this step total without a cast.
const resolveChannel = (
  channel: RawChannel,
  path: ReadonlyArray<string | number>
): Either.Either<ChannelConfig, ReadonlyArray<PathIssue>> =>
  Either.mapBoth(compileTemplate(channel.action, { shell: channel.shell }), {
    onLeft: (error) => [{ path: [...path, "action"], message: error.detail }],
    onRight: (template): ChannelConfig => ({
      name: channel.name,
      action: channel.action,
      template,
      filter: channel.filter,
      shell: channel.shell,
      missing: channel.missing,
      timeout: channel.timeout
    })
  })
