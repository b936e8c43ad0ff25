/**
 * A supervised NATS subscription: core (live subjects, `core.ts`) or
 * JetStream (a durable consumer read in order, `consume.ts`). The client
 * reconnects inside a session (with `backoff.ts`'s delays); a session that
 * ends for good (refused credentials, a first connection that fails) is
 * retried with the same capped exponential backoff as fanout.
 */
import type { NatsConnection } from "@nats-io/transport-node"
import * as Effect from "effect/Effect"
import * as Queue from "effect/Queue"
import * as Runtime from "effect/Runtime"
import * as Stream from "effect/Stream"
import { DELIVERY_BUFFER } from "../dropped.js"
import { defaultBackoff, keepPinging, supervisedDeliveries, type BackoffOptions, type Established } from "../supervise.js"
import { quietObserver, serverName, TransportError, type Delivery, type NatsEndpoint, type SessionObserver } from "../transport.js"
import { clientBackoff } from "./backoff.js"
import { describe, natsError, open } from "./connect.js"
import { consumeJetStream } from "./consume.js"
import type { SessionContext } from "./context.js"
import { subscribeCore } from "./core.js"
import { InFlight } from "./inFlight.js"

export { clientBackoff } from "./backoff.js"

/** Reports the client's own disconnects and reconnects to the observer (status board, metrics). */
const watchStatus = (nc: NatsConnection, ctx: SessionContext, reset: () => void) =>
  Effect.promise(async () => {
    const { observer, run } = ctx
    for await (const status of nc.status()) {
      switch (status.type) {
        case "disconnect":
          run(Effect.zipRight(observer.down(`disconnected from ${status.server}`), Effect.logWarning(`disconnected from ${status.server}; reconnecting`)))
          break
        case "reconnect":
          reset()
          run(Effect.zipRight(observer.connected, Effect.logInfo(`reconnected to ${status.server}`)))
          break
        case "error":
          run(Effect.logWarning(`server error: ${describe(status.error)}`))
          break
        case "staleConnection":
          run(Effect.logWarning("no answer to pings: connection declared stale; reconnecting"))
          break
        default:
          break
      }
    }
  })

/** Pings (a flush) every T/3 while connected, with a T/2 deadline: `daemon status` shows the last answer. */
const keepAlive = (nc: NatsConnection, endpoint: NatsEndpoint, observer: SessionObserver) =>
  keepPinging(endpoint.pingTimeoutMs, (deadlineMs) =>
    Effect.tryPromise(() => nc.flush()).pipe(Effect.timeout(deadlineMs), Effect.zipRight(observer.pong), Effect.ignore))

/** One connection's life, from connect to its end for good: it never succeeds. */
const session = (
  base: Omit<SessionContext, "run">,
  backoffOptions: BackoffOptions,
  established: Established
): Effect.Effect<never, TransportError> =>
  Effect.scoped(
    Effect.gen(function* () {
      const { endpoint, observer } = base
      const clock = yield* Effect.clock
      const backoff = clientBackoff(backoffOptions, () => clock.unsafeCurrentTimeMillis())
      const nc = yield* open(endpoint, { reconnect: true, reconnectDelay: backoff.next })
      const runtime = yield* Effect.runtime<never>()
      const ctx: SessionContext = { ...base, run: (effect) => void Runtime.runFork(runtime)(effect) }
      yield* Effect.forkScoped(watchStatus(nc, ctx, backoff.reset))
      if (endpoint.jetstream === undefined) yield* subscribeCore(nc, ctx)
      else yield* consumeJetStream(nc, ctx)
      const mode = endpoint.jetstream === undefined
        ? "core"
        : `JetStream stream ${endpoint.jetstream.stream}, consumer ${endpoint.jetstream.consumer}`
      yield* established(`connected to ${nc.getServer()} (${mode}), subscribed to ${endpoint.channels.join(", ")}`)
      yield* Effect.forkScoped(keepAlive(nc, endpoint, observer))
      const ended = yield* Effect.promise(() => nc.closed())
      return yield* Effect.fail(
        ended instanceof Error
          ? natsError(endpoint, ended, "connection closed")
          : new TransportError({ reason: "Closed", server: serverName(endpoint), detail: "connection closed" })
      )
    })
  )

/**
 * The supervised stream of deliveries for one NATS endpoint. A session that
 * got as far as its subscriptions restarts the backoff from its base.
 */
export const deliveries = (
  endpoint: NatsEndpoint,
  backoff: BackoffOptions = defaultBackoff,
  observer: SessionObserver = quietObserver
): Stream.Stream<Delivery> =>
  Stream.suspend(() => {
    // One table per run of the stream, kept across its sessions: a message taken before a reconnect is still settled.
    const inFlight = new InFlight()
    return supervisedDeliveries(
      // JetStream: at most max_ack_pending messages are unsettled, which bounds the queue.
      endpoint.jetstream === undefined ? Queue.bounded<Delivery>(DELIVERY_BUFFER) : Queue.unbounded<Delivery>(),
      (out, established) => session({ endpoint, out, inFlight, observer }, backoff, established),
      { backoff, observer, component: "nats", server: serverName(endpoint) }
    )
  })
