/**
 * The Transport service for every kind of server: fanout endpoints go to
 * the fanout transport, NATS endpoints to the NATS one (loaded on first use).
 * The daemon's batches to fanout share a connection per server (fanout/publisher.ts), closed with the layer.
 */
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Stream from "effect/Stream"
import * as Fanout from "./fanout/index.js"
import { makePublisher } from "./fanout/publisher.js"
import { nats, publish } from "./publish.js"
import { Transport } from "./transport.js"

export const layer = (backoff: Fanout.BackoffOptions = Fanout.defaultBackoff): Layer.Layer<Transport> =>
  Layer.scoped(
    Transport,
    Effect.map(Effect.acquireRelease(Effect.sync(makePublisher), (publisher) => Effect.sync(publisher.close)), (publisher) => Transport.of({
      deliveries: (endpoint, observer) =>
        endpoint.kind === "nats"
          ? Stream.unwrap(Effect.map(Effect.promise(nats), (module) => module.deliveries(endpoint, backoff, observer)))
          : Fanout.superviseDeliveries(endpoint, backoff, observer),
      publish,
      publishAll: (endpoint, messages) =>
        endpoint.kind === "nats"
          ? Effect.flatMap(Effect.promise(nats), (module) => module.publishAll(endpoint, messages))
          : publisher.publishAll(endpoint, messages)
    }))
  )
