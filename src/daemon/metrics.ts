/**
 * The daemon's counters (Effect Metric): every delivery's outcome by stage,
 * so each rejection reason is counted as well as logged.
 */
import type * as Effect from "effect/Effect"
import * as Metric from "effect/Metric"
import type { Decision } from "./pipeline.js"

/** `f2bc_messages_total{outcome, stage}`: outcome is executed, ignored, skipped or rejected. */
export const messagesTotal = Metric.counter("f2bc_messages_total", {
  description: "Deliveries by pipeline outcome and the stage that decided it",
  incremental: true
})

/** `f2bc_dedupe_evictions_total`: live ids evicted because the dedupe table was full. */
export const dedupeEvictions = Metric.counter("f2bc_dedupe_evictions_total", {
  description: "Remembered message ids evicted before expiry because dedupe_max_entries was reached",
  incremental: true
})

const outcome = (decision: Decision): readonly [string, string] => {
  switch (decision._tag) {
    case "Execute":
      return ["executed", "execute"]
    case "Ignore":
      return ["ignored", "channel"]
    case "Skip":
      return ["skipped", decision.stage]
    case "Reject":
      return ["rejected", decision.stage]
  }
}

export const countDecision = (decision: Decision): Effect.Effect<void> => {
  const [what, stage] = outcome(decision)
  return Metric.increment(Metric.tagged(Metric.tagged(messagesTotal, "outcome", what), "stage", stage))
}
