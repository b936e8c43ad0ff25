/**
 * A supervised fanout subscription: connect, subscribe, confirm with a ping,
 * keep pinging, and reconnect with capped, jittered exponential backoff.
 */
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Queue from "effect/Queue"
import * as Stream from "effect/Stream"
import { encodeRequest } from "../../protocol/request.js"
import { quietObserver, serverName, TransportError, type Delivery, type FanoutEndpoint as Endpoint, type SessionObserver } from "../transport.js"
import { connect } from "./connection.js"
import { noticeLog } from "./notices.js"
import { DELIVERY_BUFFER, droppedDeliveries } from "../dropped.js"
import { defaultBackoff, supervise, type BackoffOptions } from "../supervise.js"

export { defaultBackoff, reconnectSchedule, type BackoffOptions } from "../supervise.js"

const subscribeText = (endpoint: Endpoint): Effect.Effect<string, TransportError> =>
  Effect.forEach(endpoint.channels, (channel) => encodeRequest({ _tag: "Subscribe", channel })).pipe(
    Effect.map((lines) => lines.join("")),
    Effect.mapError((error) => new TransportError({ reason: "Invalid", server: serverName(endpoint), detail: error.message }))
  )

/**
 * One connection's life, from connect to its failure: it never succeeds.
 * `onEstablished` runs once the subscriptions are confirmed.
 */
const session = (
  endpoint: Endpoint,
  out: Queue.Queue<Delivery>,
  onEstablished: () => void,
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
      // Ping T/3 after each pong with a T/2 deadline: a server silent since
      // its last pong is declared dead after at most 5T/6, within T even
      // with timer and scheduling slack.
      const interval = Math.max(1, Math.floor(endpoint.pingTimeoutMs / 3))
      const deadline = Math.max(1, Math.floor(endpoint.pingTimeoutMs / 2))
      const run = Effect.gen(function* () {
        yield* connection.write(yield* subscribeText(endpoint))
        // The pong after the subscribes is their acknowledgement.
        yield* connection.ping(endpoint.pingTimeoutMs)
        onEstablished()
        yield* observer.connected
        yield* Effect.logInfo(`connected, subscribed to ${endpoint.channels.join(", ")}`)
        return yield* Effect.forever(
          Effect.zipRight(Effect.sleep(Duration.millis(interval)), connection.ping(deadline)).pipe(Effect.zipRight(observer.pong))
        )
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
  Stream.unwrapScoped(
    Effect.gen(function* () {
      const out = yield* Queue.bounded<Delivery>(DELIVERY_BUFFER)
      yield* supervise((onEstablished) => session(endpoint, out, onEstablished, observer), {
        backoff,
        observer,
        component: "fanout",
        server: serverName(endpoint)
      }).pipe(Effect.forkScoped)
      return Stream.fromQueue(out)
    })
  )
