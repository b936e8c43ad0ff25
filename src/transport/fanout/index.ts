/**
 * The fanout transport (docs/protocol.md) as a Transport service layer.
 */
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Stream from "effect/Stream"
import { Transport, TransportError, type Endpoint, type FanoutEndpoint } from "../transport.js"
import { publish, publishAll } from "./publish.js"
import { defaultBackoff, superviseDeliveries, type BackoffOptions } from "./session.js"

export { defaultBackoff, reconnectSchedule, type BackoffOptions } from "./session.js"
export { publish, publishAll } from "./publish.js"
export { superviseDeliveries } from "./session.js"

const notFanout = (endpoint: Exclude<Endpoint, FanoutEndpoint>) =>
  new TransportError({ reason: "Invalid", server: endpoint.urls.join(","), detail: "the fanout transport cannot serve a NATS server" })

/** Fanout only; src/transport/layer.ts serves both transports. */
export const layer = (backoff: BackoffOptions = defaultBackoff): Layer.Layer<Transport> =>
  Layer.succeed(
    Transport,
    Transport.of({
      deliveries: (endpoint, observer) =>
        endpoint.kind === "nats" ? Stream.die(notFanout(endpoint)) : superviseDeliveries(endpoint, backoff, observer),
      publish: (endpoint, channel, message) =>
        endpoint.kind === "nats" ? Effect.fail(notFanout(endpoint)) : publish(endpoint, channel, message),
      publishAll: (endpoint, messages) =>
        endpoint.kind === "nats" ? Effect.fail(notFanout(endpoint)) : publishAll(endpoint, messages)
    })
  )
