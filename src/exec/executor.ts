/**
 * The Executor service: a bounded queue of actions run with bounded
 * concurrency, where actions sharing an order key (the `ip`) run in arrival order.
 */
import * as Context from "effect/Context"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Queue from "effect/Queue"
import type * as Scope from "effect/Scope"
import { countAction, recordDuration, setQueueLength } from "../metrics/metrics.js"
import { runProcess, type RunOptions } from "./process.js"

export interface Job {
  readonly argv: ReadonlyArray<string>
  readonly timeoutMs: number
  /** Jobs with the same key run one after another, in submission order. */
  readonly orderKey: string
  readonly server: string
  readonly channel: string
  /**
   * Runs once the action has finished, whether it succeeded or failed (the
   * daemon acknowledges a JetStream message here); not when the action is
   * killed at shutdown, so such a message is delivered again after a restart.
   */
  readonly onDone?: Effect.Effect<void>
}

/** `Closed`: the daemon is shutting down and takes no new actions. */
export type SubmitResult = "Queued" | "QueueFull" | "Closed"

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

/** How a drain ended: every action done, or the time ran out with some still waiting or running. */
export interface DrainOutcome {
  readonly finished: boolean
  /** Actions waiting or running when the drain ended (0 when finished). */
  readonly left: number
}

export interface ExecutorService {
  /** Never waits: a full queue answers QueueFull so the socket keeps being read. */
  readonly submit: (job: Job) => Effect.Effect<SubmitResult>
  readonly stats: Effect.Effect<ExecutorStats>
  /**
   * Takes no new actions from now on and waits up to `timeoutMs` for the
   * waiting and running ones to finish; closing the executor's scope then kills what is left.
   */
  readonly drain: (timeoutMs: number) => Effect.Effect<DrainOutcome>
}

export class Executor extends Context.Tag("f2bc/Executor")<Executor, ExecutorService>() {}

const runJob = (job: Job, options: ExecutorOptions) => {
  const runOptions: RunOptions = {
    timeoutMs: job.timeoutMs,
    killGraceMs: options.killGraceMs,
    maxOutputBytes: options.maxOutputBytes
  }
  return runProcess(job.argv, runOptions).pipe(
    Effect.tap((result) => Effect.zipRight(countAction("succeeded"), recordDuration(result.durationMs))),
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
        Effect.zipLeft(Effect.zipRight(countAction("failed"), recordDuration(error.durationMs))),
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
    let closed = false
    // Completed when a drain is under way and nothing is left.
    const idle = yield* Deferred.make<void>()

    const worker = Effect.gen(function* () {
      let job: Job | undefined = yield* Queue.take(ready)
      while (job !== undefined) {
        const ok = yield* runJob(job, options)
        if (ok) executed++
        else failed++
        if (job.onDone !== undefined) yield* job.onDone
        pending--
        yield* setQueueLength(pending)
        if (closed && pending === 0) yield* Deferred.succeed(idle, undefined)
        const waiting = chains.get(job.orderKey)
        const next: Job | undefined = waiting?.shift()
        if (next === undefined) chains.delete(job.orderKey)
        job = next
      }
    }).pipe(Effect.forever)

    for (let i = 0; i < options.concurrency; i++) yield* Effect.forkScoped(worker)

    const submit = (job: Job): Effect.Effect<SubmitResult> =>
      Effect.suspend(() => {
        if (closed) return Effect.as(countAction("dropped"), "Closed" as const)
        if (pending >= options.queueLimit) {
          dropped++
          return Effect.as(countAction("dropped"), "QueueFull" as const)
        }
        pending++
        const queued = Effect.as(setQueueLength(pending), "Queued" as const)
        const waiting = chains.get(job.orderKey)
        if (waiting !== undefined) {
          waiting.push(job)
          return queued
        }
        chains.set(job.orderKey, [])
        return Effect.zipRight(Queue.offer(ready, job), queued)
      })

    const drain = (timeoutMs: number): Effect.Effect<DrainOutcome> =>
      Effect.gen(function* () {
        closed = true
        if (pending === 0) return { finished: true, left: 0 }
        // Interruptible even inside a finalizer (where shutdown runs it), or the timeout could never cut the wait short.
        const done = yield* Deferred.await(idle).pipe(Effect.interruptible, Effect.timeout(timeoutMs), Effect.option)
        return { finished: done._tag === "Some", left: pending }
      })

    return Executor.of({
      submit,
      stats: Effect.sync(() => ({ pending, executed, failed, dropped })),
      drain
    })
  })

export const layer = (options: ExecutorOptions): Layer.Layer<Executor> => Layer.scoped(Executor, make(options))
