/**
 * The config file as written (docs/configuration.md): an Effect Schema of the raw YAML,
 * with types, ranges and defaults. Rules that need more than one field live in rules.ts.
 */
import * as Schema from "effect/Schema"
import * as Predicate from "effect/Predicate"
import { durationSchema } from "./duration.js"
import { Defaults, MAX_BATCH, MAX_LINGER_SECONDS, MAX_SECONDS } from "./model.js"
import { RawQuorum } from "./quorum.js"

/**
 * What a value must be, said to an operator ("an integer from 1 to 65535").
 * issues.ts reads it to write `must be <expected>, got <actual>`.
 */
export const ExpectedId: unique symbol = Symbol.for("f2bc/config/Expected")

const expected = (text: string) => ({ [ExpectedId]: text })

/**
 * Which keys an "unknown key" issue names for a mapping, when not all of its
 * struct's: a server entry names its transport's keys.
 */
export const KeysShownId: unique symbol = Symbol.for("f2bc/config/KeysShown")

const NonEmptyString = Schema.String.pipe(Schema.minLength(1)).annotations(expected("a non-empty string"))

const Port = Schema.Number.pipe(Schema.int(), Schema.between(1, 65_535)).annotations(
  expected("an integer from 1 to 65535")
)

const Seconds = Schema.Number.pipe(Schema.greaterThan(0), Schema.lessThanOrEqualTo(MAX_SECONDS)).annotations(
  expected(`a number of seconds greater than 0 and at most ${MAX_SECONDS}`)
)

const PositiveInt = Schema.Number.pipe(Schema.int(), Schema.greaterThanOrEqualTo(1)).annotations(
  expected("a positive integer")
)

/** A filter key has the message grammar's key syntax (docs/protocol.md). */
const FilterKey = Schema.String.pipe(Schema.pattern(/^[A-Za-z0-9_.-]+$/)).annotations(
  expected(`a key of letters, digits, "_", "." or "-"`)
)

/**
 * `values: [22]` means the text "22": numbers and booleans are taken as their
 * text (String(22) = "22", true = "true"). Write other numbers in quotes
 * (`"1.50"`), since YAML has already turned 1.50 into 1.5.
 */
const FilterValue = Schema.transform(
  Schema.Union(Schema.String, Schema.Number.pipe(Schema.finite()), Schema.Boolean),
  Schema.String,
  { strict: true, decode: (value) => String(value), encode: (text) => text }
).annotations(expected("a string"))

export const RawFilterEntry = Schema.Struct({
  key: FilterKey,
  values: Schema.Array(FilterValue).pipe(Schema.minItems(1)).annotations(expected("a non-empty list of strings"))
}).annotations(expected("a mapping with key and values"))

export const RawFilter = Schema.Array(RawFilterEntry).annotations(expected("a list of filter entries"))

const emptyFilter = (): ReadonlyArray<typeof RawFilterEntry.Type> => []

/** `types:` maps message keys to a type: ip, cidr, int, name, text or /regex/ (rules.ts checks each). */
export const RawTypes = Schema.Record({ key: FilterKey, value: Schema.String.annotations(expected("a type name")) })
  .annotations(expected("a mapping of keys to types (ip, cidr, int, name, text or /regex/)"))

/** One path, or a list of them (sign with the first, accept any: key rotation). */
const SecretFiles = Schema.Union(
  NonEmptyString,
  Schema.Array(NonEmptyString).pipe(Schema.minItems(1))
).annotations(expected("a file path or a non-empty list of file paths"))

/** `ignoreip:` a list, or fail2ban's whitespace-separated string. */
const IgnoreIp = Schema.Union(Schema.String, Schema.Array(Schema.String)).annotations(
  expected("a list of addresses and CIDR ranges")
)

/** `batch.linger`: how long a batch waits for more after its first action, 0 to 60 s (a bare number is seconds). */
const Linger = durationSchema(
  (seconds) => seconds >= 0 && seconds <= MAX_LINGER_SECONDS,
  `a duration from 0 to ${MAX_LINGER_SECONDS} s, in seconds or with a unit (50ms, 0.2s)`
)

