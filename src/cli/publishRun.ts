/**
 * What `f2bc publish` does once its arguments are read: validate, find the
 * servers, stamp the envelope, sign, send and confirm. No @effect/cli here:
 * the fast path of bin.ts runs it without loading the command tree.
 * A pair message gets the trust envelope, and a signature where the channel has a secret.
 */
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import { randomBytes } from "node:crypto"
import * as nodePath from "node:path"
import { readSecret } from "../config/guard.js"
import type { Config, ServerConfig } from "../config/model.js"
import * as Logging from "../log/logger.js"
import { endpointOf } from "../transport/endpoint.js"
import { publish as publishTo } from "../transport/publish.js"
import { serverName, type Endpoint } from "../transport/transport.js"
import { newEnvelope } from "../trust/index.js"
import { CliExit, usageError } from "./exit.js"
import {
  checkCommandLine,
  checkPort,
  DEFAULT_HOST,
  DEFAULT_PORT,
  hostOnly,
  isRefusal,
  linesFor,
  messageWithBanUntil,
  notConfirmed,
  type Refusal,
  refusedQuoting,
  type Signing
} from "./publishPlan.js"

/** What the command line gave `f2bc publish`, read by @effect/cli or by the fast path (publishArgv.ts). */
export interface PublishArgs {
  readonly channel: string
  readonly message: string
  readonly host: Option.Option<string>
  readonly port: Option.Option<number>
  readonly config: Option.Option<string>
  readonly timeout: number
  readonly secretFile: Option.Option<string>
  readonly nodeName: Option.Option<string>
  /** `--ban-until N`: appended to the message as `ban_until=N`. */
  readonly banUntil: Option.Option<number>
}

/** A plan's refusal as the CLI's failure. */
const fail = (refusal: Refusal) => Effect.fail(new CliExit({ code: refusal.code, text: refusal.text }))

/** A plan step's result: its value, or its refusal as a CliExit. */
const fromPlan = <A>(result: A | Refusal): Effect.Effect<A, CliExit> => (isRefusal(result) ? fail(result) : Effect.succeed(result))

/** The message with `, ban_until=N` appended when `--ban-until` is given (a key=value message only; N ≥ -1). */
export const withBanUntil = (message: string, banUntil: Option.Option<number>) =>
  fromPlan(messageWithBanUntil(message, Option.getOrUndefined(banUntil)))

/** One server to confirm, the secret that signs for it (if its channel has one), and its channel's value types. */
interface Target extends Signing {
  readonly endpoint: Endpoint
}

/** Whom to send to, as whom, and the longest request line they take. */
interface Targets {
  readonly targets: ReadonlyArray<Target>
  readonly origin: string
  /** Servers drop a longer request line; a ping would still be answered, so it is refused here. */
  readonly lineLimit: number
}

const targetOf = (server: ServerConfig, config: Config, channelName: string, timeoutMs: number): Target | undefined => {
  const channelConfig = server.channels.find((c) => c.name === channelName)
  if (channelConfig === undefined) return undefined
  return { endpoint: { ...endpointOf(server, config), pingTimeoutMs: timeoutMs }, secret: channelConfig.secrets[0], types: channelConfig.types }
}

/** The config loader (YAML, the schema) is loaded only when a config is used: `publish --host` does without it. */
const configFile = Effect.promise(() => import("./configFile.js"))

const configOf = (args: PublishArgs) =>
  Effect.flatMap(configFile, (module) => module.loadConfigBeside(args.config, args.channel))

/** Every configured server that has the channel. */
const configTargets = (args: PublishArgs, timeoutMs: number) =>
  Effect.gen(function* () {
    if (Option.isSome(args.secretFile))
      return yield* Effect.fail(usageError("--secret-file goes with --host/--port; with a config, the channel's secret_file signs"))
    const config = yield* configOf(args)
    const targets = config.servers.flatMap((server) => targetOf(server, config, args.channel, timeoutMs) ?? [])
    if (targets.length === 0)
      return yield* fail(refusedQuoting(`no server in ${config.source} has a channel named "${args.channel}"` + (yield* configFile).channelHint(args.channel)))
    return { targets, origin: Option.getOrElse(args.nodeName, () => config.node_name), lineLimit: config.max_line_bytes } satisfies Targets
  })

