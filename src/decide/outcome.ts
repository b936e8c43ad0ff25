/**
 * How a decision is counted and logged: its outcome and stage (the labels of
 * `f2bc_messages_total` and of `daemon status`), and its log line and level.
 */
import * as LogLevel from "effect/LogLevel"
import type { LogLine } from "../log/batch.js"
import type { Delivery } from "../transport/transport.js"
import { clip } from "../text/untrusted.js"
import type { Decision } from "./decision.js"
import { keyOf, outcomeOf as outcomeOfRejection, rejectionLine, stageOf, type Rejection } from "./rejection.js"

export interface Outcome {
  readonly outcome: "executed" | "ignored" | "skipped" | "held" | "rejected"
  readonly stage: string
  /** As `daemon status` shows it: `executed`, `ignored`, `rejected at filter`. */
  readonly label: string
  /** The kind of its log line, as the rate limit's summary names it: `accepted`, `ignored`, `rejected at filter`. */
  readonly line: string
}

const EXECUTED: Outcome = { outcome: "executed", stage: "execute", label: "executed", line: "accepted" }
const IGNORED: Outcome = { outcome: "ignored", stage: "channel", label: "ignored", line: "ignored" }

export const outcomeOf = (decision: Decision): Outcome => {
  if (decision._tag === "Execute") return EXECUTED
  const outcome = outcomeOfRejection(decision.rejection)
  if (outcome === "ignored") return IGNORED
  const stage = stageOf(decision.rejection)
  const label = `${outcome} at ${stage}`
  return { outcome, stage, label, line: label }
}

/** The level a rejection is logged at. */
export const rejectionLevel = (rejection: Rejection): LogLevel.LogLevel => {
  switch (outcomeOfRejection(rejection)) {
    case "ignored":
      return LogLevel.Debug
    case "skipped":
    case "held":
      return LogLevel.Info
    case "rejected":
      // An expected policy outcome is info; anything that looks like an attack or a broken publisher is a warning.
      return rejection._tag === "Filter" || rejection._tag === "Ignoreip" ? LogLevel.Info : LogLevel.Warning
  }
}

/** The level a decision is logged at, so a chunk can skip what the level filters out. */
export const decisionLevel = (decision: Decision): LogLevel.LogLevel =>
  decision._tag === "Execute" ? LogLevel.Debug : rejectionLevel(decision.rejection)

/**
 * The log line of a decision, annotated with its channel (and the message, and the key a stage blames).
 * The message is the network's: only its first `SHOWN_PREFIX` characters are shown (`clip`).
 */
export const decisionLine = (decision: Decision, delivery: Delivery, level: LogLevel.LogLevel = decisionLevel(decision)): LogLine => {
  if (decision._tag === "Execute") return { level, message: "accepted", annotations: { channel: delivery.channel, message: clip(delivery.message) } }
  const { rejection } = decision
  const message = rejectionLine(rejection)
  if (rejection._tag === "Channel") return { level, message, annotations: { channel: delivery.channel } }
  const key = keyOf(rejection)
  const shown = clip(delivery.message)
  return {
    level,
    message,
    annotations: key === undefined ? { channel: delivery.channel, message: shown } : { channel: delivery.channel, message: shown, key }
  }
}
