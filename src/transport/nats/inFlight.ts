/**
 * JetStream messages handed to the pipeline and not yet settled, by stream
 * sequence, each with its latest delivered copy; a stop waits until it is empty.
 */
import type { JsMsg } from "@nats-io/jetstream"
import * as Effect from "effect/Effect"

/**
 * A redelivery (ack_wait ran out while the action waited or ran) is not
 * handed on a second time: it becomes the copy that is settled.
 */
export class InFlight {
  private readonly copies = new Map<number, JsMsg>()
  private readonly whenEmpty = new Set<() => void>()

  get size(): number {
    return this.copies.size
  }

  has(seq: number): boolean {
    return this.copies.has(seq)
  }

  /** Records `msg` as the copy of its sequence that will be settled. */
  set(msg: JsMsg): void {
    this.copies.set(msg.seq, msg)
  }

  /** The copy to settle for `seq`, removed; undefined when already settled. */
  take(seq: number): JsMsg | undefined {
    const copy = this.copies.get(seq)
    if (copy === undefined) return undefined
    this.copies.delete(seq)
    if (this.copies.size === 0) for (const wake of [...this.whenEmpty]) wake()
    return copy
  }

  /** Completes once nothing is in flight (at once if nothing is). */
  readonly empty: Effect.Effect<void> = Effect.async<void>((resume) => {
    if (this.copies.size === 0) return resume(Effect.void)
    const wake = () => {
      this.whenEmpty.delete(wake)
      resume(Effect.void)
    }
    this.whenEmpty.add(wake)
    return Effect.sync(() => {
      this.whenEmpty.delete(wake)
    })
  })
}
