/**
 * The decision model: what one delivery leads to (an action and what to remember of it, or a
 * rejection), and the per-server plan every decision reads. `pipeline.ts` decides, `chunk.ts` plans a chunk.
 */
import type { Hold } from "../cluster/quorum.js"
import type { ExpiryTarget } from "../cluster/expiry.js"
import type { ChannelConfig, Config, ServerConfig } from "../config/model.js"
import type { Message } from "../message/index.js"
import type { IgnoreList, SeenTable } from "../trust/index.js"
import type { Rejection } from "./rejection.js"

export type { Rejection, Stage } from "./rejection.js"

/** What to record in the table of executed ids once the action is queued (`SeenTable.record`). */
export interface DedupeRecord {
  /** The message's id on its channel: `<channel>!<_id>`. */
  readonly key: string
  readonly expiresAtMs: number
  /** A signed channel's id: unsigned traffic cannot evict it (the replay guard). */
  readonly pinned: boolean
}

/** What the quorum table keeps for an action after this message (written by the daemon, as `record` is). */
export interface QuorumRecord {
  /** The channel and the rendered argv. */
  readonly key: string
  readonly hold: Hold
  /** The channel's window: when the hold stops mattering. */
  readonly windowMs: number
}

/** The quorum table, read only: an action's hold, if any (possibly past its window: `countHold` reads it so). */
export interface QuorumView {
  readonly holdOf: (key: string) => Hold | undefined
}

export interface Execute {
  readonly _tag: "Execute"
  readonly channel: ChannelConfig
  readonly message: Message
  readonly argv: ReadonlyArray<string>
  /** Absent for a message without `_id`. */
  readonly record?: DedupeRecord
  /** On a channel with `quorum:`, the run that reached it: recorded once queued. */
  readonly quorum?: QuorumRecord
  /** On a channel with `expire_action`: what to do to the schedule once the action is queued. */
  readonly expiry?: ExpiryChange
}

/** A ban with `ban_until` schedules its expiry (or extends it, or with no end unschedules it); an unban cancels it. */
export type ExpiryChange =
  | { readonly _tag: "Schedule"; readonly target: ExpiryTarget; readonly banUntilS: number }
  | { readonly _tag: "Cancel"; readonly argv: ReadonlyArray<string> }

export interface Refused {
  readonly _tag: "Refused"
  readonly rejection: Rejection
  /** Held or skipped at the quorum only: its id and its count are remembered although nothing runs. */
  readonly record?: DedupeRecord
  readonly quorum?: QuorumRecord
}

export type Decision = Execute | Refused

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
  /** The key whose value orders actions (`order_key`). */
  readonly orderKey: string
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
  policy: trustPolicy(config),
  orderKey: config.order_key
})

/** What a decision consults besides its input: the clock and, read only, the executed ids. */
export interface DecideState {
  readonly nowMs: number
  readonly seen: Pick<SeenTable, "seenAt">
  /** The quorum table; absent: empty (every quorum starts from this message). */
  readonly quorum?: QuorumView
}

/** Records an executed message, as `Execute.record` says; returns the live entries evicted for it. */
export const recordExecuted = (seen: SeenTable, record: DedupeRecord, nowMs: number): number =>
  seen.record(record.key, nowMs, record.expiresAtMs, record.pinned)
