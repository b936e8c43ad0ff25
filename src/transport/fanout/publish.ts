/**
 * Publish over fanout: announce one message and wait for the pong that
 * confirms the server processed it (the protocol has no other acknowledgement).
 */
import * as Effect from "effect/Effect"
import { encodeRequest } from "../../protocol/request.js"
import { serverName, TransportError, type FanoutEndpoint as Endpoint } from "../transport.js"
import { connect } from "./connection.js"

export const publish = (endpoint: Endpoint, channel: string, message: string): Effect.Effect<void, TransportError> =>
  Effect.scoped(
    Effect.gen(function* () {
      const line = yield* encodeRequest({ _tag: "Announce", channel, message }).pipe(
        Effect.mapError((error) => new TransportError({ reason: "Invalid", server: serverName(endpoint), detail: error.message }))
      )
      const connection = yield* connect(endpoint, {
        connectTimeoutMs: endpoint.pingTimeoutMs,
        onDelivery: () => undefined,
        onNotice: () => undefined
      })
      yield* connection.write(line)
      yield* connection.ping(endpoint.pingTimeoutMs)
    })
  )