/** `batch:` of a channel: its actions that differ only in the word `%key%` fills run as one process. */
export const RawBatch = Schema.Struct({
  key: FilterKey,
  max: Schema.optionalWith(
    Schema.Number.pipe(Schema.int(), Schema.between(1, MAX_BATCH)).annotations(expected(`an integer from 1 to ${MAX_BATCH}`)),
    { exact: true, default: () => Defaults.batch.max }
  ),
  linger: Schema.optionalWith(Linger, { exact: true, default: () => Defaults.batch.linger })
})

export const RawChannel = Schema.Struct({
  name: Schema.String.annotations(expected("a string")),
  action: NonEmptyString,
  filter: Schema.optionalWith(RawFilter, { exact: true, default: emptyFilter }),
  shell: Schema.optionalWith(Schema.Boolean.annotations(expected("true or false")), {
    exact: true,
    default: () => Defaults.shell
  }),
  missing: Schema.optionalWith(Schema.Literal("reject", "empty").annotations(expected(`"reject" or "empty"`)), {
    exact: true,
    default: () => Defaults.missing
  }),
  timeout: Schema.optionalWith(Seconds, { exact: true, default: () => Defaults.timeout }),
  secret_file: Schema.optionalWith(SecretFiles, { exact: true }),
  types: Schema.optionalWith(RawTypes, { exact: true, default: () => ({}) }),
  batch: Schema.optionalWith(RawBatch.annotations(expected("a mapping with key, max and linger")), { exact: true }),
  quorum: Schema.optionalWith(RawQuorum, { exact: true }),
  expire_action: Schema.optionalWith(NonEmptyString, { exact: true }),
  fail2ban_socket: Schema.optionalWith(NonEmptyString, { exact: true })
})

/** Keys only a NATS server entry has, after url and servers. */
const NATS_ONLY = ["subject_prefix", "token", "token_file", "user", "password", "password_file", "creds_file", "nkey_file", "tls", "jetstream"]

/** A duration in seconds between `min` (excluded) and `max`: a number of seconds, or text with a unit (s, m, h, d). */
const Duration = (max: number, maxText: string) =>
  durationSchema((seconds) => seconds > 0 && seconds <= max, `a duration greater than 0 and at most ${maxText}, in seconds or with a unit (300s, 30m, 12h, 7d)`)

/** A NATS subject prefix: tokens of letters, digits, "_" and "-", joined by ".". */
const SubjectPrefix = Schema.String.pipe(Schema.pattern(/^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/)).annotations(
  expected(`a subject prefix of letters, digits, "_" and "-" in tokens joined by "." (no wildcards)`)
)

/** A JetStream stream or consumer name: no whitespace, ".", "*", ">", "/" or "\\". */
const JetStreamName = Schema.String.pipe(Schema.pattern(/^[A-Za-z0-9_-]{1,200}$/)).annotations(
  expected(`a name of 1 to 200 letters, digits, "_" or "-"`)
)

export const RawJetStream = Schema.Struct({
  stream: Schema.optionalWith(JetStreamName, { exact: true, default: () => Defaults.jetstream.stream }),
  max_age: Schema.optionalWith(Duration(3650 * 86_400, "3650d"), { exact: true, default: () => Defaults.jetstream.max_age }),
  consumer: Schema.optionalWith(JetStreamName, { exact: true }),
  ack_wait: Schema.optionalWith(Duration(MAX_SECONDS, `${MAX_SECONDS}s`), { exact: true, default: () => Defaults.jetstream.ack_wait }),
  max_ack_pending: Schema.optionalWith(PositiveInt, { exact: true, default: () => Defaults.jetstream.max_ack_pending }),
  replicas: Schema.optionalWith(
    Schema.Number.pipe(Schema.int(), Schema.between(1, 5)).annotations(expected("an integer from 1 to 5")),
    { exact: true, default: () => Defaults.jetstream.replicas }
  )
})

