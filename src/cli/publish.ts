/**
 * `f2bc publish`: announce one message to every configured server that has
 * the channel, or to exactly --host/--port, and confirm each with a ping.
 */
import * as Command from "@effect/cli/Command"
import * as Options from "@effect/cli/Options"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import { Defaults } from "../config/model.js"
import { parseMessage } from "../message/index.js"
import { isReservedChannel, validateChannelName, validateMessageText } from "../protocol/names.js"
import * as Fanout from "../transport/fanout/index.js"
import { serverName, Transport, type Endpoint } from "../transport/transport.js"
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

const DEFAULT_PORT = 1986

/** Refuses, before anything is sent, what the wire or the grammar would reject. */
const validate = (channelName: string, text: string) =>
  Effect.gen(function* () {
    yield* validateChannelName(channelName).pipe(Effect.mapError((error) => usageError(error.message)))
    if (isReservedChannel(channelName))
      return yield* Effect.fail(usageError(`channel "${channelName}" is reserved by the fanout protocol`))
    yield* validateMessageText(text).pipe(Effect.mapError((error) => usageError(error.message)))
    const parsed = parseMessage(text)
    if (Either.isLeft(parsed)) return yield* Effect.fail(usageError(`invalid message: ${parsed.left.message}`))
  })

export const publishCommand = Command.make(
  "publish",
  { channel, message, host, port, config: configPath, timeout },
  (args) =>
    Effect.gen(function* () {
      yield* validate(args.channel, args.message)
      if (args.timeout < 1 || args.timeout > 3600)
        return yield* Effect.fail(usageError(`--timeout must be from 1 to 3600 seconds, got ${args.timeout}`))
      const timeoutMs = args.timeout * 1000
      const endpoint = (h: string, p: number): Endpoint => ({
        host: h,
        port: p,
        channels: [],
        pingTimeoutMs: timeoutMs,
        maxLineBytes: Defaults.max_line_bytes
      })
      let targets: ReadonlyArray<Endpoint>
      if (Option.isSome(args.host) || Option.isSome(args.port)) {
        const p = Option.getOrElse(args.port, () => DEFAULT_PORT)
        if (p < 1 || p > 65535) return yield* Effect.fail(usageError(`--port must be from 1 to 65535, got ${p}`))
        targets = [endpoint(Option.getOrElse(args.host, () => "127.0.0.1"), p)]
      } else {
        const config = yield* loadConfigFrom(args.config)
        targets = config.servers
          .filter((server) => server.channels.some((c) => c.name === args.channel))
          .map((server) => endpoint(server.host, server.port))
        if (targets.length === 0)
          return yield* Effect.fail(usageError(`no server in ${config.source} has a channel named "${args.channel}"`))
      }
      const transport = yield* Transport
      const results = yield* Effect.forEach(
        targets,
        (target) => Effect.either(transport.publish(target, args.channel, args.message)),
        { concurrency: "unbounded" }
      )
      const failures = results.flatMap((result, i) => (Either.isLeft(result) ? [`${serverName(targets[i]!)} (${result.left.detail})`] : []))
      if (failures.length > 0)
        return yield* Effect.fail(runtimeError(`not confirmed by ${failures.length} of ${targets.length} server(s): ${failures.join(", ")}`))
    }).pipe(Effect.provide(Fanout.layer()))
).pipe(Command.withDescription("announce a message on a channel and confirm it with every targeted server"))
