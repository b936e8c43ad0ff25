/**
 * The decision for one delivery, stage by stage in the order docs/security.md gives:
 * grammar → envelope/signature → timestamp → duplicate → origin → types →
 * ignoreip → filter → render. Pure but for the table of executed ids it is given.
 */
import * as Either from "effect/Either"
import { renderArgv } from "../action/index.js"
import type { ChannelConfig, Config, ServerConfig } from "../config/model.js"
import { checkFilters, describeVerdict } from "../filter/index.js"
import { parseMessage, type Message, type MessageError } from "../message/index.js"
import { isReservedChannel } from "../protocol/names.js"
import type { Delivery } from "../transport/transport.js"
import {
  checkBody,
  checkFields,
  describeSignatureProblem,
  ignoredBy,
  readEnvelope,
  verifySignature,
  type Envelope,
  type IgnoreList,
  type SeenTable
} from "../trust/index.js"

/** The pipeline stages, named as they appear in logs ("rejected at <stage>") and metrics. */
export type Stage =
  | "channel"
  | "grammar"
  | "envelope"
  | "signature"
  | "timestamp"
  | "duplicate"
  | "origin"
  | "types"
  | "ignoreip"
  | "filter"
  | "render"

export type Decision =
  | {
    readonly _tag: "Execute"
    readonly channel: ChannelConfig
    readonly message: Message
    readonly argv: ReadonlyArray<string>
    /** Live dedupe entries evicted to record this message (the table was full). */
    readonly evicted: number
    /** The key this message was recorded under in the table of executed ids (absent without `_id`). */
    readonly dedupeKey?: string
  }
  | { readonly _tag: "Ignore"; readonly reason: string }
  /** Expected and harmless: the daemon's own message, or one already executed. */
  | { readonly _tag: "Skip"; readonly stage: "duplicate" | "origin"; readonly reason: string }
  | { readonly _tag: "Reject"; readonly stage: Stage; readonly reason: string; readonly key?: string }

/** The daemon-wide trust settings every server's plan shares. */
export interface TrustPolicy {
  readonly nodeName: string
  readonly maxSkewMs: number
  readonly dedupeWindowMs: number
  readonly ignore: IgnoreList
}

/** One server's channels, looked up by name for every delivery. */
export interface ServerPlan {
  readonly server: ServerConfig
  readonly channels: ReadonlyMap<string, ChannelConfig>
  readonly policy: TrustPolicy
}

export const trustPolicy = (config: Config): TrustPolicy => ({
  nodeName: config.node_name,
  maxSkewMs: config.max_skew * 1000,
  dedupeWindowMs: config.dedupe_window * 1000,
  ignore: config.ignoreip
})

export const planServer = (server: ServerConfig, config: Config): ServerPlan => ({
  server,
  channels: new Map(server.channels.map((channel) => [channel.name, channel])),
  policy: trustPolicy(config)
})

/** What a decision may consult and change besides its input: the clock and the executed ids. */
export interface DecideState {
  readonly nowMs: number
  readonly seen: SeenTable
}

const reject = (stage: Stage, reason: string, key?: string): Decision =>
  key === undefined ? { _tag: "Reject", stage, reason } : { _tag: "Reject", stage, reason, key }

const SHOWN_VALUE = 80
const shown = (value: string): string =>
  JSON.stringify(value.length > SHOWN_VALUE ? `${value.slice(0, SHOWN_VALUE)}…` : value)

/** The key a grammar error names, when it is a well-formed key (a bad key is quoted in the reason instead). */
const offendingKey = (error: MessageError): string | undefined =>
  error.reason === "DuplicateKey" || error.reason === "ReservedKey" ? error.part : undefined

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
): Decision | undefined => {
  for (const key of ["_id", "_ts"] as const) {
    if (!message.envelope.has(key)) return reject("envelope", `${key} is missing (a signed channel needs _id and _ts)`, key)
  }
  const verified = verifySignature(
    channel.secrets,
    delivery.channel,
    message.text,
    envelope.sig !== undefined,
    message.pairs[message.pairs.length - 1]
  )
  if (Either.isLeft(verified)) return reject("signature", describeSignatureProblem(verified.left), "_sig")
  const skewMs = Math.abs(nowMs - envelope.ts! * 1000)
  if (skewMs > policy.maxSkewMs) {
    const direction = envelope.ts! * 1000 > nowMs ? "ahead of" : "behind"
    return reject(
      "timestamp",
      `_ts=${envelope.ts} is ${Math.round(skewMs / 1000)} s ${direction} this host's clock (max_skew ${policy.maxSkewMs / 1000} s)`,
      "_ts"
    )
  }
  return undefined
}

