/**
 * `f2bc check`: validate the config and, given a channel and a message, show
 * per server whether it would pass and the exact argv — without running it.
 */
import * as Command from "@effect/cli/Command"
import * as Options from "@effect/cli/Options"
import * as Clock from "effect/Clock"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Either from "effect/Either"
import { randomBytes } from "node:crypto"
import type { ChannelConfig } from "../config/model.js"
import { decide, planServer } from "../decide/pipeline.js"
import { rejectionLine } from "../decide/rejection.js"
import { parseMessage } from "../message/index.js"
import { serverName } from "../transport/transport.js"
import { appendEnvelope, appendSignature, makeSeenTable, newEnvelope } from "../trust/index.js"
import { CliExit, usageError } from "./exit.js"
import { channel, channelHint, configPath, loadConfigBeside, message } from "./options.js"

/** The `_origin` of a checked message: never a real node's name. */
const CHECK_ORIGIN = "f2bc-check"

const published = (channel: ChannelConfig, text: string, nowMs: number): string => {
  const enveloped = appendEnvelope(text, newEnvelope(CHECK_ORIGIN, nowMs, randomBytes))
  const secret = channel.secrets[0]
  return secret === undefined ? enveloped : appendSignature(secret, channel.name, enveloped)
}

export const checkCommand = Command.make(
  "check",
  { config: configPath, channel: Options.optional(channel), message: Options.optional(message) },
  (args) =>
  Effect.gen(function* () {
    const config = yield* loadConfigBeside(args.config, Option.getOrUndefined(args.channel))
    const channels = config.servers.reduce((n, server) => n + server.channels.length, 0)
    yield* Console.log(
      `config ${config.source} is valid: ${config.servers.length} server(s), ${channels} channel(s)` +
        (config.broker ? `, embedded broker on ${serverName(config.broker)}` : "")
    )
    if (Option.isNone(args.channel) && Option.isNone(args.message)) return
    if (Option.isNone(args.channel) || Option.isNone(args.message))
      return yield* Effect.fail(
        usageError("check needs both --channel and --message for a dry run" + (Option.isSome(args.channel) ? channelHint(args.channel.value) : ""))
      )
    const delivery = { channel: args.channel.value, message: args.message.value }
    const parsed = parseMessage(delivery.message)
    // A message without envelope is checked as `f2bc publish` on another host would send it.
    const asPublished = Either.isRight(parsed) && parsed.right.kind === "pairs" && parsed.right.envelope.size === 0
    if (asPublished) yield* Console.log(`checking as published by another node (with _id, _ts, _origin=${CHECK_ORIGIN} and _sig where the channel has a secret)`)
    const nowMs = yield* Clock.currentTimeMillis
    let targeted = 0
    let executing = 0
    for (const server of config.servers) {
      if (!server.channels.some((c) => c.name === delivery.channel)) continue
      targeted++
      const channelConfig = server.channels.find((c) => c.name === delivery.channel)!
      const text = asPublished ? published(channelConfig, delivery.message, nowMs) : delivery.message
      // A fresh dedupe table per server: each line shows what that server alone would do.
      const decision = decide(planServer(server, config), { channel: delivery.channel, message: text, server: serverName(server) }, {
        nowMs,
        seen: makeSeenTable(1)
      })
      const where = `${serverName(server)} ${delivery.channel}`
      if (decision._tag === "Execute") {
        executing++
        yield* Console.log(`${where}: would run ${JSON.stringify(decision.argv)}`)
      } else yield* Console.log(`${where}: ${rejectionLine(decision.rejection)}`)
    }
    if (targeted === 0)
      return yield* Effect.fail(usageError(`no server in ${config.source} has a channel named "${delivery.channel}"` + channelHint(delivery.channel)))
    // Exit 1 when nothing would run, so scripts can test a message.
    if (executing === 0) return yield* Effect.fail(new CliExit({ code: 1, text: "" }))
  })
).pipe(Command.withDescription("validate the config; with -c/-m, show what a message would run (without running it)"))
