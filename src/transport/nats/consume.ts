/**
 * JetStream mode: the durable consumer read in stream order; each message is
 * a delivery the daemon settles (ack, or retry later), and a stop waits for those in flight.
 */
import type { ConsumerMessages, JsMsg } from "@nats-io/jetstream"
import type { NatsConnection } from "@nats-io/transport-node"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Queue from "effect/Queue"
import type * as Scope from "effect/Scope"
import { serverName, type TransportError } from "../transport.js"
import { channelOf, natsError } from "./connect.js"
import { oversize, type SessionContext } from "./context.js"
import { ensureConsumer, ensureStream } from "./jetstream.js"
import { recoverInOrder } from "./recover.js"

/** Hands a message to the pipeline with its settle hook, unless it is in flight already, for another channel, or too large. */
const admitter = (ctx: SessionContext): ((msg: JsMsg) => void) => {
  const { endpoint, out, inFlight, run } = ctx
  const server = serverName(endpoint)
  const channels = new Set(endpoint.channels)
  const settled = (seq: number, how: (copy: JsMsg) => void) =>
    Effect.sync(() => {
      const copy = inFlight.take(seq)
      if (copy !== undefined) how(copy)
    })
  return (msg) => {
    const seq = msg.seq
    if (inFlight.has(seq)) {
      // Still waiting or running here: this copy settles it, and the redelivery timer restarts.
      inFlight.set(msg)
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
    inFlight.set(msg)
    Queue.unsafeOffer(out, {
      server,
      channel,
      message: msg.string(),
      settle: { ack: settled(seq, (copy) => copy.ack()), retry: (delayMs) => settled(seq, (copy) => copy.nak(delayMs)) }
    })
  }
}

const watched = new Set(["heartbeats_missed", "consumer_not_found", "stream_not_found", "consumer_deleted", "exceeded_limits"])

/** Logs what the consumer reports that an operator should hear of. */
const watchConsumer = (messages: ConsumerMessages, ctx: SessionContext, consumer: string) =>
  Effect.promise(async () => {
    for await (const note of messages.status()) if (watched.has(note.type)) ctx.run(Effect.logWarning(`JetStream consumer ${consumer}: ${note.type}`))
  })

/**
 * On stop: what the pipeline has not taken goes back (first in line after a
 * restart); what it has taken stays connected until its actions finish and
 * settle it, bounded by settleTimeoutMs. (A finalizer is uninterruptible:
 * the wait is made interruptible so that the timeout can end it.)
 */
const settleOnStop = (nc: NatsConnection, messages: ConsumerMessages, ctx: SessionContext): Effect.Effect<void> =>
  Effect.gen(function* () {
    const { endpoint, inFlight, out } = ctx
    yield* Effect.promise(() => messages.close().catch(() => undefined))
    const waiting = yield* Queue.takeAll(out)
    for (const delivery of waiting) if (delivery.settle !== undefined) yield* delivery.settle.retry(0)
    yield* inFlight.empty.pipe(Effect.interruptible, Effect.timeout(Duration.millis(endpoint.settleTimeoutMs)), Effect.ignore)
    if (inFlight.size > 0) yield* Effect.logInfo(`${inFlight.size} message(s) not settled: the server redelivers them after a restart`)
    yield* Effect.promise(() => nc.flush().catch(() => undefined))
  })

/** The stream and the durable consumer, read in stream order; each message is settled by the daemon. */
export const consumeJetStream = (nc: NatsConnection, ctx: SessionContext): Effect.Effect<void, TransportError, Scope.Scope> =>
  Effect.gen(function* () {
    const { endpoint } = ctx
    const settings = endpoint.jetstream!
    const jsm = yield* ensureStream(nc, endpoint, settings)
    const consumer = yield* ensureConsumer(nc, jsm, endpoint, settings)
    const info = yield* Effect.tryPromise({
      try: () => consumer.info(false),
      catch: (error) => natsError(endpoint, error, `cannot read consumer ${settings.consumer}`)
    })
    const onMessage = yield* recoverInOrder(info.num_ack_pending, info.delivered.stream_seq, settings.ackWaitMs, admitter(ctx), ctx.run)
    const messages = yield* Effect.acquireRelease(
      Effect.tryPromise({
        try: () => consumer.consume({ callback: onMessage, max_messages: Math.min(settings.maxAckPending, 256) }),
        catch: (error) => natsError(endpoint, error, `cannot consume from ${settings.consumer}`)
      }),
      (messages) => Effect.promise(() => messages.close().catch(() => undefined))
    )
    yield* Effect.forkScoped(watchConsumer(messages, ctx, settings.consumer))
    yield* Effect.addFinalizer((exit) => (Exit.isInterrupted(exit) ? settleOnStop(nc, messages, ctx) : Effect.void))
  })