export const decide = (plan: ServerPlan, delivery: Delivery, state: DecideState): Decision => {
  if (isReservedChannel(delivery.channel)) return { _tag: "Ignore", reason: `delivery on reserved channel "${delivery.channel}"` }
  const channel = plan.channels.get(delivery.channel)
  if (channel === undefined) return { _tag: "Ignore", reason: `delivery on unconfigured channel "${delivery.channel}"` }
  const { policy } = plan

  const parsed = parseMessage(delivery.message)
  if (Either.isLeft(parsed)) return reject("grammar", parsed.left.message, offendingKey(parsed.left))
  const message = parsed.right

  const read = readEnvelope(message.envelope)
  if (Either.isLeft(read)) return reject("envelope", read.left.problem, read.left.key)
  const envelope = read.right

  // A channel is signed when secret files are configured, even if none could be read: fail closed.
  if (channel.secret_files.length > 0) {
    const refused = checkSigned(channel, delivery, message, envelope, policy, state.nowMs)
    if (refused !== undefined) return refused
  }

  const key = dedupeKey(delivery.channel, envelope)
  if (key !== undefined) {
    const at = state.seen.seenAt(key, state.nowMs)
    if (at !== undefined) {
      const ago = ((state.nowMs - at) / 1000).toFixed(1)
      return {
        _tag: "Skip",
        stage: "duplicate",
        reason: `duplicate of _id=${envelope.id} executed ${ago} s ago (received through another server, or replayed)`
      }
    }
  }

  if (envelope.origin !== undefined && envelope.origin === policy.nodeName) {
    return {
      _tag: "Skip",
      stage: "origin",
      reason: `own message: _origin=${envelope.origin} is this daemon's node_name (a host does not re-apply its own bans)`
    }
  }

  const badValue = message.kind === "plain" ? checkBody(message.body) : checkFields(message.fields, channel.types)
  if (badValue !== undefined) return reject("types", `${badValue.key}=${shown(badValue.value)} ${badValue.problem}`, badValue.key)
  if (message.kind === "pairs") {
    const badBody = checkBody(message.body)
    if (badBody !== undefined) return reject("types", `the message text ${badBody.problem}`, "_msg")
  }

  const ip = message.fields.get("ip")
  if (ip !== undefined) {
    const entry = ignoredBy(policy.ignore, ip)
    if (entry !== undefined) return reject("ignoreip", `ip=${ip} is in ignoreip (${entry.text}): never acted on`, "ip")
  }

  const verdict = checkFilters({ server: plan.server.filter, channel: channel.filter }, message.fields)
  if (verdict._tag === "Reject") return reject("filter", describeVerdict(verdict))

  const argv = renderArgv(channel.template, { fields: message.fields, body: message.body, channel: channel.name }, channel.missing)
  if (Either.isLeft(argv)) return reject("render", argv.left.message, argv.left.key)

  // Remembered once it will run: a copy through another server, or a replay, is skipped.
  // A signed channel's ids are pinned: unsigned traffic cannot evict them and reopen a replay.
  const evicted = key === undefined
    ? 0
    : state.seen.record(key, state.nowMs, expiry(channel, envelope, policy, state.nowMs), channel.secret_files.length > 0)
  return key === undefined
    ? { _tag: "Execute", channel, message, argv: argv.right, evicted }
    : { _tag: "Execute", channel, message, argv: argv.right, evicted, dedupeKey: key }
}

/**
 * How long an executed id is remembered: the dedupe window, and on a signed
 * channel at least until its `_ts` leaves the skew window (after that the
 * timestamp check refuses a replay by itself).
 */
const expiry = (channel: ChannelConfig, envelope: Envelope, policy: TrustPolicy, nowMs: number): number => {
  const window = nowMs + policy.dedupeWindowMs
  if (channel.secret_files.length === 0 || envelope.ts === undefined) return window
  return Math.max(window, envelope.ts * 1000 + policy.maxSkewMs + 1000)
}
