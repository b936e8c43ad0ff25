/**
 * What the parts of one NATS session share: the endpoint, the queue the
 * pipeline reads, the messages in flight, and a way to run an Effect from a client callback.
 */
import * as Effect from "effect/Effect"
import type * as Queue from "effect/Queue"
import type { Delivery, NatsEndpoint, SessionObserver } from "../transport.js"
import type { InFlight } from "./inFlight.js"

export interface SessionContext {
  readonly endpoint: NatsEndpoint
  readonly out: Queue.Queue<Delivery>
  readonly inFlight: InFlight
  readonly observer: SessionObserver
  /** Forks an Effect (a log line) from a client callback, in the session's runtime. */
  readonly run: <A>(effect: Effect.Effect<A>) => void
}

export const oversize = (endpoint: NatsEndpoint, bytes: number): Effect.Effect<void> =>
  Effect.logWarning(`dropped a message of ${bytes} bytes (max_line_bytes ${endpoint.maxLineBytes})`)
