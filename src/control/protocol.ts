/**
 * The control socket's protocol, for both sides: a client sends one request
 * line and reads one JSON line, whose shape per request is an Effect Schema here.
 */
import * as Data from "effect/Data"
import * as Either from "effect/Either"
import * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"

/** Where the control socket lives by default: the pid file's path with `.sock` for `.pid`. */
export const controlSocketBeside = (pidFile: string): string =>
  pidFile.endsWith(".pid") ? `${pidFile.slice(0, -4)}.sock` : `${pidFile}.sock`

/** The requests the daemon serves, one line each. */
export type ControlRequest =
  | "status"
  | "reload"
  | { readonly _tag: "Publish"; readonly channel: string; readonly message: string }

/**
 * `status`, `reload`, or `publish <channel> <message>`: the channel ends at the first space (a channel
 * has none), the message is the rest of the line as sent (the checks refuse what the wire would).
 */
export const parseControlRequest = (line: string): ControlRequest | undefined => {
  const trimmed = line.trim()
  if (trimmed === "status" || trimmed === "reload") return trimmed
  const publish = /^publish ([^ ]+) (.*)$/s.exec(line.endsWith("\r") ? line.slice(0, -1) : line)
  return publish === null ? undefined : { _tag: "Publish", channel: publish[1]!, message: publish[2]! }
}

/** The longest request line the daemon reads: a `publish` line of the longest message the servers take, with room for the envelope. */
export const maxRequestBytes = (maxLineBytes: number): number => maxLineBytes + 1024

/** One server's connection, as `daemon status` shows it; times are epoch milliseconds. */
export const ServerState = Schema.Struct({
  server: Schema.String,
  channels: Schema.Array(Schema.String),
  state: Schema.Literal("connecting", "connected", "down"),
  connectedSince: Schema.optional(Schema.Number),
  lastPong: Schema.optional(Schema.Number),
  /** Connection attempts after a failure or a lost connection. */
  reconnects: Schema.Number,
  lastError: Schema.optional(Schema.String)
})
export type ServerState = typeof ServerState.Type

/** The answer to `status`. */
export const StatusSnapshot = Schema.Struct({
  pid: Schema.Number,
  node_name: Schema.String,
  config: Schema.String,
  started_at: Schema.Number,
  servers: Schema.Array(ServerState),
  /** Decisions by outcome (`executed`, `rejected at filter`, …). */
  messages: Schema.Record({ key: Schema.String, value: Schema.Number }),
  actions: Schema.Struct({ pending: Schema.Number, executed: Schema.Number, failed: Schema.Number, dropped: Schema.Number }),
  /** The outbox of `publish` hand-offs, when the daemon has one (it serves a control socket). */
  outbox: Schema.optional(Schema.Struct({
    entries: Schema.Number,
    oldest_age_seconds: Schema.Number,
    servers: Schema.Array(Schema.Struct({ server: Schema.String, pending: Schema.Number, delivered: Schema.Number, dropped: Schema.Number }))
  })),
  /** Actions held at their quorum, when a channel has `quorum:`. */
  quorum: Schema.optional(Schema.Struct({ held: Schema.Number, oldest_age_seconds: Schema.Number })),
  /** The scheduled expiries, when a channel has `expire_action`: how many, and the next one's due time (epoch ms). */
  expiries: Schema.optional(Schema.Struct({ scheduled: Schema.Number, next_due_ms: Schema.optional(Schema.Number) }))
})
export type StatusSnapshot = typeof StatusSnapshot.Type

/** What a reload did: servers kept, (re)started and stopped, and the changed keys only a restart applies. */
export const ReloadOutcome = Schema.Struct({
  kept: Schema.Number,
  started: Schema.Number,
  stopped: Schema.Number,
  needRestart: Schema.Array(Schema.String)
})
export type ReloadOutcome = typeof ReloadOutcome.Type

/** A verb's failure, as every verb that can fail answers it. */
const Refusal = Schema.Struct({ ok: Schema.Literal(false), error: Schema.String })

/** The answer to `reload`: the outcome, or why the new config was refused (the running one stays). */
export const ReloadAnswer = Schema.Union(Schema.Struct({ ok: Schema.Literal(true), ...ReloadOutcome.fields }), Refusal)
export type ReloadAnswer = typeof ReloadAnswer.Type

/** The answer to `publish <channel> <message>`: the message's `_id` once it is in the outbox, or why not (nothing recorded). */
export const PublishAnswer = Schema.Union(Schema.Struct({ ok: Schema.Literal(true), id: Schema.String }), Refusal)
export type PublishAnswer = typeof PublishAnswer.Type

/** The answer to a request line the daemon does not know (an older daemon, or garbage). */
export const UnknownRequest = Schema.Struct({ error: Schema.String })

/** The answer line a daemon writes for `answer`. */
export const encodeAnswer = <A, I>(schema: Schema.Schema<A, I>, answer: A): string => `${encoderOf(schema)(answer)}\n`

/** Each schema's JSON encoder, made once: building it costs more than the encoding (it is on every hand-off's path). */
const encoders = new WeakMap<Schema.Schema.Any, (answer: never) => string>()
const encoderOf = <A, I>(schema: Schema.Schema<A, I>): ((answer: A) => string) => {
  let encoder = encoders.get(schema) as ((answer: A) => string) | undefined
  if (encoder === undefined) {
    encoder = Schema.encodeSync(Schema.parseJson(schema))
    encoders.set(schema, encoder as (answer: never) => string)
  }
  return encoder
}

export class ControlError extends Data.TaggedError("ControlError")<{
  readonly reason: "Listen" | "InUse" | "Unavailable" | "Refused" | "Protocol"
  readonly path: string
  readonly detail: string
}> {
  override get message(): string {
    switch (this.reason) {
      case "Listen":
        return `cannot open control socket ${this.path}: ${this.detail}`
      case "InUse":
        return `control socket ${this.path} is in use by a running process: ${this.detail}`
      case "Unavailable":
        return `cannot reach the daemon's control socket ${this.path}: ${this.detail}`
      case "Refused":
        return `the daemon on control socket ${this.path} refused the request: ${this.detail}`
      case "Protocol":
        return `unexpected answer on control socket ${this.path}: ${this.detail}`
    }
  }
}

const describeIssues = (error: ParseResult.ParseError): string =>
  ParseResult.ArrayFormatter.formatErrorSync(error)
    .slice(0, 3)
    .map((issue) => (issue.path.length === 0 ? issue.message : `${issue.path.join(".")}: ${issue.message}`))
    .join("; ")

/**
 * Reads the answer line to `request` with the schema of its answer: a
 * daemon's refusal of the request is a `Refused` error, anything else that
 * does not fit is a `Protocol` error naming what did not.
 */
export const decodeAnswer = <A, I>(
  schema: Schema.Schema<A, I>,
  request: string,
  path: string,
  text: string
): Either.Either<A, ControlError> => {
  const decoded = Schema.decodeUnknownEither(Schema.parseJson(schema))(text)
  if (Either.isRight(decoded)) return Either.right(decoded.right)
  const refused = Schema.decodeUnknownEither(Schema.parseJson(UnknownRequest))(text)
  if (Either.isRight(refused)) return Either.left(new ControlError({ reason: "Refused", path, detail: refused.right.error }))
  return Either.left(
    new ControlError({ reason: "Protocol", path, detail: `the answer to ${JSON.stringify(request)} does not fit: ${describeIssues(decoded.left)}` })
  )
}
