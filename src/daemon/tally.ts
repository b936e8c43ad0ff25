/**
 * The daemon's message tally: every decided delivery by outcome, for `daemon
 * status`, and the same counts added to `f2bc_messages_total` once per chunk.
 */
import * as Effect from "effect/Effect"
import type { OutcomeCount } from "../decide/chunk.js"
import { countMessage } from "../metrics/metrics.js"

export interface Tally {
  /** Adds a chunk's counts to the tally and the metric. */
  readonly add: (counts: ReadonlyArray<OutcomeCount>) => Effect.Effect<void>
  /** `executed`, `rejected at filter`, … → how many since start. */
  readonly snapshot: () => Readonly<Record<string, number>>
}

export const makeTally = (): Tally => {
  const messages: Record<string, number> = {}
  return {
    add: (counts) =>
      Effect.suspend(() => {
        for (const count of counts) messages[count.label] = (messages[count.label] ?? 0) + count.n
        return Effect.forEach(counts, (count) => countMessage(count.outcome, count.stage, count.n), { discard: true })
      }),
    snapshot: () => ({ ...messages })
  }
}
