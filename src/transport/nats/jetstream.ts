/**
 * The JetStream side of a NATS endpoint: the stream (created when absent,
 * subjects `<prefix>.>`) and the daemon's durable consumer with explicit acks.
 */
import {
  AckPolicy,
  DeliverPolicy,
  jetstream,
  jetstreamManager,
  JetStreamApiCodes,
  JetStreamApiError,
  StorageType,
  type Consumer,
  type JetStreamManager
} from "@nats-io/jetstream"
import type { NatsConnection } from "@nats-io/transport-node"
import * as Effect from "effect/Effect"
import { TransportError, type JetStreamSettings, type NatsEndpoint } from "../transport.js"
import { natsError } from "./connect.js"

const nanos = (ms: number): number => Math.round(ms * 1_000_000)

const isApiError = (error: unknown, code: number): boolean => error instanceof JetStreamApiError && error.code === code

const manager = (nc: NatsConnection, endpoint: NatsEndpoint): Effect.Effect<JetStreamManager, TransportError> =>
  Effect.tryPromise({
    try: () => jetstreamManager(nc, { timeout: Math.min(endpoint.pingTimeoutMs, 10_000) }),
    catch: (error) => natsError(endpoint, error, "JetStream is not available (is the server started with -js?)")
  })

/** Creates the stream when absent; an existing one is used as it is (its retention may differ: logged). */
export const ensureStream = (
  nc: NatsConnection,
  endpoint: NatsEndpoint,
  settings: JetStreamSettings
): Effect.Effect<JetStreamManager, TransportError> =>
  Effect.gen(function* () {
    const jsm = yield* manager(nc, endpoint)
    const subjects = [`${endpoint.subjectPrefix}.>`]
    const info = yield* Effect.tryPromise({
      try: () => jsm.streams.info(settings.stream).catch((error: unknown) => (isApiError(error, JetStreamApiCodes.StreamNotFound) ? undefined : Promise.reject(error))),
      catch: (error) => natsError(endpoint, error, `cannot read stream ${settings.stream}`)
    })
    if (info === undefined) {
      yield* Effect.tryPromise({
        try: () =>
          jsm.streams.add({
            name: settings.stream,
            subjects,
            max_age: nanos(settings.maxAgeMs),
            num_replicas: settings.replicas,
            storage: StorageType.File
          }).catch(async (error: unknown) => {
            // Another daemon or publisher created it first.
            await jsm.streams.info(settings.stream).catch(() => Promise.reject(error))
          }),
        catch: (error) => natsError(endpoint, error, `cannot create stream ${settings.stream}`)
      })
      yield* Effect.logInfo(`created stream ${settings.stream} (subjects ${subjects.join(", ")}, max_age ${Math.round(settings.maxAgeMs / 1000)} s)`)
    } else {
      if (!info.config.subjects?.some((subject) => subject === subjects[0] || subject === ">"))
        yield* Effect.logWarning(
          `stream ${settings.stream} exists with subjects ${(info.config.subjects ?? []).join(", ")}: it may not hold ${subjects[0]}`
        )
      if (Math.abs(info.config.max_age - nanos(settings.maxAgeMs)) > 1_000_000_000)
        yield* Effect.logDebug(`stream ${settings.stream} exists with max_age ${Math.round(info.config.max_age / 1e9)} s; left as it is`)
    }
    return jsm
  })

/**
 * The durable consumer, created when absent: every message of the stream
 * (deliver policy all), explicit acks, redelivered after ack_wait. An
 * existing one gets the configured ack_wait and max_ack_pending.
 */
export const ensureConsumer = (
  nc: NatsConnection,
  jsm: JetStreamManager,
  endpoint: NatsEndpoint,
  settings: JetStreamSettings
): Effect.Effect<Consumer, TransportError> =>
  Effect.gen(function* () {
    const fail = (what: string) => (error: unknown) => natsError(endpoint, error, what)
    const existing = yield* Effect.tryPromise({
      try: () =>
        jsm.consumers.info(settings.stream, settings.consumer).catch((error: unknown) =>
          isApiError(error, JetStreamApiCodes.ConsumerNotFound) ? undefined : Promise.reject(error)
        ),
      catch: fail(`cannot read consumer ${settings.consumer} of stream ${settings.stream}`)
    })
    if (existing === undefined) {
      yield* Effect.tryPromise({
        try: () =>
          jsm.consumers.add(settings.stream, {
            durable_name: settings.consumer,
            ack_policy: AckPolicy.Explicit,
            deliver_policy: DeliverPolicy.All,
            ack_wait: nanos(settings.ackWaitMs),
            max_ack_pending: settings.maxAckPending,
            max_deliver: -1
          }),
        catch: fail(`cannot create consumer ${settings.consumer} on stream ${settings.stream}`)
      })
      yield* Effect.logInfo(`created durable consumer ${settings.consumer} on stream ${settings.stream}`)
    } else if (existing.config.ack_wait !== nanos(settings.ackWaitMs) || existing.config.max_ack_pending !== settings.maxAckPending) {
      yield* Effect.tryPromise({
        try: () =>
          jsm.consumers.update(settings.stream, settings.consumer, {
            ack_wait: nanos(settings.ackWaitMs),
            max_ack_pending: settings.maxAckPending
          }),
        catch: fail(`cannot update consumer ${settings.consumer}`)
      })
    }
    return yield* Effect.tryPromise({
      try: () => jetstream(nc).consumers.get(settings.stream, settings.consumer),
      catch: fail(`cannot open consumer ${settings.consumer}`)
    })
  })
