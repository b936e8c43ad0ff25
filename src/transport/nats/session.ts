/**
 * A supervised NATS subscription: core (live subjects) or JetStream (a
 * durable consumer read in order, each message settled by the daemon).
 * The client reconnects inside a session (with our backoff); a session that
 * ends for good (refused credentials, a first connection that fails) is
 * retried with the same capped exponential backoff as fanout.
 */
import type { JsMsg } from "@nats-io/jetstream"
import type { Msg, NatsConnection } from "@nats-io/transport-node"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Queue from "effect/Queue"
import * as Runtime from "effect/Runtime"
import * as Stream from "effect/Stream"
import { DELIVERY_BUFFER, droppedDeliveries } from "../dropped.js"
import { defaultBackoff, supervise, type BackoffOptions } from "../supervise.js"
import { quietObserver, serverName, TransportError, type Delivery, type NatsEndpoint, type SessionObserver } from "../transport.js"
import { channelOf, describe, natsError, open, subjectOf } from "./connect.js"
import { ensureConsumer, ensureStream } from "./jetstream.js"


/**
 * JetStream messages handed to the pipeline and not yet settled, by stream
 * sequence, each with its latest delivered copy. A redelivery (ack_wait ran
 * out while the action waited or ran) is not handed on a second time: it
 * becomes the copy that is settled, and its ack timer is reset.
 */
type InFlight = Map<number, JsMsg>

/**
 * The reconnect delays inside the client: half the time since the
 * connection was lost, from the base delay up to the cap, jittered, and
 * restarted by every reconnect. The client asks for a delay on every turn
 * of its dial loop, not once per attempt, so a count of calls (an
 * exponential in the attempt number) reached the 30 s cap within seconds:
 * a server back after 2 s was reconnected to only after 30. Time-based,
 * the wait grows as the outage does, whatever the client's call pattern.
 */
export const clientBackoff = (options: BackoffOptions, now: () => number = Date.now) => {
  let downSince: number | undefined
  return {
    next: (): number => {
      const at = now()
      if (downSince === undefined) downSince = at
      const delay = Math.min(options.capMs, Math.max(options.baseMs, (at - downSince) / 2)) * (0.8 + Math.random() * 0.4)
      return Math.min(options.capMs, Math.round(delay))
    },
    reset: (): void => {
      downSince = undefined
    }
  }
}

interface SessionContext {
  readonly endpoint: NatsEndpoint
  readonly out: Queue.Queue<Delivery>
  readonly inFlight: InFlight
  readonly backoff: BackoffOptions
  readonly observer: SessionObserver
  readonly onEstablished: () => void
}

