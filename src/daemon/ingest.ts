/**
 * One server's chunk of deliveries, from the transport to the executor: decided
 * as data (`decide/chunk.ts`), counted (`tally.ts`), then run by the interpreter (`interpret.ts`).
 */
import * as Chunk from "effect/Chunk"
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as FiberRef from "effect/FiberRef"
import type * as LogLevel from "effect/LogLevel"
import { decideChunk } from "../decide/chunk.js"
import { emptyLimit, type LimitState } from "../log/limit.js"
import { countSuppressed } from "../metrics/metrics.js"
import type { Delivery } from "../transport/transport.js"
import type { CurrentCell } from "./connections.js"
import type { Dedupe } from "./dedupe.js"
import type { Interpreter } from "./interpret.js"
import type { QuorumHolds } from "./quorum.js"
import type { Tally } from "./tally.js"

export type HandleChunk = (key: string, chunk: Chunk.Chunk<Delivery>) => Effect.Effect<void>

export interface IngestDeps {
  readonly current: CurrentCell
  readonly dedupe: Dedupe
  readonly tally: Tally
  readonly interpreter: Interpreter
  /** The quorum table (absent: no quorum is ever reached, every quorum starts anew). */
  readonly quorum?: QuorumHolds
}

/** Counts the lines the rate limit kept out of the log. */
const countAll = (suppressed: ReadonlyMap<string, number>): Effect.Effect<void> =>
  suppressed.size === 0 ? Effect.void : Effect.forEach(suppressed, ([line, n]) => countSuppressed(line, n), { discard: true })

/**
 * The handler of every server's chunks (an empty chunk only closes the log's
 * rate-limit windows that have ended: their summary lines). A chunk is planned and interpreted
 * under one lock shared by all servers: the plan reads the table of executed
 * ids and the interpreter writes it only after the executor queued the action,
 * so without the lock another server's chunk could be planned in between and
 * run a copy of the same `_id` a second time.
 */
export const makeIngest = (deps: IngestDeps): Effect.Effect<HandleChunk> =>
  Effect.map(Effect.makeSemaphore(1), (lock) => {
    // Each server's log rate limit, carried from one chunk to the next (under the lock).
    const limits = new Map<string, LimitState>()
    const handle = (key: string, chunk: Chunk.Chunk<Delivery>, nowMs: number, minLevel: LogLevel.LogLevel): Effect.Effect<void> => {
      const plan = decideChunk({
        plan: deps.current.get().plans.get(key),
        deliveries: Chunk.toReadonlyArray(chunk),
        nowMs,
        minLevel,
        seen: deps.dedupe.seen,
        ...(deps.quorum === undefined ? {} : { quorum: deps.quorum.view }),
        limit: limits.get(key) ?? emptyLimit
      })
      limits.set(key, plan.limit)
      const counted = Effect.zipRight(deps.tally.add(plan.counts), countAll(plan.suppressed))
      // Submitted and recorded go together: the steps run whole, so an interruption (a reload stopping
      // this server) cannot leave an action queued but its id unrecorded, or a line half logged.
      // Nothing in them waits: submit answers at once, log lines are written by the sink.
      return plan.steps.length === 0 ? counted : Effect.uninterruptible(Effect.zipRight(counted, deps.interpreter.run(plan.steps, nowMs)))
    }
    return (key, chunk) =>
      lock.withPermits(1)(
        Effect.flatMap(Effect.zip(Clock.currentTimeMillis, FiberRef.get(FiberRef.currentMinimumLogLevel)), ([nowMs, minLevel]) =>
          handle(key, chunk, nowMs, minLevel))
      )
  })
