/**
 * `f2bc publish`: announce one message to every configured server that has
 * the channel, or to exactly --host/--port, and confirm each (a fanout ping,
 * a NATS flush, or a JetStream acknowledgement).
 * A pair message gets the trust envelope, and a signature where the channel has a secret.
 */
import * as Command from "@effect/cli/Command"
import * as Options from "@effect/cli/Options"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import { randomBytes } from "node:crypto"
import { hostname } from "node:os"
import * as nodePath from "node:path"
import { readSecret } from "../config/guard.js"
import { Defaults } from "../config/model.js"
import { describeValueProblem } from "../decide/rejection.js"
import { parseMessage, type Message } from "../message/index.js"
import { isReservedChannel, validateChannelName, validateMessageText } from "../protocol/names.js"
import { escapeUnsafe } from "../text/untrusted.js"
import { endpointOf } from "../transport/endpoint.js"
import * as Transports from "../transport/layer.js"
import { serverName, Transport, type Endpoint } from "../transport/transport.js"
import {
  appendEnvelope,
  appendSignature,
  checkBody,
  checkFields,
  DEFAULT_TYPES,
  isNodeName,
  newEnvelope,
  nodeNameOf,
  type ValueType
} from "../trust/index.js"
import { runtimeError, usageError } from "./exit.js"
import { channel, configPath, loadConfigFrom, message } from "./options.js"

const host = Options.text("host").pipe(Options.withDescription("publish only to this server"), Options.optional)
const port = Options.integer("port").pipe(
  Options.withAlias("p"),
  Options.withDescription("port of --host (default 1986)"),
  Options.optional
)
const timeout = Options.integer("timeout").pipe(
  Options.withDescription("seconds to wait for each server's confirmation"),
  Options.withDefault(10)
)
const secretFile = Options.text("secret-file").pipe(
  Options.withDescription("sign with the secret in this file (with --host; with a config, the channel's secret_file signs)"),
  Options.optional
)
const nodeName = Options.text("node-name").pipe(
  Options.withDescription("the _origin to send (default: the config's node_name, else the host name)"),
  Options.optional
)

const DEFAULT_PORT = 1986

/** A refusal that quotes the user's channel or message: hostile characters shown escaped, as the log does. */
const refusal = (text: string) => usageError(escapeUnsafe(text))

/** Refuses, before anything is sent, what the wire or the grammar would reject. */
const validate = (channelName: string, text: string) =>
  Effect.gen(function* () {
    yield* validateChannelName(channelName).pipe(Effect.mapError((error) => refusal(error.message)))
    if (isReservedChannel(channelName))
      return yield* Effect.fail(refusal(`channel "${channelName}" is reserved by the fanout protocol`))
    yield* validateMessageText(text).pipe(Effect.mapError((error) => refusal(error.message)))
    const parsed = parseMessage(text)
    if (Either.isLeft(parsed)) return yield* Effect.fail(refusal(`invalid message: ${parsed.left.message}`))
    if (parsed.right.envelope.size > 0) {
      const keys = [...parsed.right.envelope.keys()].join(", ")
      return yield* Effect.fail(refusal(`invalid message: ${keys} belong to the envelope, which publish adds itself`))
    }
    return parsed.right
  })

/** One server to confirm, the secret that signs for it (if its channel has one), and its channel's value types. */
interface Target {
  readonly endpoint: Endpoint
  readonly secret: Uint8Array | undefined
  readonly types: ReadonlyMap<string, ValueType>
}

/** Refuses what a daemon with these types would reject at its types stage: sending it would only make noise. */
const checkTypes = (parsed: Message, targets: ReadonlyArray<Target>) =>
  Effect.forEach(targets, (target) => {
    const bad = parsed.kind === "plain" ? checkBody(parsed.body) : checkFields(parsed.fields, target.types) ?? checkBody(parsed.body)
    return bad === undefined
      ? Effect.void
      : Effect.fail(refusal(`invalid message: ${bad.key}=${JSON.stringify(bad.value)} ${describeValueProblem(bad.problem)} (a daemon would reject it)`))
  }, { discard: true })

/** The line for one target: a plain message as given; pairs with the envelope, then the signature. */
const wireText = (parsed: Message, enveloped: string, channelName: string, target: Target): string => {
  if (parsed.kind === "plain") return parsed.text
  return target.secret === undefined ? enveloped : appendSignature(target.secret, channelName, enveloped)
}

