/**
 * One unit's process (a single action or a batch): run it, count and time it once per
 * action it holds, and log it once, with the batch's size and its argv clipped.
 */
import * as Effect from "effect/Effect"
import { countAction, recordDuration } from "../metrics/metrics.js"
import { batchArgv, clipArgv } from "./batcher.js"
import type { ExecutorOptions, Job } from "./executor.js"
import { runProcess, type RunOptions } from "./process.js"

/** Every action of the unit counts as one, succeeded or failed: metrics stay per message. */
const countEach = (result: "succeeded" | "failed", n: number, durationMs: number): Effect.Effect<void> =>
  Effect.zipRight(countAction(result, n), Effect.forEach(Array.from({ length: n }), () => recordDuration(durationMs), { discard: true }))

/**
 * Runs the jobs of one unit as one process (all of one group when there are
 * several: the first's argv with its batched word repeated once per job) and
 * answers whether it succeeded; never fails.
 */
export const runUnit = (jobs: ReadonlyArray<Job>, values: ReadonlyArray<string>, options: ExecutorOptions): Effect.Effect<boolean> => {
  const first = jobs[0]!
  const word = first.batch?.word
  const batched = word !== undefined && values.length > 0
  const argv = batched ? batchArgv(first.argv, word, values) : first.argv
  const shown = batched ? clipArgv(argv, word, values.length) : argv
  // A batch of one logs as a single action does.
  const size = values.length > 1 ? { batch: values.length } : {}
  const runOptions: RunOptions = { timeoutMs: first.timeoutMs, killGraceMs: options.killGraceMs, maxOutputBytes: options.maxOutputBytes }
  return runProcess(argv, runOptions).pipe(
    Effect.tap((result) => countEach("succeeded", jobs.length, result.durationMs)),
    Effect.tap((result) =>
      Effect.logInfo("action executed").pipe(
        Effect.annotateLogs({ ...size, argv: shown, exit: 0, duration_ms: result.durationMs }),
        Effect.zipRight(
          result.stdout === "" && result.stderr === ""
            ? Effect.void
            : Effect.logDebug("action output").pipe(Effect.annotateLogs({ stdout: result.stdout, stderr: result.stderr }))
        )
      )
    ),
    Effect.as(true),
    Effect.catchTag("ExecError", (error) =>
      Effect.logError(`action failed: ${error.message}`).pipe(
        Effect.zipLeft(countEach("failed", jobs.length, error.durationMs)),
        Effect.annotateLogs({
          ...size,
          argv: shown,
          reason: error.reason,
          duration_ms: error.durationMs,
          ...(error.stdout === "" ? {} : { stdout: error.stdout }),
          ...(error.stderr === "" ? {} : { stderr: error.stderr })
        }),
        Effect.as(false)
      )
    ),
    Effect.annotateLogs({ component: "exec", server: first.server, channel: first.channel })
  )
}
