/**
 * The resolved configuration (SPEC §5): what the rest of f2bc reads once a
 * config file has been decoded, validated and had its defaults applied.
 */
import type { CompiledTemplate } from "../action/index.js"
import type { Filter } from "../filter/index.js"

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
  readonly broker: BrokerConfig
}

/** Upper bound of every duration in seconds: beyond ~24.8 days Node timers overflow. */
export const MAX_SECONDS = 86_400
