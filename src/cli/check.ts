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
import { randomBytes } from "node:crypto"
import { CHECK_ORIGIN, checkMessage } from "../decide/check.js"
import type { ExpiryChange } from "../decide/decision.js"
import { socketFor } from "../fail2ban/index.js"
import { rejectionLine } from "../decide/rejection.js"
import { escapeUnsafe } from "../text/untrusted.js"
import { serverName } from "../transport/transport.js"
import { CliExit, usageError } from "./exit.js"
import { channel, channelHint, configPath, loadConfigBeside, message } from "./options.js"

/** What the message would do to the channel's scheduled expiries. */
const describeExpiry = (change: ExpiryChange): string =>
  change._tag === "Cancel"
    ? `would cancel a scheduled expiry of ${JSON.stringify(change.argv)}`
    : change.banUntilS < 0
    ? "no end (ban_until -1): nothing scheduled, an expiry already scheduled for it is dropped"
    : `would schedule expire_action at ${new Date(change.banUntilS * 1000).toISOString()} (ban_until ${change.banUntilS}): ${JSON.stringify(change.target.argv)}`

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
    const nowMs = yield* Clock.currentTimeMillis
    const checked = checkMessage(config, args.channel.value, args.message.value, nowMs, randomBytes, serverName)
    if (checked.asPublished) yield* Console.log(`checking as published by another node (with _id, _ts, _origin=${CHECK_ORIGIN} and _sig where the channel has a secret)`)
    const targeted = checked.servers.length
    let executing = 0
    for (const { server, decision } of checked.servers) {
      // The channel and the message are the user's, maybe pasted from a log: shown escaped, as the log does.
      const where = `${serverName(server)} ${escapeUnsafe(args.channel.value)}`
      if (decision._tag === "Execute") {
        executing++
        const socket = socketFor(decision.channel.fail2ban_socket, decision.argv)
        const via = socket === undefined ? "" : ` over fail2ban's socket ${escapeUnsafe(socket)} (fail2ban_socket: no process)`
        yield* Console.log(`${where}: would run ${escapeUnsafe(JSON.stringify(decision.argv))}${via}`)
        if (decision.expiry !== undefined) yield* Console.log(`${where}: ${escapeUnsafe(describeExpiry(decision.expiry))}`)
      } else if (decision.rejection._tag === "Quorum" && decision.rejection.verdict._tag === "Held") {
        // Accepted, and waiting for more origins: it runs once they sent it too.
        executing++
        const { verdict, argv, windowMs } = decision.rejection
        yield* Console.log(
          `${where}: ${escapeUnsafe(rejectionLine(decision.rejection))}; runs ${escapeUnsafe(JSON.stringify(argv))} once ${verdict.needed} origins sent it within ${windowMs / 1000} s`
        )
      } else yield* Console.log(`${where}: ${escapeUnsafe(rejectionLine(decision.rejection))}`)
    }
    if (targeted === 0)
      return yield* Effect.fail(usageError(`no server in ${config.source} has a channel named "${escapeUnsafe(args.channel.value)}"` + channelHint(args.channel.value)))
    // Exit 1 when nothing would run (a message held at a quorum would, with more origins), so scripts can test a message.
    if (executing === 0) return yield* Effect.fail(new CliExit({ code: 1, text: "" }))
  })
).pipe(Command.withDescription("validate the config; with -c/-m, show what a message would run (without running it)"))
