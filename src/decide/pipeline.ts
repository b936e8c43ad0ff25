/**
 * The decision for one delivery, stage by stage in the order docs/security.md gives:
 * grammar → envelope/signature → timestamp → duplicate → origin → types →
 * ignoreip → filter → render → quorum. Pure: it reads the tables of executed ids and of quorums, and never writes them.
 */
import * as Either from "effect/Either"
import { renderArgv } from "../action/index.js"
import { countHold } from "../cluster/quorum.js"
import type { ChannelConfig } from "../config/model.js"
import type { QuorumConfig } from "../config/quorum.js"
import { checkFilters } from "../filter/index.js"
import { parseMessage, type Message } from "../message/index.js"
import { isReservedChannel } from "../protocol/names.js"
import type { Delivery } from "../transport/transport.js"
import { checkBody, checkFields, ignoredBy, readEnvelope, signerOf, verifySignature, type Envelope } from "../trust/index.js"
import type { DecideState, Decision, Execute, ServerPlan, TrustPolicy } from "./decision.js"
import { expiryOf } from "./expire.js"
import type { Rejection } from "./rejection.js"

export { planServer, recordExecuted, trustPolicy } from "./decision.js"
export type { DecideState, Decision, DedupeRecord, Execute, QuorumRecord, QuorumView, Refused, Rejection, ServerPlan, Stage, TrustPolicy } from "./decision.js"

const refuse = (rejection: Rejection): Decision => ({ _tag: "Refused", rejection })

/** The key an executed message is remembered by: its id on its channel. */
const dedupeKey = (channel: string, envelope: Envelope): string | undefined =>
  envelope.id === undefined ? undefined : `${channel}!${envelope.id}`

/** Signature and timestamp, on a channel with a secret. */
const checkSigned = (
  channel: ChannelConfig,
  delivery: Delivery,
  message: Message,
  envelope: Envelope,
  policy: TrustPolicy,
  nowMs: number
): Rejection | undefined => {
  for (const key of ["_id", "_ts"] as const) {
    if (!message.envelope.has(key)) return { _tag: "Envelope", reason: "Missing", key }
  }
  const verified = verifySignature(
    channel.secrets,
    delivery.channel,
    message.text,
    envelope.sig !== undefined,
    message.pairs[message.pairs.length - 1]
  )
  if (Either.isLeft(verified)) return verified.left
  const ts = envelope.ts!
  if (Math.abs(nowMs - ts * 1000) > policy.maxSkewMs) return { _tag: "Timestamp", ts, nowMs, maxSkewMs: policy.maxSkewMs }
  return undefined
}

/** The stages after the envelope that need no table: origin excepted, values, ignoreip, filter. */
const checkContent = (plan: ServerPlan, channel: ChannelConfig, message: Message): Rejection | undefined => {
  const badValue = message.kind === "plain" ? checkBody(message.body) : checkFields(message.fields, channel.types) ?? checkBody(message.body, true)
  if (badValue !== undefined) return badValue
  const ip = message.fields.get("ip")
  if (ip !== undefined) {
    const entry = ignoredBy(plan.policy.ignore, ip)
    if (entry !== undefined) return { _tag: "Ignoreip", ip, entry: entry.text }
  }
  const verdict = checkFilters({ server: plan.server.filter, channel: channel.filter }, message.fields)
  return verdict._tag === "Reject" ? { _tag: "Filter", verdict } : undefined
}

