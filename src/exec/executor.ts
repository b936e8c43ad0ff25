/**
 * The Executor service: a bounded queue of actions run with bounded
 * concurrency, where actions sharing an order key (the `ip`) run in arrival order.
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Queue from "effect/Queue"
import type * as Scope from "effect/Scope"
import { runProcess, type RunOptions } from "./process.js"

export interface Job {
  readonly argv: ReadonlyArray<string>
  readonly timeoutMs: number
  /** Jobs with the same key run one after another, in submission order. */
  readonly orderKey: string
  readonly server: string
  readonly channel: string
}

export type SubmitResult = "Queued" | "QueueFull"

export interface ExecutorOptions {
  readonly concurrency: number
  readonly queueLimit: number
  readonly killGraceMs: number
  readonly maxOutputBytes: number
}

export const defaultExecutorOptions: ExecutorOptions = {
  concurrency: 4,
  queueLimit: 10_000,
  killGraceMs: 5_000,
  maxOutputBytes: 4096
}

export interface ExecutorStats {
  readonly pending: number
  readonly executed: number
  readonly failed: number
  readonly dropped: number
}

export interface ExecutorService {
  /** Never waits: a full queue answers QueueFull so the socket keeps being read. */
  readonly submit: (job: Job) => Effect.Effect<SubmitResult>
  readonly stats: Effect.Effect<ExecutorStats>
}

export class Executor extends Context.Tag("f2bc/Executor")<Executor, ExecutorService>() {}

const runJob = (job: Job, options: ExecutorOptions) => {
  const runOptions: RunOptions = {
    timeoutMs: job.timeoutMs,
    killGraceMs: options.killGraceMs,
    maxOutputBytes: options.maxOutputBytes
  }
  return runProcess(job.argv, runOptions).pipe(
    Effect.tap((result) =>
      Effect.logInfo("action executed").pipe(
        Effect.annotateLogs({ argv: result.argv, exit: 0, duration_ms: result.durationMs }),
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
        Effect.annotateLogs({
          argv: error.argv,
          reason: error.reason,
          duration_ms: error.durationMs,
          ...(error.stdout === "" ? {} : { stdout: error.stdout }),
          ...(error.stderr === "" ? {} : { stderr: error.stderr })
        }),
        Effect.as(false)
      )
    ),
    Effect.annotateLogs({ component: "exec", server: job.server, channel: job.channel })
  )
}

/** Starts `concurrency` workers in the current scope; closing it interrupts (and kills) running actions. */
export const make = (options: ExecutorOptions): Effect.Effect<ExecutorService, never, Scope.Scope> =>
  Effect.gen(function* () {
    const ready = yield* Queue.unbounded<Job>()
    // orderKey -> jobs waiting behind the one queued or running for that key.
    const chains = new Map<string, Array<Job>>()
    let pending = 0
    let executed = 0
    let failed = 0
    let dropped = 0

    const worker = Effect.gen(function* () {
      let job: Job | undefined = yield* Queue.take(ready)
      while (job !== undefined) {
        const ok = yield* runJob(job, options)
        if (ok) executed++
        else failed++
        pending--
        const waiting = chains.get(job.orderKey)
        const next: Job | undefined = waiting?.shift()
        if (next === undefined) chains.delete(job.orderKey)
        job = next
      }
    }).pipe(Effect.forever)

    for (let i = 0; i < options.concurrency; i++) yield* Effect.forkScoped(worker)

    const submit = (job: Job): Effect.Effect<SubmitResult> =>
      Effect.suspend(() => {
        if (pending >= options.queueLimit) {
          dropped++
          return Effect.succeed("QueueFull" as const)
        }
        pending++
        const waiting = chains.get(job.orderKey)
        if (waiting !== undefined) {
          waiting.push(job)
          return Effect.succeed("Queued" as const)
        }
        chains.set(job.orderKey, [])
        return Effect.as(Queue.offer(ready, job), "Queued" as const)
      })

    return Executor.of({
      submit,
      stats: Effect.sync(() => ({ pending, executed, failed, dropped }))
    })
  })

export const layer = (options: ExecutorOptions): Layer.Layer<Executor> => Layer.scoped(Executor, make(options))
