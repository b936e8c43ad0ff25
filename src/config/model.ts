/**
 * The resolved configuration (SPEC §5): what the rest of f2bc reads once a
 * config file has been decoded, validated and had its defaults applied.
 */
import type { CompiledTemplate } from "../action/index.js"
import type { Filter } from "../filter/index.js"
import type { IgnoreList, ValueType } from "../trust/index.js"

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
}

export interface ServerConfig {
  readonly host: string
  readonly port: number
  /** Seconds: a connection silent for this long is declared dead. */
  readonly ping_timeout: number
  /** At least one. */
  readonly channels: ReadonlyArray<ChannelConfig>
  /** Server-level filter (the seed README's placement), applies to every channel. */
  readonly filter: Filter
}

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
  metrics: { listen: "127.0.0.1:9810" },
  broker: {
    host: "127.0.0.1",
    port: 1986,
    max_clients: 1024,
    max_line_bytes: 65_536,
    max_output_bytes: 1_048_576,
    max_subscriptions: 1024
  }
} as const satisfies {
  readonly ping_timeout: number
  readonly timeout: number
  readonly shell: boolean
  readonly missing: ChannelConfig["missing"]
  readonly log_level: LogLevel
  readonly max_line_bytes: number
  readonly ignoreip: ReadonlyArray<string>
  readonly max_skew: number
  readonly dedupe_window: number
  readonly dedupe_max_entries: number
  readonly queue_limit: number
  readonly concurrency: number
  readonly order_key: string
  readonly shutdown_timeout: number
  readonly metrics: { readonly listen: string }
  readonly broker: BrokerConfig
}

/** Upper bound of every duration in seconds: beyond ~24.8 days Node timers overflow. */
export const MAX_SECONDS = 86_400
