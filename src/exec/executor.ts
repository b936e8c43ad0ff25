/**
 * The Executor service: a bounded queue of actions run with bounded concurrency, where actions sharing
 * an order key (the `ip`) run in arrival order, and a batched channel's actions run several per process.
 */
import * as Context from "effect/Context"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Queue from "effect/Queue"
import type * as Scope from "effect/Scope"
import { countAction, setQueueLength } from "../metrics/metrics.js"
import { Batcher, batchSpecOf, type Unit } from "./batcher.js"
import { makeFail2banSockets } from "./fail2banSocket.js"
import { runUnit } from "./run.js"

/**
 * A batched channel's action (`batch:` of the channel): the argv word its
 * batch key fills, repeated once per action in one process.
 */
export interface JobBatch {
  /** Index in `argv` of the word the batch key fills on its own. */
  readonly word: number
  /** Actions in one process, at most. */
  readonly max: number
  /** After the first action of a batch, how long it waits for more. */
  readonly lingerMs: number
}

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
  /** Set: runs in one process with the actions of the same group ready together. */
  readonly batch?: JobBatch
  /**
   * Set (`fail2ban_socket`, argv[0] is fail2ban-client): no process; the words
   * after argv[0] are sent over this fail2ban socket, as fail2ban-client would.
   */
  readonly fail2banSocket?: string
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

/** A job's order keys: its own, and a batched job's value (a batch waits for any earlier unit holding one of its values). */
const keysOf = (job: Job, value: string | undefined): ReadonlyArray<string> =>
  value === undefined || value === job.orderKey ? [job.orderKey] : [job.orderKey, value]

/** Starts `concurrency` workers in the current scope; closing it interrupts (and kills) running actions. */
export const make = (options: ExecutorOptions): Effect.Effect<ExecutorService, never, Scope.Scope> =>
  Effect.gen(function* () {
    const scope = yield* Effect.scope
    const ready = yield* Queue.unbounded<Unit<Job>>()
    // Which jobs share a process and when each unit may start (batcher.ts); every call is synchronous.
    const batcher = new Batcher<Job>()
    // Kept connections to fail2ban's sockets, closed with the executor.
    const sockets = yield* makeFail2banSockets
    let pending = 0
    let executed = 0
    let failed = 0
    let dropped = 0
    let closed = false
    // Completed when a drain is under way and nothing is left.
    const idle = yield* Deferred.make<void>()
    const release = (units: ReadonlyArray<Unit<Job>>) => (units.length === 0 ? Effect.void : Queue.offerAll(ready, units))

    const worker = Effect.gen(function* () {
      const unit = yield* Queue.take(ready)
      const ok = yield* runUnit(unit.jobs, unit.values, options, sockets)
      if (ok) executed += unit.jobs.length
      else failed += unit.jobs.length
      for (const job of unit.jobs) if (job.onDone !== undefined) yield* job.onDone
      pending -= unit.jobs.length
      yield* setQueueLength(pending)
      if (closed && pending === 0) yield* Deferred.succeed(idle, undefined)
      yield* release(batcher.finish(unit))
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
        const spec = job.batch === undefined ? undefined : batchSpecOf(`${job.server}\u0000${job.channel}`, job.argv, job.batch.word, job.batch.max)
        const added = batcher.add(job, keysOf(job, spec?.value), spec)
        // The batch's linger starts with its first action; filling up (max) seals it sooner.
        const linger = added.opened
          ? Effect.forkIn(Effect.delay(Effect.suspend(() => release(batcher.seal(added.unit))), job.batch?.lingerMs ?? 0), scope)
          : Effect.void
        return Effect.as(Effect.all([release(added.ready), linger, setQueueLength(pending)], { discard: true }), "Queued" as const)
      })

    const drain = (timeoutMs: number): Effect.Effect<DrainOutcome> =>
      Effect.gen(function* () {
        closed = true
        if (pending === 0) return { finished: true, left: 0 }
        // Batches still lingering run now.
        yield* release(batcher.sealAll())
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
