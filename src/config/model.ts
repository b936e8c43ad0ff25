/**
 * The resolved configuration (docs/configuration.md): what the rest of f2bc reads once a
 * config file has been decoded, validated and had its defaults applied.
 */
import type { CompiledTemplate } from "../action/index.js"
import type { Filter } from "../filter/index.js"
import type { IgnoreList, ValueType } from "../trust/index.js"
import type { JetStreamConfig, NatsAuthConfig, NatsSecrets, NatsTlsConfig } from "./natsModel.js"
import type { QuorumConfig } from "./quorum.js"

export type { JetStreamConfig, NatsAuthConfig, NatsSecrets, NatsTlsConfig } from "./natsModel.js"

export interface ChannelConfig {
  readonly name: string
  /** The action as written in the config. */
  readonly action: string
  /** The action compiled at load time: a config that loads never fails to compile. */
  readonly template: CompiledTemplate
  /** Channel-level filter; `[]` = every message passes. */
  readonly filter: Filter
  readonly shell: boolean
  /** What a placeholder the message lacks becomes: an error, or "" (the original's behaviour). */
  readonly missing: "reject" | "empty"
  /** Seconds before the action is terminated. */
  readonly timeout: number
  /**
   * Absolute paths of the channel's secrets; the first signs, any verifies.
   * Non-empty = the channel is signed: unsigned messages are refused.
   */
  readonly secret_files: ReadonlyArray<string>
  /** The secrets read from `secret_files` by loadConfig (empty until then: every signature fails). */
  readonly secrets: ReadonlyArray<Uint8Array>
  /** The type of each key: the defaults, then top-level `types:`, then the channel's `types:`. */
  readonly types: ReadonlyMap<string, ValueType>
  /** Set: actions ready together that differ only in the word `%key%` fills run as one process. */
  readonly batch: BatchConfig | undefined
  /** Set (signed channels only): an action runs once `origins` distinct `_origin`s sent it within `window`. */
  readonly quorum?: QuorumConfig
  /** Set: what runs at a ban's `ban_until` (scheduled in state_dir). */
  readonly expire?: ExpireConfig | undefined
  /**
   * Absolute path of fail2ban-server's socket: the channel's actions whose program is
   * fail2ban-client are sent over it as fail2ban-client would send them, with no process.
   */
  readonly fail2ban_socket?: string
}

/** `expire_action`, compiled like `action`; `batchWord`: the word the batch key fills alone in it (expiries batch too). */
export interface ExpireConfig { readonly action: string; readonly template: CompiledTemplate; readonly batchWord: number | undefined }

/** `batch:` of a channel (never with `shell: true`). */
export interface BatchConfig {
  /** The message key whose word is repeated once per message. */
  readonly key: string
  /** Messages in one process, at most. */
  readonly max: number
  /** Seconds a batch waits for more after its first message. */
  readonly linger: number
  /** Index of the argv word `%key%` fills on its own (from the compiled action). */
  readonly word: number
}

/** What every server entry has, whatever its transport. */
interface ServerCommon {
  /** Seconds: a connection silent for this long is declared dead. */
  readonly ping_timeout: number
  /** At least one. */
  readonly channels: ReadonlyArray<ChannelConfig>
  /** Server-level filter (the seed README's placement), applies to every channel. */
  readonly filter: Filter
}

/** A fanout server (docs/protocol.md), the default transport: no `transport` key. */
export interface FanoutServerConfig extends ServerCommon {
  readonly transport?: "fanout"
  readonly host: string
  readonly port: number
}

/** A NATS server (or cluster: several URLs of one cluster). */
export interface NatsServerConfig extends ServerCommon {
  readonly transport: "nats"
  /** URLs of one NATS cluster, as written (`url:` is a list of one). */
  readonly urls: ReadonlyArray<string>
  /** Subjects are `<subject_prefix>.<channel>`. */
  readonly subject_prefix: string
  readonly auth: NatsAuthConfig
  readonly tls: NatsTlsConfig | undefined
  /** Set: JetStream mode (durable, acknowledged, caught up after downtime); unset: core mode. */
  readonly jetstream: JetStreamConfig | undefined
  readonly secrets: NatsSecrets
}

export type ServerConfig = FanoutServerConfig | NatsServerConfig

/** The embedded fanout-compatible broker hosted by the daemon. */
export interface BrokerConfig {
  readonly host: string
  /** 0 = pick a free port. */
  readonly port: number
  readonly max_clients: number
  readonly max_line_bytes: number
  readonly max_output_bytes: number
  /** Channels one client may subscribe to. */
  readonly max_subscriptions: number
  /** Bytes of channel names one client may hold subscribed. */
  readonly max_subscription_bytes: number
}

export interface MetricsConfig {
  readonly host: string
  /** 0 = pick a free port. */
  readonly port: number
}

export type LogLevel = 0 | 1 | 2 | 3

