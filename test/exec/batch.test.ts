/**
 * The executor with a batched channel (batched application), with real processes: one process per
 * batch, each message counted and acknowledged, a drain runs lingering batches at once.
 */
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as fs from "node:fs"
import * as path from "node:path"
import { make, type Job } from "../../src/exec/executor.js"
import { tempDir, waitUntil } from "../support/harness.js"

const options = { concurrency: 4, queueLimit: 100, killGraceMs: 100, maxOutputBytes: 64 }

/** `sh -c 'echo "$*" >> log' rec banip <ip>`: one line per process, the batched word is index 5. */
const banJob = (log: string, ip: string, batch: { max: number; lingerMs: number }, onDone?: Effect.Effect<void>, script = `echo "$*" >> ${log}`): Job => ({
  argv: ["/bin/sh", "-c", script, "rec", "banip", ip],
  orderKey: ip,
  timeoutMs: 10_000,
  server: "s",
  channel: "Fail2ban",
  batch: { word: 5, ...batch },
  ...(onDone === undefined ? {} : { onDone })
})

const lines = (file: string): ReadonlyArray<string> => (fs.existsSync(file) ? fs.readFileSync(file, "utf8").trim().split("\n") : [])

describe("Executor with batch", () => {
  it.scopedLive("runs ten actions ready together as ceil(10/4) processes, values in arrival order, each message counted and acknowledged", () =>
    Effect.gen(function* () {
      const log = path.join(tempDir(), "calls")
      const executor = yield* make(options)
      let acked = 0
      const ips = Array.from({ length: 10 }, (_, i) => `192.0.2.${i + 1}`)
      for (const ip of ips) {
        expect(yield* executor.submit(banJob(log, ip, { max: 4, lingerMs: 50 }, Effect.sync(() => void acked++)))).toBe("Queued")
      }
      const stats = yield* Effect.promise(() =>
        waitUntil(() => {
          const s = Effect.runSync(executor.stats)
          return s.pending === 0 ? s : undefined
        }, 10_000, "idle executor")
      )
      expect(stats).toEqual({ pending: 0, executed: 10, failed: 0, dropped: 0 })
      expect(acked).toBe(10)
      const calls = lines(log)
      expect(calls).toHaveLength(3)
      expect(calls.flatMap((line) => line.split(" ").slice(1))).toEqual(ips)
      expect(calls.every((line) => line.startsWith("banip "))).toBe(true)
    })
  )

  it.scopedLive("a failing batch counts every message as failed", () =>
    Effect.gen(function* () {
      const executor = yield* make(options)
      for (const ip of ["192.0.2.1", "192.0.2.2", "192.0.2.3"]) yield* executor.submit(banJob("", ip, { max: 10, lingerMs: 20 }, undefined, "exit 3"))
      const stats = yield* Effect.promise(() =>
        waitUntil(() => {
          const s = Effect.runSync(executor.stats)
          return s.pending === 0 ? s : undefined
        }, 10_000, "idle executor")
      )
      expect(stats).toEqual({ pending: 0, executed: 0, failed: 3, dropped: 0 })
    })
  )

  it.scopedLive("drain runs a batch still lingering at once, in one process", () =>
    Effect.gen(function* () {
      const log = path.join(tempDir(), "calls")
      const executor = yield* make(options)
      for (const ip of ["192.0.2.1", "192.0.2.2", "192.0.2.3"]) yield* executor.submit(banJob(log, ip, { max: 100, lingerMs: 60_000 }))
      expect(lines(log)).toEqual([])
      const started = Date.now()
      expect(yield* executor.drain(20_000)).toEqual({ finished: true, left: 0 })
      expect(Date.now() - started).toBeLessThan(10_000)
      expect(lines(log)).toEqual(["banip 192.0.2.1 192.0.2.2 192.0.2.3"])
    })
  )

  it.scopedLive("an unban waits for the batch holding its address, and a later ban does not join that batch", () =>
    Effect.gen(function* () {
      const log = path.join(tempDir(), "calls")
      const executor = yield* make(options)
      const job = (action: string, ip: string): Job => {
        const base = banJob(log, ip, { max: 100, lingerMs: 100 })
        return { ...base, argv: ["/bin/sh", "-c", `echo "$*" >> ${log}`, "rec", action, ip] }
      }
      yield* executor.submit(job("banip", "192.0.2.1"))
      yield* executor.submit(job("banip", "192.0.2.2"))
      yield* executor.submit(job("unbanip", "192.0.2.1"))
      yield* executor.submit(job("banip", "192.0.2.1"))
      yield* executor.submit(job("banip", "192.0.2.3"))
      yield* Effect.promise(() => waitUntil(() => (lines(log).length === 3 ? true : undefined), 10_000, "three processes"))
      expect(lines(log)).toEqual(["banip 192.0.2.1 192.0.2.2", "unbanip 192.0.2.1", "banip 192.0.2.1 192.0.2.3"])
    })
  )
})
