/**
 * How the daemon settles a delivery from an acknowledging transport
 * (issue 7, JetStream): acknowledged once its action has finished or its
 * decision is final; sent back (not acknowledged) when the queue is full,
 * and then not mistaken for a duplicate when it returns.
 */
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import * as LogLevel from "effect/LogLevel"
import * as Queue from "effect/Queue"
import * as Stream from "effect/Stream"
import * as fs from "node:fs"
import * as path from "node:path"
import { startDaemon } from "../../src/daemon/daemon.js"
import * as Executor from "../../src/exec/executor.js"
import { Transport, TransportError, type Delivery } from "../../src/transport/transport.js"
import { tempDir, waitUntil } from "../support/harness.js"
import { decoded } from "../decide/plans.js"

/** A transport whose one server delivers what the test offers. */
const scripted = (queue: Queue.Queue<Delivery>) =>
  Layer.succeed(Transport, Transport.of({
    deliveries: () => Stream.fromQueue(queue),
    publish: () => Effect.fail(new TransportError({ reason: "Invalid", server: "test", detail: "not in this test" })),
    publishAll: () => Effect.fail(new TransportError({ reason: "Invalid", server: "test", detail: "not in this test" }))
  }))

interface Settled {
  readonly id: string
  readonly how: string
}

const setup = (queueLimit: number, action: string) =>
  Effect.gen(function* () {
    const dir = tempDir()
    const log = path.join(dir, "ran")
    const script = path.join(dir, "action.sh")
    fs.writeFileSync(script, `#!/bin/sh\n${action}\necho "$1" >> '${log}'\n`, { mode: 0o755 })
    const config = decoded(`node_name: host-under-test
servers:
  - transport: nats
    url: nats://127.0.0.1:4222
    jetstream: {}
    channels:
      - name: Fail2ban
        action: "${script} %ip%"
`)
    const queue = yield* Queue.unbounded<Delivery>()
    const settled: Array<Settled> = []
    const ran = (): Array<string> => (fs.existsSync(log) ? fs.readFileSync(log, "utf8").trim().split("\n") : [])
    const deliver = (id: string, message: string) =>
      Queue.offer(queue, {
        server: "nats://127.0.0.1:4222",
        channel: "Fail2ban",
        message,
        settle: {
          // What the action had done when the message was acknowledged.
          ack: Effect.sync(() => settled.push({ id, how: `ack after ${ran().length} run(s)` })),
          retry: (delayMs) => Effect.sync(() => settled.push({ id, how: `retry in ${delayMs} ms` }))
        }
      })
    // Built in the test's scope, so the executor outlives this setup.
    const services = yield* Layer.build(
      Layer.merge(scripted(queue), Executor.layer({ ...Executor.defaultExecutorOptions, concurrency: 1, queueLimit }))
    ).pipe(Logger.withMinimumLogLevel(LogLevel.None))
    yield* startDaemon(config).pipe(Effect.provide(services), Logger.withMinimumLogLevel(LogLevel.None))
    const settledCount = (n: number) => Effect.promise(() => waitUntil(() => (settled.length >= n ? [...settled] : undefined), 10_000, `${n} settled`))
    return { deliver, settledCount, ran }
  })

/** `id` is a short tag made into the envelope's 32 hex digits. */
const message = (ip: string, id: string, origin = "publisher") =>
  `jail=sshd, action=banip, ip=${ip}, _id=${Buffer.from(id).toString("hex").padEnd(32, "0")}, _ts=${Math.floor(Date.now() / 1000)}, _origin=${origin}`

describe("settling deliveries (issue 7)", () => {
  it.live("acknowledges an executed message after its action has run, and a refused or own message at once", () =>
    Effect.scoped(Effect.gen(function* () {
      const { deliver, settledCount } = yield* setup(10, ":")
      yield* deliver("run", message("192.0.2.1", "a1"))
      expect(yield* settledCount(1)).toEqual([{ id: "run", how: "ack after 1 run(s)" }])
      yield* deliver("bad", "jail=sshd, ip=not-an-address")
      yield* deliver("own", message("192.0.2.2", "a2", "host-under-test"))
      yield* deliver("again", message("192.0.2.1", "a1"))
      expect((yield* settledCount(4)).slice(1)).toEqual([
        { id: "bad", how: "ack after 1 run(s)" },
        { id: "own", how: "ack after 1 run(s)" },
        { id: "again", how: "ack after 1 run(s)" }
      ])
    }))
  )

  it.live("sends a message back when the queue is full, and runs it when it returns (not a duplicate)", () =>
    Effect.scoped(Effect.gen(function* () {
      const dir = tempDir()
      const gate = path.join(dir, "open")
      // The first action waits for the gate, so the queue (limit 1) stays full meanwhile.
      const { deliver, settledCount, ran } = yield* setup(1, `while [ ! -e '${gate}' ]; do sleep 0.02; done`)
      yield* deliver("first", message("192.0.2.1", "b1"))
      yield* deliver("full", message("192.0.2.2", "b2"))
      expect(yield* settledCount(1)).toEqual([{ id: "full", how: "retry in 1000 ms" }])
      fs.writeFileSync(gate, "")
      yield* settledCount(2)
      // Delivered again, as the server would after the delay.
      yield* deliver("full-again", message("192.0.2.2", "b2"))
      expect((yield* settledCount(3)).slice(1)).toEqual([
        { id: "first", how: "ack after 1 run(s)" },
        { id: "full-again", how: "ack after 2 run(s)" }
      ])
      expect(ran()).toEqual(["192.0.2.1", "192.0.2.2"])
    }))
  )
})
