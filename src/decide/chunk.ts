/**
 * A chunk of deliveries decided as data: the counts per outcome and the ordered
 * steps (log lines, actions to submit, messages to settle) that the daemon's interpreter runs.
 */
import * as LogLevel from "effect/LogLevel"
import type { BatchConfig } from "../config/model.js"
import type { LogLine } from "../log/batch.js"
import { emptyLimit, Limiter, type LimitPolicy, type LimitState } from "../log/limit.js"
import type { Delivery, Settle } from "../transport/transport.js"
import type { Hold } from "../cluster/quorum.js"
import type { DecideState, DedupeRecord, Execute, ExpiryChange, QuorumRecord, QuorumView, ServerPlan } from "./decision.js"
import { decisionLevel, decisionLine, outcomeOf } from "./outcome.js"
import { decide, orderKeyOf } from "./pipeline.js"
import { withSocket } from "../fail2ban/index.js"

/** What the interpreter does, in this order. */
export type Step =
  /** Log these lines (the level already let them through). */
  | { readonly _tag: "Log"; readonly lines: ReadonlyArray<LogLine> }
  /**
   * Hand an action to the executor; once it is queued, record `record` in the table of executed ids.
   * The delivery's settle hook, if any, is acknowledged when the action is done.
   */
  | {
    readonly _tag: "Submit"
    readonly delivery: Delivery
    readonly argv: ReadonlyArray<string>
    readonly timeoutMs: number
    readonly orderKey: string
    readonly record: DedupeRecord | undefined
    /** The channel's `batch:`: the executor may run this action in one process with others. */
    readonly batch: BatchConfig | undefined
    /** On a channel with `fail2ban_socket:` and a fail2ban-client action: sent over that socket, no process. */
    readonly fail2banSocket?: string
    /** On a channel with `quorum:`: the run, recorded in the quorum table once queued. */
    readonly quorum?: QuorumRecord
    /** Applied to the scheduled expiries once the action is queued, like `record`. */
    readonly expiry?: ExpiryChange
  }
  /** A message held or skipped at the quorum: remember its id and its count, though nothing runs. */
  | { readonly _tag: "Remember"; readonly record: DedupeRecord | undefined; readonly quorum: QuorumRecord | undefined }
  /** Acknowledge a final decision, or send back a delivery whose server a reload removed. */
  | { readonly _tag: "Settle"; readonly settle: Settle; readonly how: "Ack" | "Retry" }

/** How many deliveries of the chunk had one outcome (`f2bc_messages_total{outcome, stage}`). */
export interface OutcomeCount {
  readonly outcome: string
  readonly stage: string
  readonly label: string
  readonly n: number
}

export interface ChunkPlan {
  readonly counts: ReadonlyArray<OutcomeCount>
  readonly steps: ReadonlyArray<Step>
  /** The log's rate limit after this chunk, for the next one. */
  readonly limit: LimitState
  /** Lines the rate limit kept out of the log, by kind (`rejected at types`): counted, and summed up later. */
  readonly suppressed: ReadonlyMap<string, number>
}

export interface ChunkInput {
  /** The server's plan; `undefined` when a reload removed the server. */
  readonly plan: ServerPlan | undefined
  readonly deliveries: ReadonlyArray<Delivery>
  readonly nowMs: number
  /** Lines below this level are not built at all. */
  readonly minLevel: LogLevel.LogLevel
  /** The table of executed ids, read only. */
  readonly seen: DecideState["seen"]
  /** The quorum table, read only (absent: empty). */
  readonly quorum?: QuorumView
  /** The log's rate limit before this chunk (the previous chunk's `limit`; none open when absent), and its policy. */
  readonly limit?: LimitState
  readonly limitPolicy?: LimitPolicy
}

const submitOf = (plan: ServerPlan, delivery: Delivery, decision: Execute): Step => ({
  _tag: "Submit",
  delivery,
  argv: decision.argv,
  timeoutMs: Math.round(decision.channel.timeout * 1000),
  orderKey: orderKeyOf(plan, decision.message),
  record: decision.record,
  batch: decision.channel.batch,
  ...withSocket(decision.channel.fail2ban_socket, decision.argv),
  ...(decision.quorum === undefined ? {} : { quorum: decision.quorum }),
  ...(decision.expiry === undefined ? {} : { expiry: decision.expiry })
})