export const decide = (plan: ServerPlan, delivery: Delivery, state: DecideState): Decision => {
  if (isReservedChannel(delivery.channel)) return refuse({ _tag: "Channel", reason: "Reserved", channel: delivery.channel })
  const channel = plan.channels.get(delivery.channel)
  if (channel === undefined) return refuse({ _tag: "Channel", reason: "Unconfigured", channel: delivery.channel })
  const { policy } = plan

  const parsed = parseMessage(delivery.message)
  if (Either.isLeft(parsed)) return refuse({ _tag: "Grammar", error: parsed.left })
  const message = parsed.right

  const read = readEnvelope(message.envelope)
  if (Either.isLeft(read)) return refuse(read.left)
  const envelope = read.right

  // A channel is signed when secret files are configured, even if none could be read: fail closed.
  const signed = channel.secret_files.length > 0
  if (signed) {
    const refused = checkSigned(channel, delivery, message, envelope, policy, state.nowMs)
    if (refused !== undefined) return refuse(refused)
  }

  const key = dedupeKey(delivery.channel, envelope)
  if (key !== undefined) {
    const at = state.seen.seenAt(key, state.nowMs)
    if (at !== undefined) return refuse({ _tag: "Duplicate", id: envelope.id!, agoMs: state.nowMs - at })
  }

  if (envelope.origin !== undefined && envelope.origin === policy.nodeName) return refuse({ _tag: "Origin", origin: envelope.origin })

  const refused = checkContent(plan, channel, message)
  if (refused !== undefined) return refuse(refused)

  const argv = renderArgv(channel.template, { fields: message.fields, body: message.body, channel: channel.name }, channel.missing)
  if (Either.isLeft(argv)) return refuse({ _tag: "Render", error: argv.left })
  const change = expiryOf(channel, message, orderKeyOf(plan, message))
  if (Either.isLeft(change)) return refuse(change.left)
  const scheduled = change.right === undefined ? {} : { expiry: change.right }

  // To be remembered once it is queued: a copy through another server, or a replay, is then skipped.
  // A signed channel's ids are pinned: unsigned traffic cannot evict them and reopen a replay.
  const execute: Execute = key === undefined
    ? { _tag: "Execute", channel, message, argv: argv.right, ...scheduled }
    : { _tag: "Execute", channel, message, argv: argv.right, record: { key, expiresAtMs: expiry(signed, envelope, policy, state.nowMs), pinned: signed }, ...scheduled }
  if (channel.quorum === undefined || !needsQuorum(channel.quorum, message)) return execute
  // Counting keys, the counted origin is the secret that signed: one host holds one key, whatever _origin it writes.
  const origin = channel.quorum.count === "keys" ? signerOf(channel.secrets, delivery.channel, message.text) : envelope.origin
  return atQuorum(execute, channel.quorum, origin, state)
}

/** `quorum.actions` names the `action` values that need it; a message without `action` needs it too (fail closed). */
const needsQuorum = (quorum: QuorumConfig, message: Message): boolean => {
  if (quorum.actions === undefined) return true
  const action = message.fields.get("action")
  return action === undefined || quorum.actions.includes(action)
}

/**
 * The quorum stage, after every other (a replay is already a duplicate, a rejected copy never
 * counts): the action is keyed by its channel and argv, and this message's `_origin` counted.
 */
const atQuorum = (execute: Execute, quorum: QuorumConfig, origin: string | undefined, state: DecideState): Decision => {
  if (origin === undefined) return refuse({ _tag: "Envelope", reason: "Missing", key: "_origin" })
  const key = `${execute.channel.name}\u0000${JSON.stringify(execute.argv)}`
  const windowMs = quorum.window * 1000
  const before = state.quorum?.holdOf(key)
  const { hold, verdict } = countHold(before, { origins: quorum.origins, windowMs }, origin, state.nowMs)
  const counted = hold === before ? {} : { quorum: { key, hold, windowMs } }
  if (verdict._tag === "Run") return { ...execute, ...counted }
  const rejection = { _tag: "Quorum", verdict, argv: execute.argv, windowMs, nowMs: state.nowMs } as const
  return { _tag: "Refused", rejection, ...(execute.record === undefined ? {} : { record: execute.record }), ...counted }
}

/** The value that orders a message's actions: its `order_key`, else its body (the raw text differs by its _id). */
export const orderKeyOf = (plan: ServerPlan, message: Message): string => message.fields.get(plan.orderKey) ?? `\u0000${message.body}`

/**
 * How long an executed id is remembered: the dedupe window, and on a signed
 * channel at least until its `_ts` leaves the skew window (after that the
 * timestamp check refuses a replay by itself).
 */
const expiry = (signed: boolean, envelope: Envelope, policy: TrustPolicy, nowMs: number): number => {
  const window = nowMs + policy.dedupeWindowMs
  if (!signed || envelope.ts === undefined) return window
  return Math.max(window, envelope.ts * 1000 + policy.maxSkewMs + 1000)
}
