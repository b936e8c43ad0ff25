/**
 * The Transport service for every kind of server: fanout endpoints go to
 * the fanout transport, NATS endpoints to the NATS one (loaded on first use).
 */
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Stream from "effect/Stream"
import * as Fanout from "./fanout/index.js"
import { nats, publish } from "./publish.js"
import { Transport } from "./transport.js"

export const layer = (backoff: Fanout.BackoffOptions = Fanout.defaultBackoff): Layer.Layer<Transport> =>
  Layer.succeed(
    Transport,
    Transport.of({
      deliveries: (endpoint, observer) =>
        endpoint.kind === "nats"
          ? Stream.unwrap(Effect.map(Effect.promise(nats), (module) => module.deliveries(endpoint, backoff, observer)))
          : Fanout.superviseDeliveries(endpoint, backoff, observer),
      publish,
      publishAll: (endpoint, messages) =>
        endpoint.kind === "nats"
          ? Effect.flatMap(Effect.promise(nats), (module) => module.publishAll(endpoint, messages))
          : Fanout.publishAll(endpoint, messages)
    })
  )