/** Whether a configured server is the one `--host`/`--port` name. */
const isServer = (server: ServerConfig, host: string, port: number): boolean =>
  server.transport === "nats"
    ? server.urls.some((url) => {
      const parsed = URL.canParse(url) ? new URL(url) : undefined
      return parsed !== undefined && parsed.hostname === host && Number(parsed.port || 4222) === port
    })
    : server.host === host && server.port === port

/**
 * Exactly the server `--host`/`--port` name. With `--config` too, that
 * server's entry in the config says how to reach it, how to sign and as whom
 * (never a silent unsigned send to a signed cluster); a config without that
 * server and channel is refused.
 */
const hostTargets = (args: PublishArgs, timeoutMs: number) =>
  Effect.gen(function* () {
    const host = Option.getOrElse(args.host, () => DEFAULT_HOST)
    const port = Option.getOrElse(args.port, () => DEFAULT_PORT)
    const badPort = checkPort(port)
    if (badPort !== undefined) return yield* fail(badPort)
    if (Option.isSome(args.config)) {
      if (Option.isSome(args.secretFile))
        return yield* Effect.fail(usageError("--secret-file and --config both say how to sign: give one (with --config, the channel's secret_file signs)"))
      const config = yield* configOf(args)
      const targets = config.servers.flatMap((server) => (isServer(server, host, port) ? targetOf(server, config, args.channel, timeoutMs) ?? [] : []))
      if (targets.length === 0) {
        const having = config.servers.filter((server) => server.channels.some((c) => c.name === args.channel)).map(serverName)
        return yield* fail(refusedQuoting(
          `--host ${host} -p ${port} with --config: no server entry for ${host}:${port} in ${config.source} has a channel named "${args.channel}"` +
            (having.length === 0 ? "" : ` (it is on ${having.join(", ")})`) +
            `, so publish cannot tell how to sign for it; drop --host/--port to publish to the config's servers, or drop --config (then --secret-file signs)`
        ))
      }
      return { targets, origin: Option.getOrElse(args.nodeName, () => config.node_name), lineLimit: config.max_line_bytes } satisfies Targets
    }
    const secret = Option.isSome(args.secretFile)
      ? yield* readSecret(nodePath.resolve(args.secretFile.value), { source: "--secret-file", field: "" }).pipe(
        Effect.mapError((error) => usageError(error.message))
      )
      : undefined
    return hostOnly(host, port, timeoutMs, Option.getOrUndefined(args.nodeName), secret) satisfies Targets
  })

/** The servers to confirm (--host/--port, or every configured server with the channel), the `_origin`, and the longest line they accept. */
const targetsOf = (args: PublishArgs, timeoutMs: number) =>
  Option.isSome(args.host) || Option.isSome(args.port) ? hostTargets(args, timeoutMs) : configTargets(args, timeoutMs)

/** Sends each target its line, all at once; fails naming every server that did not confirm. */
const confirmAll = (targets: ReadonlyArray<Target>, channelName: string, lines: ReadonlyArray<string>) =>
  Effect.gen(function* () {
    const results = yield* Effect.forEach(
      targets,
      (target, i) => Effect.either(publishTo(target.endpoint, channelName, lines[i]!)),
      { concurrency: "unbounded" }
    )
    const failures = results.flatMap((result, i) =>
      Either.isLeft(result) ? [`${serverName(targets[i]!.endpoint)} (${result.left.detail})`] : []
    )
    if (failures.length > 0) return yield* fail(notConfirmed(failures, targets.length))
  })

/** Validates, targets, stamps, signs, sends and confirms; fails with a CliExit (exit 2 refusals, exit 1 unconfirmed). */
export const publish = (args: PublishArgs) =>
  Effect.gen(function* () {
    const text = yield* withBanUntil(args.message, args.banUntil)
    const parsed = yield* fromPlan(checkCommandLine(args.channel, text, args.timeout, Option.getOrUndefined(args.nodeName)))
    const { targets, origin, lineLimit } = yield* targetsOf(args, args.timeout * 1000)
    const envelope = newEnvelope(origin, yield* Clock.currentTimeMillis, randomBytes)
    const lines = yield* fromPlan(linesFor(args.channel, text, parsed, targets, envelope, lineLimit))
    yield* confirmAll(targets, args.channel, lines)
  }).pipe(
    // Quiet on success (fail2ban logs what it prints); a warning is an f2bc log line on stderr.
    Logging.withStderr(1)
  )