/** The log lines since the last step: they come out as one `Log` step before the step that follows them. */
class Lines {
  private pending: Array<LogLine> = []
  constructor(private readonly steps: Array<Step>) {}
  add(line: LogLine): void {
    this.pending.push(line)
  }
  flush(): void {
    if (this.pending.length === 0) return
    this.steps.push({ _tag: "Log", lines: this.pending })
    this.pending = []
  }
}

/**
 * Decides every delivery of a chunk in one plain loop: a flood of filtered
 * messages then costs no Effect per message (one Effect per delivery made
 * ingest 8× slower), only a count and, if the level lets it through, a line.
 *
 * Two copies of one `_id` in a chunk run once: an id is *claimed* when its
 * action is planned, and later deliveries of the chunk see the claim as a
 * duplicate. The table itself is written by the interpreter, only once the
 * executor has queued the action (`decisions.md`, issue 12).
 */
export const decideChunk = (input: ChunkInput): ChunkPlan => {
  const { plan, deliveries, nowMs, minLevel } = input
  const steps: Array<Step> = []
  const lines = new Lines(steps)
  // The windows that ended say how many lines they held back, before this chunk's lines.
  const limiter = new Limiter(input.limit ?? emptyLimit, nowMs, input.limitPolicy)
  // At log_level 3 (debug) the operator asked for every line: no limit.
  const limited = LogLevel.greaterThan(minLevel, LogLevel.Debug)
  for (const summary of limiter.summaries) if (LogLevel.greaterThanEqual(summary.level, minLevel)) lines.add(summary)
  const counts = new Map<string, { readonly outcome: string; readonly stage: string; readonly label: string; n: number }>()
  const claimed = new Map<string, number>()
  // A quorum counted earlier in the chunk, before the table has it: two origins in one chunk make a quorum.
  const holds = new Map<string, Hold>()
  const quorum: QuorumView = { holdOf: (key) => holds.get(key) ?? input.quorum?.holdOf(key) }
  // The table alone until the first claim: the common case (a flood of rejections) keeps one shape of `seen`.
  let state: DecideState = { nowMs, seen: input.seen, quorum }
  const withClaims: DecideState = { nowMs, seen: { seenAt: (key, now) => claimed.get(key) ?? input.seen.seenAt(key, now) }, quorum }
  for (let i = 0; i < deliveries.length; i++) {
    const delivery = deliveries[i]!
    if (plan === undefined) {
      // A server removed by a reload: a settled message goes back to be read again.
      if (delivery.settle !== undefined) steps.push({ _tag: "Settle", settle: delivery.settle, how: "Retry" })
      continue
    }
    const decision = decide(plan, delivery, state)
    const outcome = outcomeOf(decision)
    const count = counts.get(outcome.label)
    if (count === undefined) counts.set(outcome.label, { outcome: outcome.outcome, stage: outcome.stage, label: outcome.label, n: 1 })
    else count.n++
    const level = decisionLevel(decision)
    // Every decision is counted above; its line is logged within the rate limit of its kind.
    if (LogLevel.greaterThanEqual(level, minLevel) && (!limited || limiter.admit(outcome.line, level))) lines.add(decisionLine(decision, delivery, level))
    if (decision.record !== undefined) {
      claimed.set(decision.record.key, nowMs)
      state = withClaims
    }
    if (decision.quorum !== undefined) holds.set(decision.quorum.key, decision.quorum.hold)
    if (decision._tag === "Execute") {
      lines.flush()
      steps.push(submitOf(plan, delivery, decision))
      continue
    }
    if (decision.record !== undefined || decision.quorum !== undefined) {
      lines.flush()
      steps.push({ _tag: "Remember", record: decision.record, quorum: decision.quorum })
    }
    if (delivery.settle !== undefined) {
      lines.flush()
      steps.push({ _tag: "Settle", settle: delivery.settle, how: "Ack" })
    }
  }
  lines.flush()
  return { counts: [...counts.values()], steps, limit: limiter.state(), suppressed: limiter.suppressed }
}
