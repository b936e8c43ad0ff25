/**
 * Publish over fanout: announce one message, or a batch, and wait for the pong
 * that confirms the server processed them (the protocol has no other acknowledgement).
 */
import * as Effect from "effect/Effect"
import { encodeRequest } from "../../protocol/request.js"
import { serverName, TransportError, type FanoutEndpoint as Endpoint, type Outgoing } from "../transport.js"
import { connect } from "./connection.js"

export const publish = (endpoint: Endpoint, channel: string, message: string): Effect.Effect<void, TransportError> =>
  publishAll(endpoint, [{ channel, message }])

/** Every announce in one write on one connection; the pong after them confirms them all (the server answers in order). */
export const publishAll = (endpoint: Endpoint, messages: ReadonlyArray<Outgoing>): Effect.Effect<void, TransportError> =>
  Effect.scoped(
    Effect.gen(function* () {
      const lines = yield* Effect.forEach(messages, ({ channel, message }) => encodeRequest({ _tag: "Announce", channel, message })).pipe(
        Effect.mapError((error) => new TransportError({ reason: "Invalid", server: serverName(endpoint), detail: error.message }))
      )
      const connection = yield* connect(endpoint, {
        connectTimeoutMs: endpoint.pingTimeoutMs,
        onDelivery: () => undefined,
        onNotice: () => undefined
      })
      if (lines.length > 0) yield* connection.write(lines.join(""))
      yield* connection.ping(endpoint.pingTimeoutMs)
    })
  )
