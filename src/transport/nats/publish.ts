/**
 * Publish over NATS: core mode confirms with a flush (the server has the
 * message); JetStream mode creates the stream when absent and waits for the
 * stream's acknowledgement (PubAck).
 */
import { jetstream } from "@nats-io/jetstream"
import * as Effect from "effect/Effect"
import { serverName, TransportError, type NatsEndpoint } from "../transport.js"
import { natsError, open, subjectOf } from "./connect.js"
import { ensureStream } from "./jetstream.js"

/** The envelope's `_id`, used as the JetStream message id: a retried publish is stored once. */
const messageId = (message: string): string | undefined => /(?:^|,)\s*_id\s*=\s*([0-9A-Za-z_-]+)\s*(?:,|$)/.exec(message)?.[1]

export const publish = (endpoint: NatsEndpoint, channel: string, message: string): Effect.Effect<void, TransportError> =>
  Effect.scoped(
    Effect.gen(function* () {
      const nc = yield* open(endpoint, { reconnect: false })
      const subject = subjectOf(endpoint, channel)
      const settings = endpoint.jetstream
      if (settings === undefined) {
        yield* Effect.try({ try: () => nc.publish(subject, message), catch: (error) => natsError(endpoint, error, "cannot publish") })
        return yield* Effect.tryPromise({ try: () => nc.flush(), catch: (error) => natsError(endpoint, error, "not confirmed") })
      }
      yield* ensureStream(nc, endpoint, settings)
      const id = messageId(message)
      const ack = yield* Effect.tryPromise({
        try: () => jetstream(nc).publish(subject, message, { timeout: endpoint.pingTimeoutMs, ...(id === undefined ? {} : { msgID: id }) }),
        catch: (error) => {
          const base = natsError(endpoint, error, `no JetStream acknowledgement from stream ${settings.stream}`)
          return base.reason === "Auth" || base.reason === "Tls"
            ? base
            : new TransportError({ reason: "Unacknowledged", server: base.server, detail: base.detail })
        }
      })
      if (ack.stream !== settings.stream)
        return yield* Effect.fail(
          new TransportError({
            reason: "Unacknowledged",
            server: serverName(endpoint),
            detail: `stored by stream ${ack.stream}, not ${settings.stream} (two streams hold ${subject}?)`
          })
        )
    })
  ).pipe(Effect.timeoutFail({
    duration: endpoint.pingTimeoutMs + 1000,
    onTimeout: () => new TransportError({ reason: "Timeout", server: serverName(endpoint), detail: `not confirmed within ${endpoint.pingTimeoutMs} ms` })
  }))
