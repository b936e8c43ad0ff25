/**
 * A supervised fanout subscription: connect, subscribe, confirm with a ping,
 * keep pinging, and reconnect with capped, jittered exponential backoff.
 */
import * as Effect from "effect/Effect"
import * as Queue from "effect/Queue"
import type * as Stream from "effect/Stream"
import { encodeRequest } from "../../protocol/request.js"
import { quietObserver, serverName, TransportError, type Delivery, type FanoutEndpoint as Endpoint, type SessionObserver } from "../transport.js"
import { connect } from "./connection.js"
import { noticeLog } from "./notices.js"
import { DELIVERY_BUFFER, droppedDeliveries } from "../dropped.js"
import { defaultBackoff, keepPinging, supervisedDeliveries, type BackoffOptions, type Established } from "../supervise.js"

export { defaultBackoff, reconnectSchedule, type BackoffOptions } from "../supervise.js"

const subscribeText = (endpoint: Endpoint): Effect.Effect<string, TransportError> =>
  Effect.forEach(endpoint.channels, (channel) => encodeRequest({ _tag: "Subscribe", channel })).pipe(
    Effect.map((lines) => lines.join("")),
    Effect.mapError((error) => new TransportError({ reason: "Invalid", server: serverName(endpoint), detail: error.message }))
  )

/**
 * One connection's life, from connect to its failure: it never succeeds.
 * It is established once the subscriptions are confirmed.
 */
const session = (
  endpoint: Endpoint,
  out: Queue.Queue<Delivery>,
  established: Established,
  observer: SessionObserver
): Effect.Effect<never, TransportError> =>
  Effect.scoped(
    Effect.gen(function* () {
      const server = serverName(endpoint)
      const channels = new Set(endpoint.channels)
      const dropped = yield* droppedDeliveries(server)
      const logNotice = yield* noticeLog()
      const connection = yield* connect(endpoint, {
        connectTimeoutMs: Math.min(endpoint.pingTimeoutMs, 10_000),
        onDelivery: (channel, message) => {
          if (!channels.has(channel)) return
          if (!Queue.unsafeOffer(out, { server, channel, message })) dropped.drop()
        },
        onNotice: logNotice
      })
      const run = Effect.gen(function* () {
        yield* connection.write(yield* subscribeText(endpoint))
        // The pong after the subscribes is their acknowledgement.
        yield* connection.ping(endpoint.pingTimeoutMs)
        yield* established(`connected, subscribed to ${endpoint.channels.join(", ")}`)
        return yield* keepPinging(endpoint.pingTimeoutMs, (deadlineMs) => Effect.zipRight(connection.ping(deadlineMs), observer.pong))
      })
      return yield* Effect.raceFirst(run, connection.closed)
    })
  )

/**
 * The supervised stream of deliveries for one endpoint. A session that got
 * as far as a confirmed subscription restarts the backoff from its base.
 */
export const superviseDeliveries = (
  endpoint: Endpoint,
  backoff: BackoffOptions = defaultBackoff,
  observer: SessionObserver = quietObserver
): Stream.Stream<Delivery> =>
  supervisedDeliveries(
    Queue.bounded<Delivery>(DELIVERY_BUFFER),
    (out, established) => session(endpoint, out, established, observer),
    { backoff, observer, component: "fanout", server: serverName(endpoint) }
  )