export interface Config {
  /** May be empty only when `broker` is set. */
  readonly servers: ReadonlyArray<ServerConfig>
  /** 0 errors, 1 warnings, 2 info, 3 debug (the seed's table). */
  readonly log_level: LogLevel
  /** Without it, logs go to stderr. */
  readonly log_file: string | undefined
  readonly pid_file: string | undefined
  /** Set when the daemon hosts the embedded broker (`broker: {}` = all defaults). */
  readonly broker: BrokerConfig | undefined
  /** Bound of a received line, in bytes. */
  readonly max_line_bytes: number
  /** This daemon's name: `_origin` of what it publishes; its own messages are not executed. */
  readonly node_name: string
  /** Addresses and ranges whose `ip` is never acted on. */
  readonly ignoreip: IgnoreList
  /** Seconds a signed message's `_ts` may differ from this host's clock. */
  readonly max_skew: number
  /** Seconds an executed `_id` is remembered, so copies and repeats run once. */
  readonly dedupe_window: number
  /** Most ids remembered; beyond it the oldest are evicted (and logged). */
  readonly dedupe_max_entries: number
  /** Held quorums (distinct actions) remembered at most; beyond it the oldest is forgotten (logged). */
  readonly quorum_max_entries: number
  /** Actions waiting or running, at most; beyond it new ones are dropped (logged, counted). */
  readonly queue_limit: number
  /** Actions running at once. */
  readonly concurrency: number
  /** The message key whose actions run strictly in arrival order (default ip). */
  readonly order_key: string
  /** Seconds SIGTERM waits for queued and running actions before killing them. */
  readonly shutdown_timeout: number
  /** The control socket `daemon status|reload` talk to; default beside the pid file. */
  readonly control_socket: string | undefined
  /** Where the daemon keeps what must survive a restart (the outbox); created 0700. */
  readonly state_dir: string
  /** Whether `state_dir` was written in the config (the default may be absent on a non-root host). */
  readonly state_dir_set: boolean
  /** Seconds an outbox entry is retried before it is dropped (logged, counted). */
  readonly outbox_max_age: number
  /** Entries the outbox holds at most; beyond it `publish` over the control socket is refused. */
  readonly outbox_max_entries: number
  /** The Prometheus endpoint, when configured. */
  readonly metrics: MetricsConfig | undefined
  /** The path the config was loaded from, or "<inline>". */
  readonly source: string
}

/** Every default of the config file, in one place (docs/configuration.md lists the same). */
export const Defaults = {
  ping_timeout: 60,
  timeout: 30,
  shell: false,
  missing: "reject",
  log_level: 2,
  max_line_bytes: 65_536,
  ignoreip: ["127.0.0.1/8", "::1"],
  max_skew: 120,
  dedupe_window: 300,
  dedupe_max_entries: 100_000,
  queue_limit: 10_000,
  concurrency: 4,
  order_key: "ip",
  shutdown_timeout: 10,
  batch: { max: 100, linger: 0.05 },
  quorum: { window: 600 }, quorum_max_entries: 100_000,
  state_dir: "/var/lib/f2bc",
  outbox_max_age: 3600,
  outbox_max_entries: 100_000,
  metrics: { listen: "127.0.0.1:9810" },
  subject_prefix: "f2bc",
  jetstream: { stream: "F2BC", max_age: 7 * 86_400, ack_wait: 30, max_ack_pending: 1000, replicas: 1 },
  broker: {
    host: "127.0.0.1",
    port: 1986,
    max_clients: 1024,
    max_line_bytes: 65_536,
    max_output_bytes: 1_048_576,
    max_subscriptions: 1024,
    max_subscription_bytes: 65_536
  }
} as const satisfies Pick<
  Config,
  "log_level" | "max_line_bytes" | "max_skew" | "dedupe_window" | "dedupe_max_entries" | "quorum_max_entries" | "queue_limit" | "concurrency" | "order_key" | "shutdown_timeout"
  | "state_dir" | "outbox_max_age" | "outbox_max_entries"
> &
  Pick<ChannelConfig, "timeout" | "shell" | "missing"> &
  Pick<FanoutServerConfig, "ping_timeout"> &
  Pick<NatsServerConfig, "subject_prefix"> & {
    readonly ignoreip: ReadonlyArray<string>
    readonly metrics: { readonly listen: string }
    readonly batch: Pick<BatchConfig, "max" | "linger">
    readonly quorum: Pick<QuorumConfig, "window">
    readonly jetstream: Omit<JetStreamConfig, "consumer">
    readonly broker: BrokerConfig
  }

/** Upper bound of every duration in seconds: beyond ~24.8 days Node timers overflow. */
export const MAX_SECONDS = 86_400

/** Bounds of `batch`: a process's argv stays far below the system's limit; a ban never waits long. */
export const MAX_BATCH = 10_000
export const MAX_LINGER_SECONDS = 60
