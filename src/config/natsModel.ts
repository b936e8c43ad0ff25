/**
 * The parts of a `transport: nats` server entry, once decoded (model.ts's NatsServerConfig holds them):
 * its JetStream settings, credentials, TLS files, and what loadConfig reads from those files.
 */

/** `jetstream:` of a NATS server: the stream the daemon reads through its durable consumer. */
export interface JetStreamConfig {
  readonly stream: string
  /** Seconds a message is kept in the stream (a host away longer misses it). */
  readonly max_age: number
  /** The durable consumer's name: `consumer:` as written, else derived from node_name. */
  readonly consumer: string
  /** Seconds the server waits for an acknowledgement before it redelivers. */
  readonly ack_wait: number
  /** Messages delivered and not yet acknowledged, at most (the server holds the rest back). */
  readonly max_ack_pending: number
  /** Copies of the stream in a NATS cluster (used when f2bc creates it). */
  readonly replicas: number
}

/** Credentials of a NATS server: file paths as resolved, inline values as written. */
export interface NatsAuthConfig {
  readonly token: string | undefined
  readonly token_file: string | undefined
  readonly user: string | undefined
  readonly password: string | undefined
  readonly password_file: string | undefined
  readonly creds_file: string | undefined
  readonly nkey_file: string | undefined
}

export interface NatsTlsConfig {
  readonly ca_file: string | undefined
  readonly cert_file: string | undefined
  readonly key_file: string | undefined
}

/** What loadConfig reads from a NATS server's files (empty until then). */
export interface NatsSecrets {
  readonly token?: string
  readonly password?: string
  readonly creds?: Uint8Array
  readonly nkeySeed?: Uint8Array
  readonly tlsKey?: string
  readonly tlsCert?: string
  readonly tlsCa?: string
}
