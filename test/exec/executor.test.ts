/**
 * The Executor: bounded queue, bounded concurrency, and arrival order for
 * actions that share an order key (the ip), with real processes.
 */
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as fs from "node:fs"
import * as path from "node:path"
import { make, type Job } from "../../src/exec/executor.js"
import { tempDir, waitUntil } from "../support/harness.js"

const job = (argv: ReadonlyArray<string>, orderKey: string): Job => ({ argv, orderKey, timeoutMs: 10_000, server: "test", channel: "c" })

describe("Executor", () => {
  it.scoped("runs actions with the same order key in arrival order, even when the first is slower", () =>
    Effect.gen(function* () {
      const dir = tempDir()
      const log = path.join(dir, "order")
      const executor = yield* make({ concurrency: 4, queueLimit: 100, killGraceMs: 100, maxOutputBytes: 64 })
      yield* executor.submit(job(["/bin/sh", "-c", `sleep 0.3; echo ban >> ${log}`], "192.0.2.1"))
      yield* executor.submit(job(["/bin/sh", "-c", `echo unban >> ${log}`], "192.0.2.1"))
      yield* executor.submit(job(["/bin/sh", "-c", `echo other >> ${log}`], "192.0.2.2"))
      const lines = yield* Effect.promise(() =>
        waitUntil(() => {
          const text = fs.existsSync(log) ? fs.readFileSync(log, "utf8").trim().split("\n") : []
          return text.length === 3 ? text : undefined
        }, 10_000, "three actions")
      )
      // The other ip ran in parallel, before the slow ban finished; unban waited for ban.
      expect(lines).toEqual(["other", "ban", "unban"])
    })
  )

  it.scoped("an action that leaves a setsid grandchild holding its stdout frees its slot when it exits, not when the grandchild does", () =>
    Effect.gen(function* () {
      const dir = tempDir()
      const pidFile = path.join(dir, "grandchild.pid")
      const next = path.join(dir, "next")
      yield* Effect.addFinalizer(() =>
        Effect.sync(() => {
          try {
            process.kill(Number(fs.readFileSync(pidFile, "utf8")), "SIGKILL")
          } catch {
            // Never started, or gone.
          }
        })
      )
      const executor = yield* make({ concurrency: 1, queueLimit: 10, killGraceMs: 100, maxOutputBytes: 64 })
      yield* executor.submit(job(["/bin/sh", "-c", `setsid sleep 60 & echo $! > ${pidFile}; echo x`], "a"))
      yield* executor.submit(job(["/bin/sh", "-c", `echo ran > ${next}`], "b"))
      // Within the job's 10 s timeout, far from the grandchild's 60 s.
      yield* Effect.promise(() => waitUntil(() => (fs.existsSync(next) ? true : undefined), 8_000, "the next action in the only slot"))
    })
  )

  it.scoped("rejects submissions beyond queueLimit instead of buffering them", () =>
    Effect.gen(function* () {
      const executor = yield* make({ concurrency: 1, queueLimit: 2, killGraceMs: 100, maxOutputBytes: 64 })
      const results = yield* Effect.forEach([1, 2, 3, 4], (i) => executor.submit(job(["/bin/sleep", "0.2"], `k${i}`)))
      expect(results).toEqual(["Queued", "Queued", "QueueFull", "QueueFull"])
      expect((yield* executor.stats).dropped).toBe(2)
    })
  )

  it.scoped("counts executed and failed actions", () =>
    Effect.gen(function* () {
      const executor = yield* make({ concurrency: 2, queueLimit: 10, killGraceMs: 100, maxOutputBytes: 64 })
      yield* executor.submit(job(["/bin/true"], "a"))
      yield* executor.submit(job(["/bin/false"], "b"))
      yield* executor.submit(job(["/nonexistent"], "c"))
      const stats = yield* Effect.promise(() =>
        waitUntil(() => {
          const s = Effect.runSync(executor.stats)
          return s.pending === 0 ? s : undefined
        }, 10_000, "idle executor")
      )
      expect(stats).toEqual({ pending: 0, executed: 1, failed: 2, dropped: 0 })
    })
  )

  it.scoped("drain (operations.md shutdown) takes no new actions, lets queued and running ones finish, and reports finished", () =>
    Effect.gen(function* () {
      const dir = tempDir()
      const log = path.join(dir, "drained")
      const executor = yield* make({ concurrency: 1, queueLimit: 10, killGraceMs: 100, maxOutputBytes: 64 })
      yield* executor.submit(job(["/bin/sh", "-c", `sleep 0.2; echo first >> ${log}`], "a"))
      yield* executor.submit(job(["/bin/sh", "-c", `echo second >> ${log}`], "b"))
      const outcome = yield* executor.drain(10_000)
      expect(outcome).toEqual({ finished: true, left: 0 })
      expect(fs.readFileSync(log, "utf8")).toBe("first\nsecond\n")
      expect(yield* executor.submit(job(["/bin/true"], "c"))).toBe("Closed")
    })
  )

  it.scopedLive("drain stops waiting at its timeout, even inside a finalizer (uninterruptible), and says how many are left", () =>
    Effect.gen(function* () {
      const executor = yield* make({ concurrency: 1, queueLimit: 10, killGraceMs: 100, maxOutputBytes: 64 })
      yield* executor.submit(job(["/bin/sleep", "30"], "a"))
      yield* executor.submit(job(["/bin/true"], "b"))
      const started = Date.now()
      const outcome = yield* Effect.uninterruptible(executor.drain(300))
      expect(outcome).toEqual({ finished: false, left: 2 })
      expect(Date.now() - started).toBeLessThan(5_000)
    })
  )

  it.scoped("drain with nothing to do finishes at once", () =>
    Effect.gen(function* () {
      const executor = yield* make({ concurrency: 1, queueLimit: 10, killGraceMs: 100, maxOutputBytes: 64 })
      expect(yield* executor.drain(10_000)).toEqual({ finished: true, left: 0 })
    })
  )
})
