/** How a pipeline decision is counted: its outcome and the stage that decided it. */
import { countMessage } from "../metrics/metrics.js"
import type { Decision } from "./pipeline.js"

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

export const countDecision = (decision: Decision) => {
  const [what, stage] = outcome(decision)
  return countMessage(what, stage)
}
