/**
 * Why a delivery does not run, as data: one tagged union of causes (stage, reason, offending key and
 * the values that phrase it), and the one renderer that logs, metrics and `f2bc check` show.
 */
import type { RenderError } from "../action/index.js"
import { describeQuorum, type QuorumVerdict } from "../cluster/quorum.js"
import type { FilterVerdict } from "../filter/index.js"
import type { MessageError } from "../message/index.js"
import { quote } from "../text/untrusted.js"
import {
  describeValueType,
  SIG_SEPARATOR,
  type EnvelopeRejection,
  type SignatureRejection,
  type ValueProblem,
  type ValueRejection
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
  | "quorum"

/** Every cause of a delivery that does not run; `trust/` owns the shapes of its own stages. */
export type Rejection =
  /** A delivery on `all`, `debug` or a channel this server has no entry for: ignored. */
  | { readonly _tag: "Channel"; readonly reason: "Reserved" | "Unconfigured"; readonly channel: string }
  | { readonly _tag: "Grammar"; readonly error: MessageError }
  | EnvelopeRejection
  | SignatureRejection
  | { readonly _tag: "Timestamp"; readonly ts: number; readonly nowMs: number; readonly maxSkewMs: number }
  /** Already executed (through another server, or replayed): skipped. */
  | { readonly _tag: "Duplicate"; readonly id: string; readonly agoMs: number }
  /** The daemon's own message: skipped. */
  | { readonly _tag: "Origin"; readonly origin: string }
  | ValueRejection
  | { readonly _tag: "Ignoreip"; readonly ip: string; readonly entry: string }
  | { readonly _tag: "Filter"; readonly verdict: Extract<FilterVerdict, { _tag: "Reject" }> }
  | { readonly _tag: "Render"; readonly error: RenderError; readonly expire?: boolean }
  /** Held until more origins send the same action, or skipped because it already ran (a channel's `quorum:`). */
  | {
    readonly _tag: "Quorum"
    readonly verdict: Exclude<QuorumVerdict, { _tag: "Run" }>
    /** What runs once the quorum is reached, and the quorum it needs (`f2bc check` shows them). */
    readonly argv: ReadonlyArray<string>
    readonly windowMs: number
    readonly nowMs: number
  }

const STAGES: { readonly [K in Rejection["_tag"]]: Stage } = {
  Channel: "channel",
  Grammar: "grammar",
  Envelope: "envelope",
  Signature: "signature",
  Timestamp: "timestamp",
  Duplicate: "duplicate",
  Origin: "origin",
  Types: "types",
  Ignoreip: "ignoreip",
  Filter: "filter",
  Render: "render",
  Quorum: "quorum"
}

export const stageOf = (rejection: Rejection): Stage => STAGES[rejection._tag]

type Tag = Rejection["_tag"]
const TAGS = Object.keys(STAGES) as ReadonlyArray<Tag>

/** `ignored` (not for this server), `skipped` (expected and harmless), `held` (waiting for a quorum) or `rejected`. */
const outcomeOfTag = (tag: Tag): "ignored" | "skipped" | "rejected" =>
  tag === "Channel" ? "ignored" : tag === "Duplicate" || tag === "Origin" || tag === "Quorum" ? "skipped" : "rejected"

export const outcomeOf = (rejection: Rejection): "ignored" | "skipped" | "held" | "rejected" =>
  rejection._tag === "Quorum" && rejection.verdict._tag === "Held" ? "held" : outcomeOfTag(rejection._tag)

/** The key the log names (`key=`), when the stage blames one. */
export const keyOf = (rejection: Rejection): string | undefined => {
  switch (rejection._tag) {
    case "Grammar":
      // A well-formed key only: a bad key is quoted in the text instead.
      return rejection.error.reason === "DuplicateKey" || rejection.error.reason === "ReservedKey" ? rejection.error.part : undefined
    case "Envelope":
    case "Types":
      return rejection.key
    case "Signature":
      return "_sig"
    case "Timestamp":
      return "_ts"
    case "Ignoreip":
      return "ip"
    case "Render":
      return rejection.error.key
    default:
      return undefined
  }
}

/** How much of a refused value a `types` line shows. */
const SHOWN_VALUE = 80

const ENVELOPE_FORMATS: { readonly [K in EnvelopeRejection["key"]]: string } = {
  _id: "32 lowercase hex digits",
  _ts: "unix seconds (digits)",
  _origin: `a node name of letters, digits, "_", "." or "-"`,
  _sig: "43 base64url characters (HMAC-SHA256)"
}

const SIGNATURE_TEXTS: { readonly [K in SignatureRejection["reason"]]: string } = {
  Missing: "_sig is missing (this channel has a secret: only signed messages are accepted)",
  NotLast: `_sig must be the last pair, written as "${SIG_SEPARATOR}<signature>" at the very end`,
  Mismatch: "_sig does not match (wrong secret, or the message was changed)"
}

const FORBIDDEN_KINDS = { control: "a control character", lineSeparator: "a line separator", bidi: "a bidi formatting character" }

/** Why a value is refused, after the value: `is not an IP address`. */
export const describeValueProblem = (problem: ValueProblem): string => {
  switch (problem.reason) {
    case "Forbidden": {
      const { kind, code, index } = problem.character
      return `contains ${FORBIDDEN_KINDS[kind]} U+${code.toString(16).toUpperCase().padStart(4, "0")} at position ${index}`
    }
    case "LeadingDash":
      return `starts with "-" (it could pass as an option)`
    case "NotOfType":
      return `is not ${describeValueType(problem.type)}`
  }
}

const describeTimestamp = (ts: number, nowMs: number, maxSkewMs: number): string => {
  const skewMs = Math.abs(nowMs - ts * 1000)
  const direction = ts * 1000 > nowMs ? "ahead of" : "behind"
  return `_ts=${ts} is ${Math.round(skewMs / 1000)} s ${direction} this host's clock (max_skew ${maxSkewMs / 1000} s)`
}

/** The filter's verdict, e.g. `jail="ssh" is not one of [sshd] (server filter)`. */
const describeFilter = (v: Extract<FilterVerdict, { _tag: "Reject" }>): string => {
  const scope = ` (${v.scope} filter)`
  if (v.value === undefined) return `key ${quote(v.key)} is missing${scope}`
  return `${v.key}=${quote(v.value)} is not one of [${v.values.join(", ")}]${scope}`
}

/**
 * The reason as the log shows it after `rejected at <stage>: ` (or `skipped
 * at`, `ignored:`). Values from the network are quoted and cut here, and only here.
 */
export const renderRejection = (rejection: Rejection): string => {
  switch (rejection._tag) {
    case "Channel":
      return `delivery on ${rejection.reason === "Reserved" ? "reserved" : "unconfigured"} channel "${rejection.channel}"`
    case "Grammar":
      return rejection.error.message
    case "Envelope":
      return rejection.reason === "Missing"
        ? `${rejection.key} is missing (${rejection.key === "_origin" ? "a channel with a quorum counts origins" : "a signed channel needs _id and _ts"})`
        : `${rejection.key} must be ${ENVELOPE_FORMATS[rejection.key]}`
    case "Signature":
      return SIGNATURE_TEXTS[rejection.reason]
    case "Timestamp":
      return describeTimestamp(rejection.ts, rejection.nowMs, rejection.maxSkewMs)
    case "Duplicate":
      return `duplicate of _id=${rejection.id} executed ${(rejection.agoMs / 1000).toFixed(1)} s ago (received through another server, or replayed)`
    case "Origin":
      return `own message: _origin=${rejection.origin} is this daemon's node_name (a host does not re-apply its own bans)`
    case "Types":
      return rejection.wholeText
        ? `the message text ${describeValueProblem(rejection.problem)}`
        : `${rejection.key}=${quote(rejection.value, SHOWN_VALUE)} ${describeValueProblem(rejection.problem)}`
    case "Ignoreip":
      return `ip=${rejection.ip} is in ignoreip (${rejection.entry}): never acted on`
    case "Filter":
      return describeFilter(rejection.verdict)
    case "Render":
      return rejection.expire === true
        ? `message has no key "${rejection.error.key}", which expire_action uses as %${rejection.error.key}%`
        : rejection.error.message
    case "Quorum":
      return describeQuorum(rejection.verdict, rejection.nowMs)
  }
}

/** Each cause's line prefix, built once: a flood logs one line per delivery. */
const PREFIXES: ReadonlyMap<Tag, string> = new Map(
  TAGS.map((tag) => [tag, tag === "Channel" ? "ignored: " : `${outcomeOfTag(tag)} at ${STAGES[tag]}: `])
)

/** The whole line: `rejected at filter: …`, `skipped at duplicate: …`, `ignored: …`. */
export const rejectionLine = (rejection: Rejection): string =>
  (rejection._tag === "Quorum" && rejection.verdict._tag === "Held" ? "held at quorum: " : PREFIXES.get(rejection._tag)!) + renderRejection(rejection)
