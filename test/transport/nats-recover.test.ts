/**
 * The JetStream session's waits, under TestClock: holding new messages
 * until the unacknowledged ones are back (or 2 × ack_wait + 5 s), and the
 * stop's wait for the messages in flight (or settle timeout).
 */
import { describe, expect, it } from "@effect/vitest"
import type { JsMsg } from "@nats-io/jetstream"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Logger from "effect/Logger"
import * as LogLevel from "effect/LogLevel"
import * as TestClock from "effect/TestClock"
import { InFlight } from "../../src/transport/nats/inFlight.js"
import { recoverInOrder } from "../../src/transport/nats/recover.js"

/** Only what the session reads of a message: its stream sequence, and `working` (restart the ack timer). */
const message = (seq: number): JsMsg => ({ seq, working: () => undefined }) as unknown as JsMsg

const setup = (pending: number, deliveredSeq: number, ackWaitMs: number) =>
  Effect.gen(function* () {
    const admitted: Array<number> = []
    const onMessage = yield* recoverInOrder(pending, deliveredSeq, ackWaitMs, (msg) => void admitted.push(msg.seq), (effect) =>
      void Effect.runFork(Logger.withMinimumLogLevel(effect, LogLevel.None)))
    return { admitted, onMessage: (seq: number) => onMessage(message(seq)) }
  }).pipe(Logger.withMinimumLogLevel(LogLevel.None))

describe("recoverInOrder", () => {
  it.scoped("with nothing unacknowledged, hands every message on as it comes", () =>
    Effect.gen(function* () {
      const { admitted, onMessage } = yield* setup(0, 10, 30_000)
      onMessage(12)
      onMessage(11)
      expect(admitted).toEqual([12, 11])
    })
  )

  it.scoped("holds new messages until every unacknowledged one is back, then hands all on in stream order", () =>
    Effect.gen(function* () {
      const { admitted, onMessage } = yield* setup(2, 5, 30_000)
      onMessage(7)
      onMessage(4)
      onMessage(4) // a redelivered copy replaces the held one, and is not counted twice
      expect(admitted).toEqual([])
      onMessage(2)
      expect(admitted).toEqual([2, 4, 7])
      onMessage(8)
      expect(admitted).toEqual([2, 4, 7, 8])
    })
  )

  it.scoped("hands the held messages on after 2 × ack_wait + 5 s when not all came back (Effect's Clock)", () =>
    Effect.gen(function* () {
      const { admitted, onMessage } = yield* setup(2, 5, 30_000)
      onMessage(9)
      onMessage(3)
      yield* TestClock.adjust(64_999)
      expect(admitted).toEqual([])
      yield* TestClock.adjust(1)
      expect(admitted).toEqual([3, 9])
      onMessage(10)
      expect(admitted).toEqual([3, 9, 10])
    })
  )
})

describe("InFlight", () => {
  it.effect("`empty` completes when the last message in flight is settled", () =>
    Effect.gen(function* () {
      const inFlight = new InFlight()
      yield* inFlight.empty
      inFlight.set(message(1))
      inFlight.set(message(2))
      const waiting = yield* Effect.fork(inFlight.empty)
      expect(inFlight.take(1)?.seq).toBe(1)
      expect(inFlight.take(1)).toBeUndefined()
      yield* Effect.yieldNow()
      expect(waiting.unsafePoll()).toBeNull()
      inFlight.take(2)
      yield* Fiber.join(waiting)
      expect(inFlight.size).toBe(0)
    })
  )

  it.effect("in a finalizer (uninterruptible), the interruptible wait still ends at its timeout", () =>
    Effect.gen(function* () {
      const inFlight = new InFlight()
      inFlight.set(message(1))
      const stop = yield* Effect.fork(
        Effect.uninterruptible(inFlight.empty.pipe(Effect.interruptible, Effect.timeout("10 seconds"), Effect.option))
      )
      yield* TestClock.adjust("10 seconds")
      const result = yield* Fiber.join(stop)
      expect(result._tag).toBe("None")
      expect(inFlight.size).toBe(1)
    })
  )
})
