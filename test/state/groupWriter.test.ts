/**
 * The journal's group commit: appends reach the file in call order, appends made while a sync runs go out together in the
 * next group, an answer comes before what `onDurable` wakes, and a failed write or sync is refused and cut back off.
 */
import { describe, expect, it } from "@effect/vitest"
import * as Either from "effect/Either"
import fc from "fast-check"
import { makeGroupWriter, type WriterOps } from "../../src/state/groupWriter.js"
import { JournalError } from "../../src/state/journal.js"

/** An in-memory file whose syncs the test answers by hand, recording every write and sync. */
const fakeFile = (failWrite = false) => {
  let content = ""
  const events: Array<string> = []
  const syncs: Array<(result: Either.Either<void, JournalError>) => void> = []
  const ops: WriterOps = {
    write: (bytes) => {
      if (failWrite) return Either.left(new JournalError({ reason: "Write", detail: "disk full" }))
      content += bytes.toString()
      events.push(`write ${bytes.toString()}`)
      return Either.void
    },
    sync: (done) => {
      events.push("sync")
      syncs.push(done)
    },
    cutBack: (size) => {
      content = content.slice(0, size)
      events.push(`cut ${size}`)
    },
    size: () => content.length,
    afterGroup: (done) => done(),
    warn: (detail) => events.push(`warn ${detail}`)
  }
  const answerSync = (result: Either.Either<void, JournalError> = Either.void) => syncs.shift()!(result)
  return { ops, events, answerSync, content: () => content, pendingSyncs: () => syncs.length }
}

describe("the journal's group writer", () => {
  it("writes the first append at once, and groups the appends made during its sync into one write and one sync", () => {
    const file = fakeFile()
    const writer = makeGroupWriter(file.ops)
    const first = writer.append(Buffer.from("a"))
    const second = writer.append(Buffer.from("b"))
    const third = writer.append(Buffer.from("c"))
    expect(file.events).toEqual(["write a", "sync"])
    expect(first.result).toBeUndefined()
    file.answerSync()
    expect(Either.isRight(first.result!)).toBe(true)
    expect(second.result).toBeUndefined()
    expect(file.events).toEqual(["write a", "sync", "write bc", "sync"])
    file.answerSync()
    expect([second.result, third.result].every((r) => r !== undefined && Either.isRight(r))).toBe(true)
    expect(file.content()).toBe("abc")
  })

  it("answers a waiter before running onDurable, and runs onDurable only once the bytes are synced", () => {
    const file = fakeFile()
    const writer = makeGroupWriter(file.ops)
    const order: Array<string> = []
    const waiter = writer.append(Buffer.from("x"), () => order.push(`durable (answered: ${waiter.result !== undefined})`))
    waiter.resume = () => order.push("answered")
    expect(order).toEqual([])
    file.answerSync()
    expect(order).toEqual(["answered", "durable (answered: true)"])
  })

  it("writes what nobody waits for without a sync, and syncs it later once", () => {
    const file = fakeFile()
    const writer = makeGroupWriter(file.ops)
    writer.appendLater(Buffer.from("m"))
    expect(file.events).toEqual(["write m"])
    let synced = 0
    writer.syncIfOwed(() => synced++)
    expect(file.events).toEqual(["write m", "sync"])
    file.answerSync()
    writer.syncIfOwed(() => synced++)
    expect(file.events).toEqual(["write m", "sync"])
    expect(synced).toBe(2)
  })

  it("refuses the group whose sync failed and cuts its bytes back off", () => {
    const file = fakeFile()
    const writer = makeGroupWriter(file.ops)
    const kept = writer.append(Buffer.from("ok"))
    file.answerSync()
    const lost = writer.append(Buffer.from("lost"))
    file.answerSync(Either.left(new JournalError({ reason: "Write", detail: "cannot sync: EIO" })))
    expect(Either.isRight(kept.result!)).toBe(true)
    expect(Either.isLeft(lost.result!)).toBe(true)
    expect(file.content()).toBe("ok")
    expect(file.events).toContain("cut 2")
  })

  it("refuses an awaited append whose write failed, and warns for one nobody waits for", () => {
    const file = fakeFile(true)
    const writer = makeGroupWriter(file.ops)
    const refused = writer.append(Buffer.from("a"))
    writer.appendLater(Buffer.from("b"))
    expect(Either.isLeft(refused.result!)).toBe(true)
    expect(file.events).toEqual(["warn disk full"])
  })

  it("keeps call order, whatever the mix of appends, later appends and sync answers", () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom("append", "later", "sync", "owed"), { maxLength: 60 }), (steps) => {
        const file = fakeFile()
        const writer = makeGroupWriter(file.ops)
        let expected = ""
        const waiters = []
        for (const [i, step] of steps.entries()) {
          const byte = String.fromCharCode(97 + (i % 26))
          if (step === "append") waiters.push(writer.append(Buffer.from(byte)))
          if (step === "later") writer.appendLater(Buffer.from(byte))
          if (step === "append" || step === "later") expected += byte
          if (step === "sync" && file.pendingSyncs() > 0) file.answerSync()
          if (step === "owed") writer.syncIfOwed(() => undefined)
        }
        while (file.pendingSyncs() > 0) file.answerSync()
        expect(file.content()).toBe(expected)
        expect(waiters.every((waiter) => waiter.result !== undefined && Either.isRight(waiter.result))).toBe(true)
      })
    )
  })
})