export const RawTls = Schema.Struct({
  ca_file: Schema.optionalWith(NonEmptyString, { exact: true }),
  cert_file: Schema.optionalWith(NonEmptyString, { exact: true }),
  key_file: Schema.optionalWith(NonEmptyString, { exact: true })
})

/**
 * One server entry. `host`/`port` belong to fanout, `url`…`jetstream` to
 * NATS; rules.ts says which are required or refused for the entry's transport.
 */
export const RawServer = Schema.Struct({
  transport: Schema.optionalWith(Schema.Literal("fanout", "nats").annotations(expected(`"fanout" or "nats"`)), {
    exact: true,
    default: () => "fanout" as const
  }),
  host: Schema.optionalWith(NonEmptyString, { exact: true }),
  port: Schema.optionalWith(Port, { exact: true }),
  ping_timeout: Schema.optionalWith(Seconds, { exact: true, default: () => Defaults.ping_timeout }),
  channels: Schema.Array(RawChannel).pipe(Schema.minItems(1)).annotations(expected("a non-empty list of channels")),
  filter: Schema.optionalWith(RawFilter, { exact: true, default: emptyFilter }),
  url: Schema.optionalWith(NonEmptyString, { exact: true }),
  servers: Schema.optionalWith(
    Schema.Array(NonEmptyString).pipe(Schema.minItems(1)).annotations(expected("a non-empty list of NATS URLs")),
    { exact: true }
  ),
  subject_prefix: Schema.optionalWith(SubjectPrefix, { exact: true, default: () => Defaults.subject_prefix }),
  token: Schema.optionalWith(NonEmptyString, { exact: true }),
  token_file: Schema.optionalWith(NonEmptyString, { exact: true }),
  user: Schema.optionalWith(NonEmptyString, { exact: true }),
  password: Schema.optionalWith(NonEmptyString, { exact: true }),
  password_file: Schema.optionalWith(NonEmptyString, { exact: true }),
  creds_file: Schema.optionalWith(NonEmptyString, { exact: true }),
  nkey_file: Schema.optionalWith(NonEmptyString, { exact: true }),
  tls: Schema.optionalWith(RawTls.annotations(expected("a mapping with ca_file, cert_file and key_file")), { exact: true }),
  /** `jetstream:` with no value (YAML null) means `jetstream: {}`: all defaults. */
  jetstream: Schema.optionalWith(
    Schema.NullOr(RawJetStream).annotations(expected("a mapping (or nothing, for all defaults)")),
    { exact: true }
  )
}).annotations({
  [KeysShownId]: (actual: unknown) =>
    Predicate.hasProperty(actual, "transport") && actual.transport === "nats"
      ? ["transport", "url", "servers", "ping_timeout", "channels", "filter", ...NATS_ONLY]
      : ["host", "port", "ping_timeout", "channels", "filter", "transport"]
})

export const RawBroker = Schema.Struct({
  host: Schema.optionalWith(NonEmptyString, { exact: true, default: () => Defaults.broker.host }),
  port: Schema.optionalWith(
    Schema.Number.pipe(Schema.int(), Schema.between(0, 65_535)).annotations(
      expected("an integer from 0 to 65535 (0 = any free port)")
    ),
    { exact: true, default: () => Defaults.broker.port }
  ),
  max_clients: Schema.optionalWith(PositiveInt, { exact: true, default: () => Defaults.broker.max_clients }),
  max_line_bytes: Schema.optionalWith(PositiveInt, { exact: true, default: () => Defaults.broker.max_line_bytes }),
  max_output_bytes: Schema.optionalWith(PositiveInt, { exact: true, default: () => Defaults.broker.max_output_bytes }),
  max_subscriptions: Schema.optionalWith(PositiveInt, { exact: true, default: () => Defaults.broker.max_subscriptions }),
  max_subscription_bytes: Schema.optionalWith(PositiveInt, { exact: true, default: () => Defaults.broker.max_subscription_bytes })
})

