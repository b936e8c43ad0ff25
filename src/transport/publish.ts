/**
 * Publishing one message to any kind of server, without the subscriber side:
 * what `f2bc publish` needs, so its start-up loads no Stream or supervision code.
 */
import * as Effect from "effect/Effect"
import { publish as fanoutPublish } from "./fanout/publish.js"
import type { Endpoint, TransportError } from "./transport.js"

/** The NATS client is loaded only when a NATS server is used: `f2bc publish` to fanout stays small. */
export const nats = () => import("./nats/index.js")

/** Announces `message` on `channel` and waits for the server's confirmation. */
export const publish = (endpoint: Endpoint, channel: string, message: string): Effect.Effect<void, TransportError> =>
  endpoint.kind === "nats"
    ? Effect.flatMap(Effect.promise(nats), (module) => module.publish(endpoint, channel, message))
    : fanoutPublish(endpoint, channel, message)
