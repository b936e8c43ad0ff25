/**
 * The interpreter of a chunk's plan (`decide/chunk.ts`): writes its log lines,
 * submits its actions, records what was queued in the table of executed ids, and settles messages.
 */
import * as Effect from "effect/Effect"
import type { Step } from "../decide/chunk.js"
import type { ExecutorService, SubmitResult } from "../exec/executor.js"
import { logLines } from "../log/batch.js"
import type { Expiries } from "../state/expiries.js"
import { crossed, type Dedupe } from "./dedupe.js"
import type { QuorumHolds } from "./quorum.js"

/** How long a JetStream message whose action could not be queued waits before it is delivered again. */
export const RETRY_FULL_MS = 1000
/** Actions dropped because the queue is full: the first is logged, then one line per 1 000. */
const DROP_LOG_EVERY = 1_000

export interface Interpreter {
  /** Runs the steps in order; `nowMs` is the time the chunk was decided (its log lines' time, its records' time). */
  readonly run: (steps: ReadonlyArray<Step>, nowMs: number) => Effect.Effect<void>
}

type Submit = Extract<Step, { _tag: "Submit" }>

/** What follows a submit the executor did not queue: the message goes back (JetStream) or is dropped, and is logged. */
const makeNotQueued = (queueLimit: number) => {
  let dropped = 0
  return (step: Submit, result: Exclude<SubmitResult, "Queued">): Effect.Effect<void> => {
    const settle = step.delivery.settle
    const annotate = Effect.annotateLogs({ message: step.delivery.message })
    if (result === "QueueFull") {
      const before = dropped
      dropped++
      const retry = settle === undefined ? Effect.void : settle.retry(RETRY_FULL_MS)
      if (!crossed(before, dropped, DROP_LOG_EVERY)) return retry
      return Effect.zipRight(retry, Effect.logWarning(
        settle === undefined
          ? `dropped: the action queue is full (queue_limit ${queueLimit}); ${dropped} action(s) dropped so far`
          : `the action queue is full (queue_limit ${queueLimit}): the server delivers the message again in ${RETRY_FULL_MS / 1000} s; ${dropped} so far`
      ).pipe(annotate))
    }
    return Effect.zipRight(
      settle === undefined ? Effect.void : settle.retry(0),
      Effect.logWarning(
        settle === undefined ? "dropped: the daemon is shutting down" : "not run: the daemon is shutting down; the server delivers it again after a restart"
      ).pipe(annotate)
    )
  }
}

export const makeInterpreter = (
  executor: ExecutorService,
  dedupe: Dedupe,
  queueLimit: number,
  quorum?: QuorumHolds,
  expiries?: Expiries
): Interpreter => {
  const notQueued = makeNotQueued(queueLimit)

  /**
   * Submits, then records the id only if the action was queued: a message that
   * could not be (and that JetStream delivers again) is not skipped as a duplicate.
   */
  const submit = (step: Submit, nowMs: number): Effect.Effect<void> => {
    const { delivery, record } = step
    const settle = delivery.settle
    return executor.submit({
      argv: step.argv,
      timeoutMs: step.timeoutMs,
      orderKey: step.orderKey,
      server: delivery.server,
      channel: delivery.channel,
      // Acknowledged once the action (or the batch holding it) has finished, failed included: a failing action is logged, not retried forever.
      ...(settle === undefined ? {} : { onDone: settle.ack }),
      ...(step.fail2banSocket === undefined ? {} : { fail2banSocket: step.fail2banSocket }),
      ...(step.batch === undefined ? {} : { batch: { word: step.batch.word, max: step.batch.max, lingerMs: Math.round(step.batch.linger * 1000) } })
    }).pipe(
      Effect.flatMap((result) =>
        result === "Queued"
          ? Effect.all([
            remember(record, step.quorum, nowMs),
            step.expiry === undefined || expiries === undefined ? Effect.void : expiries.apply(step.expiry)
          ], { discard: true })
          : notQueued(step, result)
      ),
      Effect.annotateLogs({ channel: delivery.channel })
    )
  }

  /** A held or skipped message's id and count (and a queued run's count): nothing runs, but a replay is a duplicate. */
  const remember = (record: Submit["record"], counted: Submit["quorum"], nowMs: number): Effect.Effect<void> =>
    Effect.zipRight(
      record === undefined ? Effect.void : dedupe.record(record, nowMs),
      counted === undefined || quorum === undefined ? Effect.void : quorum.record(counted, nowMs)
    )

  const runStep = (step: Step, nowMs: number): Effect.Effect<void> => {
    switch (step._tag) {
      case "Log":
        return logLines(step.lines, nowMs)
      case "Submit":
        return submit(step, nowMs)
      case "Settle":
        return step.how === "Ack" ? step.settle.ack : step.settle.retry(0)
      case "Remember":
        return remember(step.record, step.quorum, nowMs)
    }
  }

  return { run: (steps, nowMs) => Effect.forEach(steps, (step) => runStep(step, nowMs), { discard: true }) }
}
