/**
 * A job's `onDone` (issue 7: a JetStream message is acknowledged there):
 * after the action finished, succeeded or failed; never for an action killed at shutdown.
 */
import { describe, expect, it } from "@effect/vitest"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Scope from "effect/Scope"
import * as fs from "node:fs"
import * as path from "node:path"
import { make, type Job } from "../../src/exec/executor.js"
import { tempDir } from "../support/harness.js"

const options = { concurrency: 2, queueLimit: 10, killGraceMs: 100, maxOutputBytes: 64 }

describe("Job.onDone", () => {
  it.scoped("runs after the action has finished, for a success and for a failure", () =>
    Effect.gen(function* () {
      const dir = tempDir()
      const marker = path.join(dir, "ran")
      const executor = yield* make(options)
      const done = yield* Deferred.make<boolean>()
      const failed = yield* Deferred.make<boolean>()
      const job = (argv: ReadonlyArray<string>, onDone: Effect.Effect<void>): Job => ({ argv, orderKey: argv.join(" "), timeoutMs: 10_000, server: "t", channel: "c", onDone })
      // When onDone runs, the action's effect is there to see.
      yield* executor.submit(job(["/bin/sh", "-c", `echo > ${marker}`], Effect.suspend(() => Deferred.succeed(done, fs.existsSync(marker)))))
      yield* executor.submit(job(["/bin/false"], Deferred.succeed(failed, true)))
      expect(yield* Deferred.await(done)).toBe(true)
      expect(yield* Deferred.await(failed)).toBe(true)
    })
  )

  it.live("does not run for an action killed when the executor's scope closes", () =>
    Effect.gen(function* () {
      const dir = tempDir()
      const started = path.join(dir, "started")
      const scope = yield* Scope.make()
      const executor = yield* Scope.extend(make(options), scope)
      let ran = false
      yield* executor.submit({
        argv: ["/bin/sh", "-c", `echo > ${started}; exec sleep 30`],
        orderKey: "k",
        timeoutMs: 60_000,
        server: "t",
        channel: "c",
        onDone: Effect.sync(() => {
          ran = true
        })
      })
      while (!fs.existsSync(started)) yield* Effect.sleep("10 millis")
      yield* Scope.close(scope, Exit.void)
      expect(ran).toBe(false)
    })
  )
})
