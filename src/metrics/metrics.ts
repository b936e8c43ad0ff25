/**
 * Every counter, gauge and histogram f2bc keeps (Effect Metric, in memory):
 * what `/metrics` serves and `daemon status` summarises.
 */
import * as Effect from "effect/Effect"
import * as Metric from "effect/Metric"
import * as MetricBoundaries from "effect/MetricBoundaries"

/** `f2bc_messages_total{outcome, stage}`: every delivery, by how the pipeline decided it. */
export const messagesTotal = Metric.counter("f2bc_messages_total", {
  description: "Deliveries by pipeline outcome (executed, ignored, skipped, held, rejected) and the stage that decided it",
  incremental: true
})

/** `f2bc_dedupe_evictions_total`: live ids evicted because the dedupe table was full. */
export const dedupeEvictions = Metric.counter("f2bc_dedupe_evictions_total", {
  description: "Remembered message ids evicted before expiry because dedupe_max_entries was reached",
  incremental: true
})

/** `f2bc_actions_total{result}`: succeeded, failed (non-zero, signal, timeout, not found), dropped (queue full or shutdown). */
export const actionsTotal = Metric.counter("f2bc_actions_total", {
  description: "Actions by result: succeeded, failed, dropped",
  incremental: true
})

/** `f2bc_action_duration_seconds`: wall time of each action run. */
export const actionDuration = Metric.histogram(
  "f2bc_action_duration_seconds",
  MetricBoundaries.fromIterable([0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30]),
  "Wall time of each action, in seconds"
)

/** `f2bc_action_queue_length`: actions waiting or running. */
export const actionQueue = Metric.gauge("f2bc_action_queue_length", { description: "Actions waiting or running" })

/** `f2bc_deliveries_dropped_total{server}`: deliveries dropped because the pipeline was behind. */
export const deliveriesDropped = Metric.counter("f2bc_deliveries_dropped_total", {
  description: "Deliveries dropped before the pipeline because its buffer was full",
  incremental: true
})

/** `f2bc_server_connected{server}`: 1 while the subscription is confirmed, else 0. */
export const serverConnected = Metric.gauge("f2bc_server_connected", { description: "1 while connected and subscribed, else 0" })

/** `f2bc_reconnects_total{server}`: connection failures and losses (each followed by a reconnect). */
export const reconnectsTotal = Metric.counter("f2bc_reconnects_total", {
  description: "Connection failures and losses, each followed by a reconnect attempt",
  incremental: true
})

/** `f2bc_log_lines_suppressed_total{line}`: log lines the rate limit kept out, by kind (`rejected at types`, `server notice`). */
export const logSuppressed = Metric.counter("f2bc_log_lines_suppressed_total", {
  description: "Log lines not written because their kind exceeded its rate limit (each window ends with a summary line)",
  incremental: true
})

/** Tagged metrics are built once per label set: tagging per message costs more than the count. */
const memo = <M>(make: (key: string) => M): ((key: string) => M) => {
  const made = new Map<string, M>()
  return (key) => {
    let metric = made.get(key)
    if (metric === undefined) {
      metric = make(key)
      made.set(key, metric)
    }
    return metric
  }
}

const actionCounter = memo((result) => Metric.tagged(actionsTotal, "result", result))

export const countAction = (result: "succeeded" | "failed" | "dropped", by = 1): Effect.Effect<void> =>
  Metric.incrementBy(actionCounter(result), by)

const messageCounter = memo((key) => {
  const [outcome = "", stage = ""] = key.split("\u0000")
  return Metric.tagged(Metric.tagged(messagesTotal, "outcome", outcome), "stage", stage)
})

export const countMessage = (outcome: string, stage: string, by = 1): Effect.Effect<void> =>
  Metric.incrementBy(messageCounter(`${outcome}\u0000${stage}`), by)

export const recordDuration = (ms: number): Effect.Effect<void> => Metric.update(actionDuration, ms / 1000)

export const setConnected = (server: string, connected: boolean): Effect.Effect<void> =>
  Metric.set(Metric.tagged(serverConnected, "server", server), connected ? 1 : 0)

export const countReconnect = (server: string, by = 1): Effect.Effect<void> =>
  Metric.incrementBy(Metric.tagged(reconnectsTotal, "server", server), by)

export const countDroppedDeliveries = (server: string, by: number): Effect.Effect<void> =>
  Metric.incrementBy(Metric.tagged(deliveriesDropped, "server", server), by)

export const setQueueLength = (length: number): Effect.Effect<void> => Metric.set(actionQueue, length)

export const countEvictions = (by: number): Effect.Effect<void> => Metric.incrementBy(dedupeEvictions, by)

const suppressedCounter = memo((line) => Metric.tagged(logSuppressed, "line", line))

export const countSuppressed = (line: string, by: number): Effect.Effect<void> => Metric.incrementBy(suppressedCounter(line), by)

export const outboxEntries = Metric.gauge("f2bc_outbox_entries", { description: "Entries in the outbox not yet confirmed by every target server" })

export const outboxOldestAge = Metric.gauge("f2bc_outbox_oldest_age_seconds", { description: "Age of the oldest entry in the outbox (0 when empty)" })

export const outboxDelivered = Metric.counter("f2bc_outbox_delivered_total", {
  description: "Outbox entries confirmed by a server, per server",
  incremental: true
})

export const outboxDropped = Metric.counter("f2bc_outbox_dropped_total", {
  description: "Outbox entries dropped for a server (older than outbox_max_age, or the server left the config), per server",
  incremental: true
})

export const setOutboxGauges = (entries: number, oldestAgeSeconds: number): Effect.Effect<void> =>
  Effect.zipRight(Metric.set(outboxEntries, entries), Metric.set(outboxOldestAge, oldestAgeSeconds))

export const countOutbox = (how: "delivered" | "dropped", server: string, by: number): Effect.Effect<void> =>
  Metric.incrementBy(Metric.tagged(how === "delivered" ? outboxDelivered : outboxDropped, "server", server), by)

export const expiriesScheduled = Metric.gauge("f2bc_expiries_scheduled", { description: "Expiries scheduled (bans with ban_until on a channel with expire_action)" })

export const expiriesRun = Metric.counter("f2bc_expiries_run_total", { description: "Expire actions handed to the executor at their ban_until" })

export const setExpiriesScheduled = (n: number): Effect.Effect<void> => Metric.set(expiriesScheduled, n)

export const countExpiriesRun = (by: number): Effect.Effect<void> => Metric.incrementBy(expiriesRun, by)
