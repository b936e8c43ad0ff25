/**
 * runProcess against real processes (configuration.md, last paragraph): no shell,
 * closed stdin, bounded output, timeout with SIGTERM then SIGKILL.
 */
import { describe, expect, it } from "@effect/vitest"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as fs from "node:fs"
import * as path from "node:path"
import { runProcess, type RunOptions } from "../../src/exec/process.js"
import { tempDir, waitUntil } from "../support/harness.js"

const options: RunOptions = { timeoutMs: 5_000, killGraceMs: 200, maxOutputBytes: 64 }

describe("runProcess", () => {
  it.effect("runs argv directly and succeeds on status 0 with the captured output", () =>
    Effect.gen(function* () {
      const result = yield* runProcess(["/bin/echo", "a b", "$(id)", ";"], options)
      expect(result.exitCode).toBe(0)
      expect(result.stdout).toBe("a b $(id) ;")
    })
  )

  it.effect("fails with ExitCode and the status for a non-zero exit", () =>
    Effect.gen(function* () {
      const error = yield* Effect.flip(runProcess(["/bin/sh", "-c", "echo oops >&2; exit 3"], options))
      expect(error.reason).toBe("ExitCode")
      expect(error.exitCode).toBe(3)
      expect(error.stderr).toBe("oops")
    })
  )

  it.effect("fails with NotFound for a missing executable", () =>
    Effect.gen(function* () {
      const error = yield* Effect.flip(runProcess(["/nonexistent/f2bc-action"], options))
      expect(error.reason).toBe("NotFound")
      expect(error.message).toContain("/nonexistent/f2bc-action")
    })
  )

  it.effect("gives the child a closed stdin, so a reader does not hang", () =>
    Effect.gen(function* () {
      const result = yield* runProcess(["/bin/cat"], options)
      expect(result.stdout).toBe("")
    })
  )

  it.effect("keeps only maxOutputBytes of a chatty child's output and drains the rest", () =>
    Effect.gen(function* () {
      const result = yield* runProcess(["/bin/sh", "-c", "head -c 5000000 /dev/zero | tr '\\0' x"], options)
      expect(result.stdout.startsWith("x".repeat(64))).toBe(true)
      expect(result.stdout).toContain("(4999936 more bytes)")
    })
  )

  it.effect("kills a child that ignores SIGTERM with SIGKILL after the grace period", () =>
    Effect.gen(function* () {
      const error = yield* Effect.flip(
        runProcess(["/bin/sh", "-c", "trap '' TERM; while :; do sleep 0.05; done"], { ...options, timeoutMs: 200 })
      )
      expect(error.reason).toBe("Timeout")
      expect(error.signal).toBe("SIGKILL")
    })
  )

  it.effect("a timed-out child's process group is killed, grandchildren included", () =>
    Effect.gen(function* () {
      const dir = tempDir()
      const pidFile = path.join(dir, "grandchild.pid")
      const error = yield* Effect.flip(
        runProcess(["/bin/sh", "-c", `sleep 30 & echo $! > ${pidFile}; wait`], { ...options, timeoutMs: 300 })
      )
      expect(error.reason).toBe("Timeout")
      const pid = Number(fs.readFileSync(pidFile, "utf8"))
      yield* Effect.promise(() =>
        waitUntil(() => {
          try {
            process.kill(pid, 0)
            return undefined
          } catch {
            return true
          }
        }, 5000, "grandchild to die")
      )
    })
  )

  /** Runs `script` with `pid` naming a file for the grandchild's pid, and kills that grandchild afterwards. */
  const withGrandchild = <A, E>(use: (pidFile: string) => Effect.Effect<A, E>) =>
    Effect.gen(function* () {
      const pidFile = path.join(tempDir(), "grandchild.pid")
      return yield* Effect.ensuring(use(pidFile), Effect.sync(() => {
        try {
          process.kill(Number(fs.readFileSync(pidFile, "utf8")), "SIGKILL")
        } catch {
          // Gone already, or never started.
        }
      }))
    })

  const timed = <A, E>(effect: Effect.Effect<A, E>) =>
    Effect.map(Effect.timed(effect), ([duration, value]) => ({ wallMs: Duration.toMillis(duration), value }))

  it.live("a grandchild left holding stdout does not hold the run: it ends when the action exits, with the action's duration", () =>
    withGrandchild((pidFile) =>
      Effect.gen(function* () {
        const { wallMs, value } = yield* timed(runProcess(["/bin/sh", "-c", `sleep 30 & echo $! > ${pidFile}; echo x`], { ...options, timeoutMs: 20_000 }))
        expect(value.stdout).toBe("x")
        // Neither the grandchild's 30 s nor the 20 s timeout: the exit plus a short grace for the pipes.
        expect(wallMs).toBeLessThan(5_000)
        expect(value.durationMs).toBeLessThan(wallMs)
      })
    ))

  it.live("a setsid grandchild (outside the process group) holding stdout: a child that exited is not waited for past the grace", () =>
    withGrandchild((pidFile) =>
      Effect.gen(function* () {
        const { wallMs, value } = yield* timed(runProcess(["/bin/sh", "-c", `setsid sleep 30 & echo $! > ${pidFile}; echo x`], { ...options, timeoutMs: 20_000 }))
        expect(value.stdout).toBe("x")
        expect(wallMs).toBeLessThan(5_000)
      })
    ))

  it.live("a stubborn child with a setsid grandchild holding stdout is over at timeout + kill grace", () =>
    withGrandchild((pidFile) =>
      Effect.gen(function* () {
        const script = `setsid sleep 30 & echo $! > ${pidFile}; trap '' TERM; while :; do sleep 0.05; done`
        const { wallMs, value } = yield* timed(Effect.flip(runProcess(["/bin/sh", "-c", script], { ...options, timeoutMs: 300, killGraceMs: 200 })))
        expect(value.reason).toBe("Timeout")
        expect(value.signal).toBe("SIGKILL")
        expect(wallMs).toBeGreaterThanOrEqual(500)
        expect(wallMs).toBeLessThan(5_000)
        expect(value.durationMs).toBeLessThanOrEqual(Math.ceil(wallMs))
      })
    ))

  it.live("interruption terminates the child and waits for it", () =>
    Effect.gen(function* () {
      const dir = tempDir()
      const marker = path.join(dir, "started")
      const fiber = yield* Effect.fork(runProcess(["/bin/sh", "-c", `touch ${marker}; exec sleep 30`], options))
      yield* Effect.promise(() => waitUntil(() => (fs.existsSync(marker) ? true : undefined), 5000, "child start"))
      const started = Date.now()
      yield* Fiber.interrupt(fiber)
      expect(Date.now() - started).toBeLessThan(5000)
    })
  )
})
