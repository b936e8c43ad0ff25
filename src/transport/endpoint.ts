/**
 * A configured server as its transport sees it: a fanout endpoint, or a NATS
 * one with its credentials, TLS and JetStream settings (used by the daemon and by publish).
 */
import type { Config, ServerConfig } from "../config/model.js"
import type { Endpoint, NatsCredentials } from "../transport/transport.js"

export const endpointOf = (server: ServerConfig, config: Pick<Config, "max_line_bytes" | "node_name" | "shutdown_timeout">): Endpoint => {
  const pingTimeoutMs = Math.round(server.ping_timeout * 1000)
  const channels = server.channels.map((channel) => channel.name)
  if (server.transport !== "nats") return { host: server.host, port: server.port, channels, pingTimeoutMs, maxLineBytes: config.max_line_bytes }
  const { secrets, jetstream } = server
  const credentials: NatsCredentials = {
    ...(secrets.token === undefined ? {} : { token: secrets.token }),
    ...(server.auth.user === undefined ? {} : { user: server.auth.user }),
    ...(secrets.password === undefined ? {} : { password: secrets.password }),
    ...(secrets.creds === undefined ? {} : { creds: secrets.creds }),
    ...(secrets.nkeySeed === undefined ? {} : { nkeySeed: secrets.nkeySeed })
  }
  return {
    kind: "nats",
    urls: server.urls,
    channels,
    pingTimeoutMs,
    maxLineBytes: config.max_line_bytes,
    subjectPrefix: server.subject_prefix,
    credentials,
    tls: server.tls === undefined
      ? undefined
      : {
        ...(secrets.tlsCa === undefined ? {} : { ca: secrets.tlsCa }),
        ...(secrets.tlsCert === undefined ? {} : { cert: secrets.tlsCert }),
        ...(secrets.tlsKey === undefined ? {} : { key: secrets.tlsKey })
      },
    jetstream: jetstream === undefined
      ? undefined
      : {
        stream: jetstream.stream,
        maxAgeMs: jetstream.max_age * 1000,
        consumer: jetstream.consumer,
        ackWaitMs: jetstream.ack_wait * 1000,
        maxAckPending: jetstream.max_ack_pending,
        replicas: jetstream.replicas
      },
    clientName: `f2bc ${config.node_name}`,
    settleTimeoutMs: config.shutdown_timeout * 1000
  }
}

