/**
 * The daemon's ingest with a scripted transport and a recording executor: an id
 * is recorded only once its action is queued, and two servers delivering the same ids at once run each once.
 */
import { describe, expect, it } from "@effect/vitest"
import * as Chunk from "effect/Chunk"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import * as LogLevel from "effect/LogLevel"
import * as Stream from "effect/Stream"
import { startDaemon } from "../../src/daemon/daemon.js"
import { Executor, type Job, type SubmitResult } from "../../src/exec/executor.js"
import { Transport, TransportError, type Delivery } from "../../src/transport/transport.js"
import { decoded } from "../decide/plans.js"

const config = decoded(`node_name: host-under-test
servers:
  - host: hub1
    port: 1986
    channels:
      - name: Open
        action: "ban %ip%"
  - host: hub2
    port: 1986
    channels:
      - name: Open
        action: "ban %ip%"
`)

const message = (i: number): string => `ip=192.0.${i >> 8}.${i & 255}, _id=${i.toString(16).padStart(32, "0")}`
const on = (server: string) => (i: number): Delivery => ({ server, channel: "Open", message: message(i) })

/**
 * Runs a daemon whose server `hubN` delivers `chunks[N-1]`, one chunk at a time, with an executor
 * that answers `answer(n)` to its n-th submit; resolves once every server has handed over all its chunks.
 */
const run = (chunks: ReadonlyArray<ReadonlyArray<ReadonlyArray<Delivery>>>, answer: (n: number) => SubmitResult) =>
  Effect.scoped(Effect.gen(function* () {
    const submitted: Array<Job> = []
    const done = yield* Effect.forEach(chunks, () => Deferred.make<void>())
    const transport = Layer.succeed(Transport, Transport.of({
      deliveries: (endpoint) => {
        const n = "host" in endpoint ? Number(endpoint.host.slice(3)) - 1 : 0
        return Stream.concat(
          Stream.fromChunks(...chunks[n]!.map((c) => Chunk.fromIterable(c))),
          Stream.execute(Deferred.succeed(done[n]!, undefined))
        )
      },
      publish: () => Effect.fail(new TransportError({ reason: "Invalid", server: "test", detail: "not in this test" })),
      publishAll: () => Effect.fail(new TransportError({ reason: "Invalid", server: "test", detail: "not in this test" }))
    }))
    const executor = Layer.succeed(Executor, Executor.of({
      submit: (job) => Effect.sync(() => answer(submitted.push(job))),
      stats: Effect.succeed({ pending: 0, executed: 0, failed: 0, dropped: 0 }),
      drain: () => Effect.succeed({ finished: true, left: 0 })
    }))
    const daemon = yield* startDaemon(config).pipe(Effect.provide(Layer.merge(transport, executor)))
    yield* Effect.forEach(done, Deferred.await)
    return { submitted: submitted.map((job) => job.argv.join(" ")), status: yield* daemon.status }
  }).pipe(Logger.withMinimumLogLevel(LogLevel.None))
  )

describe("ingest: decide, submit, record", () => {
  it.live("the same ids through two servers at once: each runs once", () =>
    Effect.gen(function* () {
      const ids = Array.from({ length: 3000 }, (_, i) => i)
      const { submitted, status } = yield* run([[ids.map(on("hub1:1986"))], [ids.map(on("hub2:1986"))]], () => "Queued")
      expect(submitted.length).toBe(3000)
      expect(new Set(submitted).size).toBe(3000)
      expect(status.messages).toEqual({ executed: 3000, "skipped at duplicate": 3000 })
    }))

  it.live("an action the queue refused is not remembered: its next copy runs, the one after that is a duplicate", () =>
    Effect.gen(function* () {
      const copy = on("hub1:1986")(7)
      const { submitted, status } = yield* run([[[copy], [copy], [copy]], []], (n) => (n === 1 ? "QueueFull" : "Queued"))
      expect(submitted).toEqual(["ban 192.0.0.7", "ban 192.0.0.7"])
      expect(status.messages).toEqual({ executed: 2, "skipped at duplicate": 1 })
    }))
})