/** `host:port` or `[v6]:port`; port 0 picks a free one. */
const ListenAddress = Schema.String.pipe(Schema.pattern(/^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):([0-9]{1,5})$/)).annotations(
  expected(`an address like 127.0.0.1:9810 or [::1]:9810`)
)

export const RawMetrics = Schema.Struct({
  listen: Schema.optionalWith(ListenAddress, { exact: true, default: () => Defaults.metrics.listen })
})

const LogLevel = Schema.Literal(0, 1, 2, 3).annotations(expected("an integer from 0 to 3"))

export const RawConfig = Schema.Struct({
  // Required unless a broker: section makes the file a pure hub (a rule checks that).
  servers: Schema.optionalWith(Schema.Array(RawServer).annotations(expected("a list of servers")), {
    exact: true,
    default: () => []
  }),
  log_level: Schema.optionalWith(LogLevel, { exact: true, default: () => Defaults.log_level }),
  log_file: Schema.optionalWith(NonEmptyString, { exact: true }),
  pid_file: Schema.optionalWith(NonEmptyString, { exact: true }),
  /** `broker:` with no value (YAML null) means the same as `broker: {}`: all defaults. */
  broker: Schema.optionalWith(
    Schema.NullOr(RawBroker).annotations(expected("a mapping (or nothing, for all defaults)")),
    { exact: true }
  ),
  max_line_bytes: Schema.optionalWith(PositiveInt, { exact: true, default: () => Defaults.max_line_bytes }),
  node_name: Schema.optionalWith(
    Schema.String.pipe(Schema.pattern(/^[A-Za-z0-9_.][A-Za-z0-9_.-]{0,254}$/)).annotations(
      expected(`a name of letters, digits, "_", "." or "-", not starting with "-"`)
    ),
    { exact: true }
  ),
  types: Schema.optionalWith(RawTypes, { exact: true, default: () => ({}) }),
  ignoreip: Schema.optionalWith(IgnoreIp, { exact: true, default: () => [...Defaults.ignoreip] }),
  max_skew: Schema.optionalWith(Seconds, { exact: true, default: () => Defaults.max_skew }),
  dedupe_window: Schema.optionalWith(Seconds, { exact: true, default: () => Defaults.dedupe_window }),
  dedupe_max_entries: Schema.optionalWith(PositiveInt, { exact: true, default: () => Defaults.dedupe_max_entries }),
  quorum_max_entries: Schema.optionalWith(PositiveInt, { exact: true, default: () => Defaults.quorum_max_entries }),
  queue_limit: Schema.optionalWith(PositiveInt, { exact: true, default: () => Defaults.queue_limit }),
  concurrency: Schema.optionalWith(
    Schema.Number.pipe(Schema.int(), Schema.between(1, 256)).annotations(expected("an integer from 1 to 256")),
    { exact: true, default: () => Defaults.concurrency }
  ),
  order_key: Schema.optionalWith(FilterKey, { exact: true, default: () => Defaults.order_key }),
  shutdown_timeout: Schema.optionalWith(Seconds, { exact: true, default: () => Defaults.shutdown_timeout }),
  control_socket: Schema.optionalWith(NonEmptyString, { exact: true }),
  state_dir: Schema.optionalWith(NonEmptyString, { exact: true }),
  outbox_max_age: Schema.optionalWith(Duration(30 * 86_400, "30d"), { exact: true, default: () => Defaults.outbox_max_age }),
  outbox_max_entries: Schema.optionalWith(PositiveInt, { exact: true, default: () => Defaults.outbox_max_entries }),
  /** `metrics:` with no value (YAML null) means `metrics: {}`: the default address. */
  metrics: Schema.optionalWith(Schema.NullOr(RawMetrics).annotations(expected("a mapping (or nothing, for the default address)")), {
    exact: true
  })
})

export type RawConfig = typeof RawConfig.Type
export type RawServer = typeof RawServer.Type
export type RawChannel = typeof RawChannel.Type
