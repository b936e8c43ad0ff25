/**
 * One unit (a single action or a batch): run its process or send it over fail2ban's socket, count and
 * time it once per action it holds, and log it once, with the batch's size and its argv clipped.
 */
import * as Effect from "effect/Effect"
import { countAction, recordDuration } from "../metrics/metrics.js"
import { batchArgv, clipArgv } from "./batcher.js"
import type { ExecutorOptions, Job } from "./executor.js"
import type { Fail2banSockets } from "./fail2banSocket.js"
import { runProcess, type RunOptions } from "./process.js"

/** Every action of the unit counts as one, succeeded or failed: metrics stay per message. */
const countEach = (result: "succeeded" | "failed", n: number, durationMs: number): Effect.Effect<void> =>
  Effect.zipRight(countAction(result, n), Effect.forEach(Array.from({ length: n }), () => recordDuration(durationMs), { discard: true }))

/**
 * Runs the jobs of one unit as one process, or as one request on fail2ban's
 * socket when they carry one (all of one group when there are several: the
 * first's argv with its batched word repeated once per job), and answers
 * whether it succeeded; never fails.
 */
export const runUnit = (
  jobs: ReadonlyArray<Job>,
  values: ReadonlyArray<string>,
  options: ExecutorOptions,
  sockets: Fail2banSockets
): Effect.Effect<boolean> => {
  const first = jobs[0]!
  const word = first.batch?.word
  const batched = word !== undefined && values.length > 0
  const argv = batched ? batchArgv(first.argv, word, values) : first.argv
  const shown = batched ? clipArgv(argv, word, values.length) : argv
  // A batch of one logs as a single action does.
  const size = values.length > 1 ? { batch: values.length } : {}
  const unit: Prepared = { argv, shown, size, timeoutMs: first.timeoutMs, n: jobs.length }
  const outcome = first.fail2banSocket === undefined ? runArgv(unit, options) : sendArgv(first.fail2banSocket, unit, options, sockets)
  return outcome.pipe(Effect.annotateLogs({ component: "exec", server: first.server, channel: first.channel }))
}

/** A unit ready to go: its argv, the argv as logged, its batch size (absent for one action), its timeout and its number of actions. */
interface Prepared {
  readonly argv: ReadonlyArray<string>
  readonly shown: ReadonlyArray<string>
  readonly size: { readonly batch?: number }
  readonly timeoutMs: number
  readonly n: number
}

/** The unit as a process: exit status 0 is success. */
const runArgv = ({ argv, shown, size, timeoutMs, n }: Prepared, options: ExecutorOptions): Effect.Effect<boolean> => {
  const runOptions: RunOptions = { timeoutMs, killGraceMs: options.killGraceMs, maxOutputBytes: options.maxOutputBytes }
  return runProcess(argv, runOptions).pipe(
    Effect.tap((result) => countEach("succeeded", n, result.durationMs)),
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
        Effect.zipLeft(countEach("failed", n, error.durationMs)),
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
    )
  )
}

/**
 * The unit over fail2ban's socket: the words after fail2ban-client, as it
 * would send them; fail2ban's answer (0, result) is success, its error a failure.
 */
const sendArgv = (socket: string, { argv, shown, size, timeoutMs, n }: Prepared, options: ExecutorOptions, sockets: Fail2banSockets): Effect.Effect<boolean> =>
  sockets.send(socket, argv.slice(1), { timeoutMs, maxAnswerBytes: options.maxOutputBytes }).pipe(
    Effect.tap((sent) => countEach("succeeded", n, sent.durationMs)),
    Effect.tap((sent) =>
      Effect.logInfo("action executed").pipe(
        Effect.annotateLogs({ ...size, fail2ban_socket: socket, argv: shown, answer: sent.result, duration_ms: sent.durationMs })
      )
    ),
    Effect.as(true),
    Effect.catchTag("Fail2banSocketError", (error) =>
      Effect.logError(`action failed: ${error.message}`).pipe(
        Effect.zipLeft(countEach("failed", n, error.durationMs)),
        Effect.annotateLogs({ ...size, fail2ban_socket: socket, argv: shown, reason: error.reason, duration_ms: error.durationMs }),
        Effect.as(false)
      )
    )
  )
