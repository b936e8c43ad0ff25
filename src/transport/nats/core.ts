/**
 * Core NATS mode: one subscription per channel subject, each message a
 * delivery with no settle hook, exactly like a fanout one.
 */
import type { Msg, NatsConnection } from "@nats-io/transport-node"
import * as Effect from "effect/Effect"
import * as Queue from "effect/Queue"
import type * as Scope from "effect/Scope"
import { droppedDeliveries } from "../dropped.js"
import { serverName, type TransportError } from "../transport.js"
import { describe, natsError, subjectOf } from "./connect.js"
import { oversize, type SessionContext } from "./context.js"

/** One subscription per channel, confirmed by a flush (the server has processed the SUBs). */
export const subscribeCore = (nc: NatsConnection, ctx: SessionContext): Effect.Effect<void, TransportError, Scope.Scope> =>
  Effect.gen(function* () {
    const { endpoint, out, run } = ctx
    const server = serverName(endpoint)
    const dropped = yield* droppedDeliveries(server)
    const onMessage = (channel: string) => (error: Error | null, msg: Msg) => {
      if (error !== null) return run(Effect.logWarning(`subscription error: ${describe(error)}`))
      if (msg.data.length > endpoint.maxLineBytes) return run(oversize(endpoint, msg.data.length))
      if (!Queue.unsafeOffer(out, { server, channel, message: msg.string() })) dropped.drop()
    }
    for (const channel of endpoint.channels) nc.subscribe(subjectOf(endpoint, channel), { callback: onMessage(channel) })
    yield* Effect.tryPromise({ try: () => nc.flush(), catch: (error) => natsError(endpoint, error, "subscriptions not confirmed") })
  })
