/**
 * After a crash, JetStream redelivers the unacknowledged messages out of
 * order: hold new ones until those are back, then hand all on in stream order.
 */
import type { JsMsg } from "@nats-io/jetstream"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import type * as Scope from "effect/Scope"

/**
 * The messages delivered and not acknowledged come back once ack_wait has
 * run out, in an order NATS does not keep (and after newer messages): a ban
 * and the unban of the same address could swap. So when the consumer starts
 * with `pending` such messages (all at or below `deliveredSeq`), everything
 * is held until each of them has come back (or 2 × ack_wait + 5 s have
 * passed, a sleep in the session's scope), then handed on in stream order.
 * Returns the consumer's callback.
 */
export const recoverInOrder = (
  pending: number,
  deliveredSeq: number,
  ackWaitMs: number,
  admit: (msg: JsMsg) => void,
  run: <A>(effect: Effect.Effect<A>) => void
): Effect.Effect<(msg: JsMsg) => void, never, Scope.Scope> =>
  Effect.gen(function* () {
    if (pending === 0) return admit
    yield* Effect.logInfo(`${pending} message(s) were delivered before and not acknowledged: holding new ones until they come back (ack_wait), to run all in stream order`)
    const held = new Map<number, JsMsg>()
    let recovering = true
    let returned = 0
    let timer: Fiber.RuntimeFiber<void> | undefined
    const release = (why: string) => {
      if (!recovering) return
      recovering = false
      if (timer !== undefined) run(Fiber.interrupt(timer))
      const ordered = [...held.values()].sort((a, b) => a.seq - b.seq)
      held.clear()
      run(Effect.logInfo(`${why}: handing on ${ordered.length} held message(s) in stream order`))
      for (const msg of ordered) admit(msg)
    }
    const limitMs = 2 * ackWaitMs + 5000
    timer = yield* Effect.sleep(Duration.millis(limitMs)).pipe(
      Effect.zipRight(Effect.sync(() => {
        timer = undefined
        release(`not every unacknowledged message came back within ${limitMs} ms`)
      })),
      Effect.forkScoped
    )
    // The session ended first: the held messages are redelivered to the next one.
    yield* Effect.addFinalizer(() => Effect.sync(() => (recovering = false)))
    return (msg: JsMsg): void => {
      if (!recovering) return admit(msg)
      const known = held.get(msg.seq)
      if (known === undefined && msg.seq <= deliveredSeq) returned++
      // A copy delivered again while held replaces the older one (its ack timer restarts).
      if (known !== undefined) msg.working()
      held.set(msg.seq, msg)
      if (returned >= pending) release("every unacknowledged message is back")
    }
  })
