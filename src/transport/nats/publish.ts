/**
 * Publish over NATS: core mode confirms with a flush (the server has the
 * message); JetStream mode creates the stream when absent and waits for the
 * stream's acknowledgement (PubAck).
 */
import { jetstream } from "@nats-io/jetstream"
import * as Effect from "effect/Effect"
import { serverName, TransportError, type JetStreamSettings, type NatsEndpoint, type Outgoing } from "../transport.js"
import { natsError, open, subjectOf } from "./connect.js"
import { ensureStream } from "./jetstream.js"

/** The envelope's `_id`, used as the JetStream message id: a retried publish is stored once. */
const messageId = (message: string): string | undefined => /(?:^|,)\s*_id\s*=\s*([0-9A-Za-z_-]+)\s*(?:,|$)/.exec(message)?.[1]

export const publish = (endpoint: NatsEndpoint, channel: string, message: string): Effect.Effect<void, TransportError> =>
  publishAll(endpoint, [{ channel, message }])

const unacknowledged = (endpoint: NatsEndpoint, settings: JetStreamSettings) => (error: unknown): TransportError => {
  const base = natsError(endpoint, error, `no JetStream acknowledgement from stream ${settings.stream}`)
  return base.reason === "Auth" || base.reason === "Tls"
    ? base
    : new TransportError({ reason: "Unacknowledged", server: base.server, detail: base.detail })
}

/** Every message in order on one connection; a flush (core) or every PubAck (JetStream) confirms them. */
export const publishAll = (endpoint: NatsEndpoint, messages: ReadonlyArray<Outgoing>): Effect.Effect<void, TransportError> =>
  Effect.scoped(
    Effect.gen(function* () {
      const nc = yield* open(endpoint, { reconnect: false })
      const settings = endpoint.jetstream
      if (settings === undefined) {
        yield* Effect.try({
          try: () => messages.forEach(({ channel, message }) => nc.publish(subjectOf(endpoint, channel), message)),
          catch: (error) => natsError(endpoint, error, "cannot publish")
        })
        return yield* Effect.tryPromise({ try: () => nc.flush(), catch: (error) => natsError(endpoint, error, "not confirmed") })
      }
      yield* ensureStream(nc, endpoint, settings)
      const js = jetstream(nc)
      // Started in order on the one connection, so the stream stores them in that order; then every PubAck is awaited.
      const acks = yield* Effect.tryPromise({
        try: () =>
          Promise.all(messages.map(({ channel, message }) => {
            const id = messageId(message)
            return js.publish(subjectOf(endpoint, channel), message, { timeout: endpoint.pingTimeoutMs, ...(id === undefined ? {} : { msgID: id }) })
          })),
        catch: unacknowledged(endpoint, settings)
      })
      const stray = acks.find((ack) => ack.stream !== settings.stream)
      if (stray !== undefined)
        return yield* Effect.fail(
          new TransportError({
            reason: "Unacknowledged",
            server: serverName(endpoint),
            detail: `stored by stream ${stray.stream}, not ${settings.stream} (two streams hold its subjects?)`
          })
        )
      if (messages.length === 0) yield* Effect.tryPromise({ try: () => nc.flush(), catch: (error) => natsError(endpoint, error, "not confirmed") })
    })
  ).pipe(Effect.timeoutFail({
    duration: endpoint.pingTimeoutMs + 1000,
    onTimeout: () => new TransportError({ reason: "Timeout", server: serverName(endpoint), detail: `not confirmed within ${endpoint.pingTimeoutMs} ms` })
  }))