/** Reports the client's own disconnects and reconnects to the observer (status board, metrics). */
const watchStatus = (nc: NatsConnection, observer: SessionObserver, reset: () => void) =>
  Effect.gen(function* () {
    const runtime = yield* Effect.runtime<never>()
    const run = Runtime.runFork(runtime)
    yield* Effect.promise(async () => {
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
  })

/** Pings (a flush) every T/3 while connected: `daemon status` shows the last answer. */
const keepAlive = (nc: NatsConnection, endpoint: NatsEndpoint, observer: SessionObserver) =>
  Effect.zipRight(
    Effect.sleep(Duration.millis(Math.max(1, Math.floor(endpoint.pingTimeoutMs / 3)))),
    Effect.tryPromise(() => nc.flush()).pipe(
      Effect.timeout(Duration.millis(Math.max(1, Math.floor(endpoint.pingTimeoutMs / 2)))),
      Effect.zipRight(observer.pong),
      Effect.ignore
    )
  ).pipe(Effect.forever)

const oversize = (endpoint: NatsEndpoint, bytes: number) =>
  Effect.logWarning(`dropped a message of ${bytes} bytes (max_line_bytes ${endpoint.maxLineBytes})`)

/** Core NATS: one subscription per channel, confirmed by a flush (the server has processed the SUBs). */
const subscribeCore = (nc: NatsConnection, ctx: SessionContext, run: <A>(effect: Effect.Effect<A>) => void) =>
  Effect.gen(function* () {
    const { endpoint, out } = ctx
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

/** JetStream: the stream and the durable consumer, read in stream order; each message is settled by the daemon. */
const consumeJetStream = (nc: NatsConnection, ctx: SessionContext, run: <A>(effect: Effect.Effect<A>) => void) =>
  Effect.gen(function* () {
    const { endpoint, out, inFlight } = ctx
    const settings = endpoint.jetstream!
    const server = serverName(endpoint)
    const channels = new Set(endpoint.channels)
    const jsm = yield* ensureStream(nc, endpoint, settings)
    const consumer = yield* ensureConsumer(nc, jsm, endpoint, settings)
    const settled = (seq: number, how: (copy: JsMsg) => void) =>
      Effect.sync(() => {
        const copy = inFlight.get(seq)
        if (copy === undefined) return
        inFlight.delete(seq)
        how(copy)
      })
    const admit = (msg: JsMsg): void => {
      const seq = msg.seq
      if (inFlight.has(seq)) {
        // Still waiting or running here: this copy settles it, and the redelivery timer restarts.
        inFlight.set(seq, msg)
        msg.working()
        return
      }
      const channel = channelOf(endpoint, msg.subject)
      // Another channel of the stream (the consumer reads all of <prefix>.>): nothing to do here.
      if (channel === undefined || !channels.has(channel)) return msg.ack()
      if (msg.data.length > endpoint.maxLineBytes) {
        msg.ack()
        return run(oversize(endpoint, msg.data.length))
      }
      inFlight.set(seq, msg)
      Queue.unsafeOffer(out, {
        server,
        channel,
        message: msg.string(),
        settle: {
          ack: settled(seq, (copy) => copy.ack()),
          retry: (delayMs) => settled(seq, (copy) => copy.nak(delayMs))
        }
      })
    }
    const info = yield* Effect.tryPromise({
      try: () => consumer.info(false),
      catch: (error) => natsError(endpoint, error, `cannot read consumer ${settings.consumer}`)
    })
    const { onMessage, cancel } = recoverInOrder(info.num_ack_pending, info.delivered.stream_seq, settings.ackWaitMs, admit, run)
    yield* Effect.addFinalizer(() => Effect.sync(cancel))
    const messages = yield* Effect.acquireRelease(
      Effect.tryPromise({
        try: () => consumer.consume({ callback: onMessage, max_messages: Math.min(settings.maxAckPending, 256) }),
        catch: (error) => natsError(endpoint, error, `cannot consume from ${settings.consumer}`)
      }),
      (messages) => Effect.promise(() => messages.close().catch(() => undefined))
    )
    yield* Effect.forkScoped(Effect.promise(async () => {
      for await (const note of messages.status()) {
        if (note.type === "heartbeats_missed" || note.type === "consumer_not_found" || note.type === "stream_not_found" ||
          note.type === "consumer_deleted" || note.type === "exceeded_limits")
          run(Effect.logWarning(`JetStream consumer ${settings.consumer}: ${note.type}`))
      }
    }))
    // On stop: what the pipeline has not taken goes back (first in line after a restart); what it has
    // taken stays connected until its actions finish and settle it (bounded by settleTimeoutMs).
    yield* Effect.addFinalizer((exit) =>
      Exit.isInterrupted(exit)
        ? Effect.gen(function* () {
          yield* Effect.promise(() => messages.close().catch(() => undefined))
          const waiting = yield* Queue.takeAll(out)
          for (const delivery of waiting) if (delivery.settle !== undefined) yield* delivery.settle.retry(0)
          const deadline = Date.now() + endpoint.settleTimeoutMs
          while (inFlight.size > 0 && Date.now() < deadline) yield* Effect.sleep(Duration.millis(20))
          if (inFlight.size > 0) yield* Effect.logInfo(`${inFlight.size} message(s) not settled: the server redelivers them after a restart`)
          yield* Effect.promise(() => nc.flush().catch(() => undefined))
        })
        : Effect.void
    )
  })

/**
 * After a crash, the messages delivered and not acknowledged come back once
 * ack_wait has run out, in an order NATS does not keep (and after newer
 * messages): a ban and the unban of the same address could swap. So when
 * the consumer starts with `pending` such messages (all at or below
 * `deliveredSeq`), everything is held until each of them has come back (or
 * 2 × ack_wait + 5 s have passed), then handed on in stream order.
 */
const recoverInOrder = (
  pending: number,
  deliveredSeq: number,
  ackWaitMs: number,
  admit: (msg: JsMsg) => void,
  run: <A>(effect: Effect.Effect<A>) => void
): { readonly onMessage: (msg: JsMsg) => void; readonly cancel: () => void } => {
  if (pending === 0) return { onMessage: admit, cancel: () => undefined }
  run(Effect.logInfo(`${pending} message(s) were delivered before and not acknowledged: holding new ones until they come back (ack_wait), to run all in stream order`))
  const held = new Map<number, JsMsg>()
  let recovering = true
  let returned = 0
  const release = (why: string) => {
    if (!recovering) return
    recovering = false
    clearTimeout(timer)
    const ordered = [...held.values()].sort((a, b) => a.seq - b.seq)
    held.clear()
    run(Effect.logInfo(`${why}: handing on ${ordered.length} held message(s) in stream order`))
    for (const msg of ordered) admit(msg)
  }
  const timer = setTimeout(() => release(`not every unacknowledged message came back within ${2 * ackWaitMs + 5000} ms`), 2 * ackWaitMs + 5000)
  const onMessage = (msg: JsMsg): void => {
    if (!recovering) return admit(msg)
    const known = held.get(msg.seq)
    if (known === undefined && msg.seq <= deliveredSeq) returned++
    // A copy delivered again while held replaces the older one (its ack timer restarts).
    if (known !== undefined) msg.working()
    held.set(msg.seq, msg)
    if (returned >= pending) release("every unacknowledged message is back")
  }
  // The session ended first: the held messages are redelivered to the next one.
  const cancel = () => {
    recovering = false
    clearTimeout(timer)
  }
  return { onMessage, cancel }
}

/** One connection's life, from connect to its end for good: it never succeeds. */
const session = (ctx: SessionContext): Effect.Effect<never, TransportError> =>
  Effect.scoped(
    Effect.gen(function* () {
      const { endpoint, observer } = ctx
      const backoff = clientBackoff(ctx.backoff)
      const nc = yield* open(endpoint, { reconnect: true, reconnectDelay: backoff.next })
      const runtime = yield* Effect.runtime<never>()
      const run = <A>(effect: Effect.Effect<A>): void => {
        Runtime.runFork(runtime)(effect)
      }
      yield* Effect.forkScoped(watchStatus(nc, observer, backoff.reset))
      if (endpoint.jetstream === undefined) yield* subscribeCore(nc, ctx, run)
      else yield* consumeJetStream(nc, ctx, run)
      ctx.onEstablished()
      yield* observer.connected
      const mode = endpoint.jetstream === undefined
        ? "core"
        : `JetStream stream ${endpoint.jetstream.stream}, consumer ${endpoint.jetstream.consumer}`
      yield* Effect.logInfo(`connected to ${nc.getServer()} (${mode}), subscribed to ${endpoint.channels.join(", ")}`)
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
  Stream.unwrapScoped(
    Effect.gen(function* () {
      // JetStream: at most max_ack_pending messages are unsettled, which bounds the queue.
      const out = endpoint.jetstream === undefined ? yield* Queue.bounded<Delivery>(DELIVERY_BUFFER) : yield* Queue.unbounded<Delivery>()
      const inFlight: InFlight = new Map()
      yield* supervise(
        (onEstablished) => session({ endpoint, out, inFlight, backoff, observer, onEstablished }),
        { backoff, observer, component: "nats", server: serverName(endpoint) }
      ).pipe(Effect.forkScoped)
      return Stream.fromQueue(out)
    })
  )
