/**
 * What a message does to the scheduled expiries of a channel with `expire_action`: `action=unbanip` cancels
 * the expiry its rendering names, a message with `ban_until` schedules one; others leave the schedule alone.
 */
import * as Either from "effect/Either"
import { renderArgv } from "../action/index.js"
import type { ChannelConfig } from "../config/model.js"
import type { Message } from "../message/index.js"
import type { ExpiryChange } from "./decision.js"
import type { Rejection } from "./rejection.js"

/** The value of `action` that cancels an expiry (fail2ban's name for lifting a ban). */
export const UNBAN = "unbanip"

/**
 * The change, or undefined. A ban whose expire action cannot be rendered is refused (it would never be
 * lifted); an unban that cannot be rendered cancels nothing. `orderKey` is the message's order key value.
 */
export const expiryOf = (channel: ChannelConfig, message: Message, orderKey: string): Either.Either<ExpiryChange | undefined, Rejection> => {
  const expire = channel.expire
  if (expire === undefined || message.kind !== "pairs") return Either.right(undefined)
  const unban = message.fields.get("action") === UNBAN
  const until = message.fields.get("ban_until")
  if (!unban && until === undefined) return Either.right(undefined)
  const argv = renderArgv(expire.template, { fields: message.fields, body: message.body, channel: channel.name }, channel.missing)
  if (Either.isLeft(argv)) return unban ? Either.right(undefined) : Either.left({ _tag: "Render", error: argv.left, expire: true })
  if (unban) return Either.right({ _tag: "Cancel", argv: argv.right })
  // `ban_until` is typed int unless the config retyped it; anything else is no end.
  const banUntilS = /^-?\d+$/.test(until!) ? Number(until) : -1
  return Either.right({ _tag: "Schedule", target: { argv: argv.right, channel: channel.name, orderKey }, banUntilS })
}
