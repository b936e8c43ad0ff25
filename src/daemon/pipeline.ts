/**
 * The pure decision for one delivery: parse the message, apply the server's
 * and the channel's filters, render the action's argv. No I/O.
 */
import * as Either from "effect/Either"
import { renderArgv } from "../action/index.js"
import type { ChannelConfig, ServerConfig } from "../config/model.js"
import { checkFilters, describeVerdict } from "../filter/index.js"
import { parseMessage, type Message } from "../message/index.js"
import { isReservedChannel } from "../protocol/names.js"
import type { Delivery } from "../transport/transport.js"

/** The pipeline stages, named as they appear in logs ("rejected at <stage>"). */
export type Stage = "channel" | "grammar" | "filter" | "render"

export type Decision =
  | { readonly _tag: "Execute"; readonly channel: ChannelConfig; readonly message: Message; readonly argv: ReadonlyArray<string> }
  | { readonly _tag: "Ignore"; readonly reason: string }
  | { readonly _tag: "Reject"; readonly stage: Stage; readonly reason: string }

/** One server's channels, looked up by name for every delivery. */
export interface ServerPlan {
  readonly server: ServerConfig
  readonly channels: ReadonlyMap<string, ChannelConfig>
}

export const planServer = (server: ServerConfig): ServerPlan => ({
  server,
  channels: new Map(server.channels.map((channel) => [channel.name, channel]))
})

export const decide = (plan: ServerPlan, delivery: Delivery): Decision => {
  if (isReservedChannel(delivery.channel)) return { _tag: "Ignore", reason: `delivery on reserved channel "${delivery.channel}"` }
  const channel = plan.channels.get(delivery.channel)
  if (channel === undefined) return { _tag: "Ignore", reason: `delivery on unconfigured channel "${delivery.channel}"` }

  const parsed = parseMessage(delivery.message)
  if (Either.isLeft(parsed)) return { _tag: "Reject", stage: "grammar", reason: parsed.left.message }
  const message = parsed.right

  const verdict = checkFilters({ server: plan.server.filter, channel: channel.filter }, message.fields)
  if (verdict._tag === "Reject") return { _tag: "Reject", stage: "filter", reason: describeVerdict(verdict) }

  const argv = renderArgv(channel.template, { fields: message.fields, body: message.body, channel: channel.name }, channel.missing)
  if (Either.isLeft(argv)) return { _tag: "Reject", stage: "render", reason: argv.left.message }

  return { _tag: "Execute", channel, message, argv: argv.right }
}
