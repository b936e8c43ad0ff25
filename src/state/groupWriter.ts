/**
 * A journal's writer (group commit): appends waiting together go out in one write(), made on this thread, and
 * one fdatasync() in the thread pool when an append waits for it; settled from the callbacks, with no fiber hop
 * between an append, its write and its answer (the hand-off's latency is mostly such hops otherwise).
 */
import * as Either from "effect/Either"
import type { JournalError } from "./journal.js"

type Result = Either.Either<void, JournalError>

/** An awaited append's outcome, filled once its group is on disk (or failed). */
export interface Waiter {
  result: Result | undefined
  resume: ((result: Result) => void) | undefined
}

/** What the writer does to the file; `journal.ts` provides it. */
export interface WriterOps {
  /** Appends `bytes` at the end (one write); the file's size grows only when all were written. */
  readonly write: (bytes: Buffer) => Result
  /** fdatasync, answered from the thread pool. */
  readonly sync: (done: (result: Result) => void) => void
  /** Cuts the file back to `size`: a group refused to its waiters must not be delivered after a restart. */
  readonly cutBack: (size: number) => void
  readonly size: () => number
  /** After each group written: a compaction when one is worth it (it may reopen the file); calls `done` when over. */
  readonly afterGroup: (done: () => void) => void
  /** A failure nobody waits for (a done mark, an executed id). */
  readonly warn: (detail: string) => void
}

interface Pending {
  readonly bytes: Buffer
  readonly onDurable: (() => void) | undefined
  readonly waiter: Waiter | undefined
}

export interface GroupWriter {
  /** Queues `bytes`, in call order; the waiter is settled once they are written and synced. `onDurable` runs after the answer. */
  readonly append: (bytes: Buffer, onDurable?: () => void) => Waiter
  /** Queues `bytes` without waiting: written with the next group, synced with the next awaited one or by `syncIfOwed`. */
  readonly appendLater: (bytes: Buffer) => void
  /** Syncs what no awaited group synced yet (a timer calls it); `done` when over. */
  readonly syncIfOwed: (done: () => void) => void
  /** Calls `done` once nothing is queued or being written. */
  readonly whenIdle: (done: () => void) => void
}

const settle = (waiter: Waiter, result: Result): void => {
  waiter.result = result
  waiter.resume?.(result)
}

export const makeGroupWriter = (ops: WriterOps): GroupWriter => {
  let queue: Array<Pending> = []
  let busy = false
  let unsynced = false
  let idle: Array<() => void> = []

  const next = (): void => {
    busy = false
    flush()
  }

  /** Ends a group: answers first (an answer never waits behind what `onDurable` wakes), then `onDurable`, then compaction. */
  const finish = (group: ReadonlyArray<Pending>, waited: boolean, before: number, result: Result): void => {
    if (Either.isLeft(result) && ops.size() !== before) ops.cutBack(before)
    for (const pending of group) if (pending.waiter !== undefined) settle(pending.waiter, result)
    if (Either.isLeft(result)) {
      if (!waited) ops.warn(result.left.detail)
      return next()
    }
    unsynced = !waited
    for (const pending of group) pending.onDurable?.()
    ops.afterGroup(next)
  }

  const flush = (): void => {
    if (busy) return
    if (queue.length === 0) {
      const done = idle
      idle = []
      for (const callback of done) callback()
      return
    }
    busy = true
    const group = queue
    queue = []
    const before = ops.size()
    const waited = group.some((pending) => pending.waiter !== undefined)
    const written = ops.write(group.length === 1 ? group[0]!.bytes : Buffer.concat(group.map((pending) => pending.bytes)))
    if (Either.isLeft(written) || !waited) return finish(group, waited, before, written)
    ops.sync((synced) => finish(group, waited, before, synced))
  }

  return {
    append: (bytes, onDurable) => {
      const waiter: Waiter = { result: undefined, resume: undefined }
      queue.push({ bytes, onDurable, waiter })
      flush()
      return waiter
    },
    appendLater: (bytes) => {
      queue.push({ bytes, onDurable: undefined, waiter: undefined })
      flush()
    },
    syncIfOwed: (done) => {
      if (busy || !unsynced) return done()
      busy = true
      ops.sync((result) => {
        if (Either.isRight(result)) unsynced = false
        else ops.warn(result.left.detail)
        next()
        done()
      })
    },
    whenIdle: (done) => {
      if (!busy && queue.length === 0) return done()
      idle.push(done)
    }
  }
}
