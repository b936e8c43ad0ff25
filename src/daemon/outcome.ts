/** How a pipeline decision is counted: its outcome and the stage that decided it. */
import type { Decision } from "./pipeline.js"

export interface Outcome {
  readonly outcome: "executed" | "ignored" | "skipped" | "rejected"
  readonly stage: string
  /** As `daemon status` shows it: `executed`, `ignored`, `rejected at filter`. */
  readonly label: string
}

const EXECUTED: Outcome = { outcome: "executed", stage: "execute", label: "executed" }
const IGNORED: Outcome = { outcome: "ignored", stage: "channel", label: "ignored" }

export const outcomeOf = (decision: Decision): Outcome => {
  switch (decision._tag) {
    case "Execute":
      return EXECUTED
    case "Ignore":
      return IGNORED
    case "Skip":
      return { outcome: "skipped", stage: decision.stage, label: `skipped at ${decision.stage}` }
    case "Reject":
      return { outcome: "rejected", stage: decision.stage, label: `rejected at ${decision.stage}` }
  }
}
