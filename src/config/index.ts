/**
 * The YAML configuration (docs/configuration.md): the resolved model, decoding with every
 * issue reported by path, and loading from the path the command line chooses.
 */
export type {
  BrokerConfig,
  ChannelConfig,
  Config,
  FanoutServerConfig,
  JetStreamConfig,
  LogLevel,
  NatsServerConfig,
  ServerConfig
} from "./model.js"
export { consumerNameOf } from "./nats.js"
export { Defaults, MAX_SECONDS } from "./model.js"
export { ConfigError, type ConfigIssue, formatIssue } from "./errors.js"
export { decodeConfig } from "./decode.js"
export { CONFIG_ENV_VAR, DEFAULT_CONFIG_PATH, loadConfig, resolveConfigPath } from "./load.js"
export { RawConfig } from "./schema.js"