export const publishCommand = Command.make(
  "publish",
  { channel, message, host, port, config: configPath, timeout, secretFile, nodeName },
  (args) =>
    Effect.gen(function* () {
      const parsed = yield* validate(args.channel, args.message)
      if (args.timeout < 1 || args.timeout > 3600)
        return yield* Effect.fail(usageError(`--timeout must be from 1 to 3600 seconds, got ${args.timeout}`))
      if (Option.isSome(args.nodeName) && !isNodeName(args.nodeName.value))
        return yield* Effect.fail(usageError(`--node-name must be letters, digits, "_", "." or "-", not starting with "-"`))
      const timeoutMs = args.timeout * 1000
      const endpoint = (h: string, p: number): Endpoint => ({
        host: h,
        port: p,
        channels: [],
        pingTimeoutMs: timeoutMs,
        maxLineBytes: Defaults.max_line_bytes
      })
      let targets: ReadonlyArray<Target>
      let origin: string
      // Servers drop a longer request line; a ping would still be answered, so refuse it here.
      let lineLimit: number = Defaults.max_line_bytes
      if (Option.isSome(args.host) || Option.isSome(args.port)) {
        const p = Option.getOrElse(args.port, () => DEFAULT_PORT)
        if (p < 1 || p > 65535) return yield* Effect.fail(usageError(`--port must be from 1 to 65535, got ${p}`))
        const secret = Option.isSome(args.secretFile)
          ? yield* readSecret(nodePath.resolve(args.secretFile.value), { source: "--secret-file", field: "" }).pipe(
            Effect.mapError((error) => usageError(error.message))
          )
          : undefined
        targets = [{ endpoint: endpoint(Option.getOrElse(args.host, () => "127.0.0.1"), p), secret, types: DEFAULT_TYPES }]
        origin = Option.getOrElse(args.nodeName, () => nodeNameOf(hostname()))
      } else {
        if (Option.isSome(args.secretFile))
          return yield* Effect.fail(usageError("--secret-file goes with --host/--port; with a config, the channel's secret_file signs"))
        const config = yield* loadConfigFrom(args.config)
        targets = config.servers.flatMap((server) =>
          server.channels
            .filter((c) => c.name === args.channel)
            .map((c) => ({ endpoint: { ...endpointOf(server, config), pingTimeoutMs: timeoutMs }, secret: c.secrets[0], types: c.types }))
        )
        if (targets.length === 0)
          return yield* Effect.fail(refusal(`no server in ${config.source} has a channel named "${args.channel}"`))
        origin = Option.getOrElse(args.nodeName, () => config.node_name)
        lineLimit = config.max_line_bytes
      }
      yield* checkTypes(parsed, targets)
      if (parsed.kind === "plain" && targets.some((target) => target.secret !== undefined))
        return yield* Effect.fail(usageError("a plain-text message (no key=value pairs) cannot be signed: the channel has a secret"))
      // One envelope for every server: the same _id lets a daemon that hears it twice run it once.
      const enveloped = appendEnvelope(args.message, newEnvelope(origin, Date.now(), randomBytes))
      const lines = targets.map((target) => wireText(parsed, enveloped, args.channel, target))
      for (const line of lines) {
        const bytes = Buffer.byteLength(`announce ${args.channel} ${line}`, "utf8")
        if (bytes > lineLimit)
          return yield* Effect.fail(
            usageError(`invalid message: the request line would be ${bytes} bytes as sent (with the envelope and any signature); servers accept at most ${lineLimit}`)
          )
      }
      const transport = yield* Transport
      const results = yield* Effect.forEach(
        targets,
        (target, i) => Effect.either(transport.publish(target.endpoint, args.channel, lines[i]!)),
        { concurrency: "unbounded" }
      )
      const failures = results.flatMap((result, i) =>
        Either.isLeft(result) ? [`${serverName(targets[i]!.endpoint)} (${result.left.detail})`] : []
      )
      if (failures.length > 0)
        return yield* Effect.fail(runtimeError(`not confirmed by ${failures.length} of ${targets.length} server(s): ${failures.join(", ")}`))
    }).pipe(Effect.provide(Transports.layer()))
).pipe(Command.withDescription("announce a message on a channel and confirm it with every targeted server"))
